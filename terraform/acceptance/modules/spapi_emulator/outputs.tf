output "function_url" {
  description = "The emulator's function URL (AWS_IAM auth; ends with `/`): the SP-API endpoint and, with `auth/o2/token`, the LWA token endpoint."
  value       = aws_lambda_function_url.this.function_url
}

output "function_arn" {
  description = "ARN of the emulator function: callers need lambda:InvokeFunctionUrl and lambda:InvokeFunction on it."
  value       = module.function.function_arn
}

output "function_name" {
  description = "Name of the emulator function (`<name_prefix>-spapi-emulator`)."
  value       = module.function.function_name
}

output "role_arn" {
  description = "ARN of the emulator's execution role: the principal its SQS notifications come from."
  value       = module.function.function_role_arn
}

output "state_bucket_name" {
  description = "Bucket of the emulator's state and report documents (emptied and removed on destroy)."
  value       = aws_s3_bucket.state.bucket
}
