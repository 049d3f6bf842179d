output "lambda_role_arns" {
  description = "Execution role ARN per function."
  value       = module.security.lambda_role_arns
}

output "data_kms_key_arn" {
  description = "ARN of the data key."
  value       = module.security.data_kms_key_arn
}

output "api_invoke_role_arn" {
  description = "Role API callers assume."
  value       = module.security.api_invoke_role_arn
}
