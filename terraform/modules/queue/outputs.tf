output "queue_url" {
  description = "URL of the notifications queue."
  value       = aws_sqs_queue.this.id
}

output "queue_arn" {
  description = "ARN of the notifications queue: the SP-API destination."
  value       = aws_sqs_queue.this.arn
}

output "queue_arns_from_names" {
  description = "ARNs of the queue and the DLQ ({ queue, dlq }) built from their names, account and region: known before the queues exist, so the policy of the key that encrypts them can name them (kms:EncryptionContext:aws:sqs:arn) without a dependency cycle."
  value       = { queue = local.queue_arn, dlq = local.dlq_arn }
}

output "queue_name" {
  description = "Name of the notifications queue."
  value       = aws_sqs_queue.this.name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue (for alarms)."
  value       = aws_sqs_queue.dlq.name
}

output "processor_function_name" {
  description = "Name of the notifications processor Lambda."
  value       = module.processor.function_name
}

output "processor_function_arn" {
  description = "ARN of the notifications processor Lambda."
  value       = module.processor.function_arn
}

output "processor_log_group_name" {
  description = "Log group of the notifications processor Lambda."
  value       = module.processor.log_group_name
}

output "event_source_mapping_uuid" {
  description = "UUID of the queue-to-processor event source mapping."
  value       = aws_lambda_event_source_mapping.processor.uuid
}

output "processor_role_arn" {
  description = "ARN of the processor's execution role; known at plan time and waiting for the role (see the lambda_function module's function_role_arn)."
  value       = module.processor.function_role_arn
}

output "queue_policy" {
  description = "The notifications queue's access policy (JSON): who may send to it."
  value       = aws_sqs_queue.this.policy
}
