# The root module's outputs, passed through (the acceptance assertions read them as on the local target),
# then the emulator's.

output "api_endpoint_urls" {
  description = "Invoke URL per endpoint: tokens (POST), notifications (POST), reports (POST) and report (GET, `{reportId}` to fill in)."
  value       = module.sp_reports.api_endpoint_urls
}

output "api_base_url" {
  description = "Base URL of the API's prod stage."
  value       = module.sp_reports.api_base_url
}

output "api_id" {
  description = "ID of the REST API."
  value       = module.sp_reports.api_id
}

output "api_stage_name" {
  description = "Name of the API's deployed stage."
  value       = module.sp_reports.api_stage_name
}

output "api_invoke_role_arn" {
  description = "Role callers assume to sign (SigV4) their API requests."
  value       = module.sp_reports.api_invoke_role_arn
}

output "queue_url" {
  description = "URL of the SP-API notifications queue."
  value       = module.sp_reports.queue_url
}

output "queue_arn" {
  description = "ARN of the SP-API notifications queue (the SP-API destination)."
  value       = module.sp_reports.queue_arn
}

output "dlq_url" {
  description = "URL of the notifications dead-letter queue."
  value       = module.sp_reports.dlq_url
}

output "reports_bucket_name" {
  description = "Bucket the reports are stored in."
  value       = module.sp_reports.reports_bucket_name
}

output "tokens_table_name" {
  description = "DynamoDB table of encrypted refresh tokens."
  value       = module.sp_reports.tokens_table_name
}

output "reports_table_name" {
  description = "DynamoDB table of report records."
  value       = module.sp_reports.reports_table_name
}

output "analytics_database_name" {
  description = "Glue database of the curated tables (null when analytics_enabled is false)."
  value       = module.sp_reports.analytics_database_name
}

output "athena_workgroup_name" {
  description = "Athena workgroup to query the curated tables with (null when analytics_enabled is false)."
  value       = module.sp_reports.athena_workgroup_name
}

output "state_machine_arn" {
  description = "ARN of the report workflow state machine."
  value       = module.sp_reports.state_machine_arn
}

output "notifications_topic_arn" {
  description = "SNS topic of report emails and alarms."
  value       = module.sp_reports.notifications_topic_arn
}

output "lwa_credentials_secret_arn" {
  description = "Secret holding the LWA app credentials JSON {\"client_id\", \"client_secret\"}."
  value       = module.sp_reports.lwa_credentials_secret_arn
}

output "data_kms_key_arn" {
  description = "ARN of the data key."
  value       = module.sp_reports.data_kms_key_arn
}

output "tokens_kms_key_arn" {
  description = "ARN of the refresh-token key."
  value       = module.sp_reports.tokens_kms_key_arn
}

output "function_names" {
  description = "Lambda function name per function key (the keys of the root's local.functions, src/sp_reports/handlers FUNCTIONS)."
  value       = module.sp_reports.function_names
}

output "artifacts_bucket_name" {
  description = "Bucket holding the deployed Lambda zips."
  value       = module.sp_reports.artifacts_bucket_name
}

output "spapi_destination_name" {
  description = "Name the subscriber gives the SP-API notification destination."
  value       = module.sp_reports.spapi_destination_name
}

output "sweep_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that runs the report sweep (default schedule group)."
  value       = module.sp_reports.sweep_schedule_name
}

output "pull_planner_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that ticks the pull planner (default schedule group)."
  value       = module.sp_reports.pull_planner_schedule_name
}

output "spapi_emulator_function_url" {
  description = "The emulator's function URL (AWS_IAM auth): the stack's SP-API endpoint, and with auth/o2/token its LWA endpoint; null without the emulator (as every spapi_emulator_* output)."
  value       = one(module.spapi_emulator[*].function_url)
}

output "spapi_emulator_function_arn" {
  description = "ARN of the emulator function."
  value       = one(module.spapi_emulator[*].function_arn)
}

output "spapi_emulator_function_name" {
  description = "Name of the emulator function."
  value       = one(module.spapi_emulator[*].function_name)
}

output "spapi_emulator_role_arn" {
  description = "ARN of the emulator's execution role (the queue admits it as a test sender)."
  value       = one(module.spapi_emulator[*].role_arn)
}

output "spapi_emulator_state_bucket_name" {
  description = "Bucket of the emulator's state and report documents."
  value       = one(module.spapi_emulator[*].state_bucket_name)
}

output "account_settings_role_arn" {
  description = "The API Gateway CloudWatch role the run set for the account (modules/account_settings); null when the account already had one, which the run left alone."
  value       = one(module.account_settings[*].cloudwatch_role_arn)
}
