output "database_name" {
  description = "Name of the Glue database of the curated tables (null when the module is disabled)."
  value       = one(aws_glue_catalog_database.curated[*].name)
}

output "workgroup_name" {
  description = "Name of the Athena workgroup whose enforced settings every query of the tables runs under (null when disabled)."
  value       = one(aws_athena_workgroup.analytics[*].name)
}

output "table_names" {
  description = "Names of the curated Glue tables, one per schema (empty when disabled)."
  value       = sort(keys(aws_glue_catalog_table.curated))
}

output "view_names" {
  description = "Names of the \"latest\" views (one per table with a natural key; empty when disabled)."
  value       = sort(keys(aws_glue_catalog_table.latest))
}

output "query_results_location" {
  description = "S3 URI the workgroup writes query results to (null when disabled)."
  value       = var.enabled ? "s3://${var.bucket_name}/${local.results_prefix}" : null
}

output "analyst_policy_json" {
  description = "IAM policy document (JSON) that lets a principal query the curated tables through the workgroup, read only; attach it to your analysts and list them in the storage module's curated readers (null when disabled)."
  value       = var.enabled ? jsonencode(local.analyst_policy) : null
}

output "query_results_prefix" {
  description = "Prefix of the reports bucket the workgroup writes results under, for the storage module's expiry rule and curated readers (null when disabled)."
  value       = var.enabled ? var.query_results_prefix : null
}

output "curated_prefix" {
  description = "Prefix of the reports bucket the converter writes the curated tables under (from the analytics schemas; set even when disabled)."
  value       = local.catalog.curated_prefix
}

output "staging_prefix" {
  description = "Prefix the converter stages Parquet files under before moving them to curated_prefix (from the analytics schemas; set even when disabled)."
  value       = local.catalog.staging_prefix
}
