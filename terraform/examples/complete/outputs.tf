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
