output "queue_arn" {
  description = "ARN to register as the SP-API destination."
  value       = module.queue.queue_arn
}

output "dlq_name" {
  description = "Dead-letter queue to alarm on."
  value       = module.queue.dlq_name
}
