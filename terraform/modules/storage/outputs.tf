output "tokens_table_name" {
  description = "Name of the refresh-token table (hash key SellerId)."
  value       = aws_dynamodb_table.tokens.name
}

output "tokens_table_arn" {
  description = "ARN of the refresh-token table."
  value       = aws_dynamodb_table.tokens.arn
}

output "reports_table_name" {
  description = "Name of the report-record table (hash key ReportId, TTL attribute ExpiresAt)."
  value       = aws_dynamodb_table.reports.name
}

output "reports_table_arn" {
  description = "ARN of the report-record table."
  value       = aws_dynamodb_table.reports.arn
}

output "pull_plans_table_name" {
  description = "Name of the pull plans table (hash key PK, range key SK; sparse indexes due and seller)."
  value       = aws_dynamodb_table.pull_plans.name
}

output "pull_plans_table_arn" {
  description = "ARN of the pull plans table (its indexes are under <arn>/index/*)."
  value       = aws_dynamodb_table.pull_plans.arn
}

output "tenant_map_table_name" {
  description = "Name of the tenant map table (hash key PrincipalArn, range key SellerId); null without tenant_map."
  value       = one(aws_dynamodb_table.tenants[*].name)
}

output "tenant_map_table_arn" {
  description = "ARN of the tenant map table; null without tenant_map."
  value       = one(aws_dynamodb_table.tenants[*].arn)
}

output "reports_bucket_name" {
  description = "Name of the reports bucket."
  value       = aws_s3_bucket.reports.bucket
}

output "reports_bucket_arn" {
  description = "ARN of the reports bucket."
  value       = aws_s3_bucket.reports.arn
}
