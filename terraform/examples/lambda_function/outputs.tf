output "function_arn" {
  description = "ARN of the example function."
  value       = module.function.function_arn
}

output "function_role_arn" {
  description = "ARN of the execution role the module created."
  value       = module.function.function_role_arn
}
