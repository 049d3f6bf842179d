output "endpoint_urls" {
  description = "Invoke URL per endpoint."
  value       = module.api.endpoint_urls
}

output "rest_api_execution_arn" {
  description = "Execution ARN for the invoke role's policy."
  value       = module.api.rest_api_execution_arn
}
