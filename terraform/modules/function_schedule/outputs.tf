output "schedule_name" {
  description = "Name of the EventBridge Scheduler schedule (in the default schedule group)."
  value       = aws_scheduler_schedule.this.name
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "role_arn" {
  description = "ARN of the role the schedule assumes to invoke the function."
  value       = aws_iam_role.this.arn
}

output "errors_alarm_name" {
  description = "Name of the alarm on the function's Errors."
  value       = aws_cloudwatch_metric_alarm.errors.alarm_name
}

output "dlq_url" {
  description = "URL of the dead-letter queue of invocations Scheduler could not deliver."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue of invocations Scheduler could not deliver."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_alarm_name" {
  description = "Name of the alarm on the dead-letter queue's depth."
  value       = aws_cloudwatch_metric_alarm.dlq.alarm_name
}
