output "function_arn" {
  description = "ARN of the example function."
  value       = module.function.function_arn
}
