output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "function_invoke_arn" {
  description = "ARN API Gateway uses to invoke the function (for AWS_PROXY integrations)."
  value       = aws_lambda_function.this.invoke_arn
}

output "function_role_name" {
  description = "Name of the execution role the function runs as."
  value       = local.role_name
}

output "function_role_arn" {
  description = "ARN of the execution role the function runs as."
  value       = local.role_arn
}

output "function_role_policy_id" {
  description = "ID (`role:policy`) of the inline policy with the function's own permissions (null without a created role or statements); a consumer that needs them in place (an event source mapping) depends on it through this value."
  value       = one(aws_iam_role_policy.this[*].id)
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.arn
}
