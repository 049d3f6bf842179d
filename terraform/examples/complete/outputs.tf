output "stacks" {
  description = "The stack by module name: its region, API base URL and API invoke role."
  value = {
    sp_reports = {
      region              = module.sp_reports.region
      api_base_url        = module.sp_reports.api_base_url
      api_invoke_role_arn = module.sp_reports.api_invoke_role_arn
    }
  }
}

output "reports_bucket_name" {
  description = "Bucket the reports are delivered to."
  value       = module.sp_reports.reports_bucket_name
}

# The names the sp-reports CLI reads (`sp-reports --terraform-dir <this directory> …`).
output "api_base_url" {
  description = "Base URL of the stack's API (SigV4-signed requests, as the API invoke role)."
  value       = module.sp_reports.api_base_url
}

output "api_invoke_role_arn" {
  description = "Role that callers assume to call the API."
  value       = module.sp_reports.api_invoke_role_arn
}

output "region" {
  description = "Region of the stack, from the provider."
  value       = module.sp_reports.region
}
