output "state_machine_arn" {
  description = "ARN of the report workflow state machine."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the report workflow state machine."
  value       = aws_sfn_state_machine.this.name
}

output "state_machine_role_arn" {
  description = "ARN of the state machine's execution role."
  value       = aws_iam_role.this.arn
}

output "topic_arn" {
  description = "ARN of the SNS topic for report emails and alarms."
  value       = aws_sns_topic.this.arn
}

output "function_names" {
  description = "Lambda function name per function key (the keys of var.functions)."
  value       = { for k, f in module.function : k => f.function_name }
}

output "function_arns" {
  description = "Lambda function ARN per function key (the keys of var.functions)."
  value       = { for k, f in module.function : k => f.function_arn }
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms that publish to the topic."
  value = concat(
    [aws_cloudwatch_metric_alarm.executions_failed.alarm_name, aws_cloudwatch_metric_alarm.executions_timed_out.alarm_name],
    aws_cloudwatch_metric_alarm.dlq_not_empty[*].alarm_name,
  )
}

output "function_role_arns" {
  description = "Execution role ARN per function key; known at plan time and waiting for the role (see the lambda_function module's function_role_arn)."
  value       = { for k, f in module.function : k => f.function_role_arn }
}

output "workflow_state_names" {
  description = "Names of the report workflow's states as deployed (ConvertReport only while conversion_enabled)."
  value       = sort(keys(jsondecode(aws_sfn_state_machine.this.definition).States))
}
