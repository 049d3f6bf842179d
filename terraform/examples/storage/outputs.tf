output "tokens_table_name" {
  description = "Name of the refresh-token table."
  value       = module.storage.tokens_table_name
}

output "reports_bucket_name" {
  description = "Name of the reports bucket."
  value       = module.storage.reports_bucket_name
}
