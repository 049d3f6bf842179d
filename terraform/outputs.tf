output "seller_authorization_uris" {
  description = "With seller_authorization_redirect_uri set: the URIs on the API's stage to register for the SP-API application (login_uri, the log-in URI; redirect_uri, which seller_authorization_redirect_uri must reach). null otherwise."
  value       = module.api.authorization_uris
}

output "api_endpoint_urls" {
  description = "Invoke URL per endpoint: tokens (POST), notifications (POST), reports (POST) and report (GET, `{reportId}` to fill in)."
  value       = module.api.endpoint_urls
}

output "api_base_url" {
  description = "Base URL of the API's prod stage."
  value       = module.api.stage_invoke_url
}

output "api_id" {
  description = "ID of the REST API."
  value       = module.api.rest_api_id
}

output "api_stage_name" {
  description = "Name of the API's deployed stage."
  value       = module.api.stage_name
}

output "api_invoke_role_arn" {
  description = "Role callers assume to sign (SigV4) their API requests."
  value       = module.security.api_invoke_role_arn
}

output "queue_url" {
  description = "URL of the SP-API notifications queue."
  value       = module.queue.queue_url
}

output "queue_arn" {
  description = "ARN of the SP-API notifications queue (the SP-API destination)."
  value       = module.queue.queue_arn
}

output "dlq_url" {
  description = "URL of the notifications dead-letter queue."
  value       = module.queue.dlq_url
}

output "reports_bucket_name" {
  description = "Bucket the reports are stored in."
  value       = module.storage.reports_bucket_name
}

output "tokens_table_name" {
  description = "DynamoDB table of encrypted refresh tokens."
  value       = module.storage.tokens_table_name
}

output "reports_table_name" {
  description = "DynamoDB table of report records."
  value       = module.storage.reports_table_name
}

output "pull_plans_table_name" {
  description = "DynamoDB table of pull plans and their ledgers: one item per plan and one per window version."
  value       = module.storage.pull_plans_table_name
}

output "tenant_map_table_name" {
  description = "DynamoDB table of the tenant map (tenant_isolation): one item {PrincipalArn, SellerId} per seller a principal may act for; PrincipalArn is the principal's IAM ARN without its path (an assumed role's session maps as arn:<partition>:iam::<account>:role/<name>). Null when tenant_isolation is off."
  value       = module.storage.tenant_map_table_name
}

output "state_machine_arn" {
  description = "ARN of the report workflow state machine."
  value       = module.state_machine.state_machine_arn
}

output "notifications_topic_arn" {
  description = "SNS topic of report emails and alarms."
  value       = module.state_machine.topic_arn
}

output "lwa_credentials_secret_arn" {
  description = "Secret holding the LWA app credentials JSON {\"client_id\", \"client_secret\"}."
  value       = module.security.lwa_credentials_secret_arn
}

output "data_kms_key_arn" {
  description = "ARN of the data key."
  value       = module.security.data_kms_key_arn
}

output "tokens_kms_key_arn" {
  description = "ARN of the refresh-token key."
  value       = module.security.tokens_kms_key_arn
}

output "function_names" {
  description = "Lambda function name per function key (the keys of the root's local.functions, src/sp_reports/handlers FUNCTIONS)."
  value = merge(
    module.api.function_names,
    module.state_machine.function_names,
    { (local.processor_function) = module.queue.processor_function_name },
    { for f, function in module.standalone_function : f => function.function_name },
  )
}

output "artifacts_bucket_name" {
  description = "Bucket holding the deployed Lambda zips when they come from lambda_package_dir; null when the functions are deployed from a release in S3 (lambda_artifacts_s3_bucket)."
  value       = one(aws_s3_bucket.artifacts[*].bucket)
}

output "spapi_destination_name" {
  description = "Name the subscriber gives the SP-API notification destination."
  value       = local.spapi_destination_name
}

output "sweep_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that runs the report sweep (default schedule group)."
  value       = module.sweep_schedule.schedule_name
}

output "region" {
  description = "Region the stack is deployed in: the region of the aws provider the caller gives this module."
  value       = data.aws_region.current.id
}

output "lambda_artifacts_release_version" {
  description = "Version of the release (its manifest's `version`) the functions are deployed from; null when the code comes from lambda_package_dir."
  value       = try(local.release_manifest.version, null)
}

output "kms_key_policy_statements_required" {
  description = "Key policy statements the stack needs, as a JSON array per key ({ data, tokens }): the ones the stack puts in its own keys' policies, minus their administration. A caller who brings a key (existing_data_kms_key_arn, existing_tokens_kms_key_arn) adds them to that key's policy (docs/bring-your-own-keys.md). `data` is known at plan time; `tokens` names the token functions' roles, known once they exist."
  value = {
    data   = jsonencode(module.security.key_policy_statements_required.data)
    tokens = jsonencode(module.security.key_policy_statements_required.tokens)
  }
}

output "iam_role_names" {
  description = "Name of every IAM role the stack creates, by what it is for (each function's execution role by function name; report_workflow, report_sweeper_schedule, pull_planner_schedule, download_link_signer, api_invoke). Account-global names, `<iam_name_prefix>-...`; the roles live under iam_role_path."
  value       = local.iam_role_names
}

output "sweep_dlq_url" {
  description = "Dead-letter queue of the sweep invocations EventBridge Scheduler could not deliver (its depth raises an alarm to the notifications topic)."
  value       = module.sweep_schedule.dlq_url
}

output "pull_planner_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that ticks the pull planner (default schedule group)."
  value       = module.pull_planner_schedule.schedule_name
}

output "pull_planner_dlq_url" {
  description = "Dead-letter queue of the pull planner invocations EventBridge Scheduler could not deliver (its depth raises an alarm to the notifications topic)."
  value       = module.pull_planner_schedule.dlq_url
}

output "pull_windows_parked_alarm_name" {
  description = "Name of the alarm that fires when a pull plan window is parked after three failed reports."
  value       = aws_cloudwatch_metric_alarm.pull_windows_parked.alarm_name
}

output "pull_reports_near_expiry_alarm_name" {
  description = "Name of the alarm that fires when a report a discover pull plan found (settlement) is not stored 7 days before SP-API drops it (90 days after its creation)."
  value       = aws_cloudwatch_metric_alarm.pull_reports_near_expiry.alarm_name
}

output "pull_plans_dashboard_name" {
  description = "Name of the CloudWatch dashboard of pull plans: windows per day, reports by outcome, queue depths, planner and sweep errors and duration."
  value       = aws_cloudwatch_dashboard.pull_plans.dashboard_name
}

output "analytics_database_name" {
  description = "Glue database of the curated tables (null when analytics_enabled is false)."
  value       = module.analytics.database_name
}

output "athena_workgroup_name" {
  description = "Athena workgroup to query the curated tables with (enforced result location, encryption and bytes-scanned cutoff; null when analytics_enabled is false)."
  value       = module.analytics.workgroup_name
}

output "analytics_table_names" {
  description = "The curated Glue tables and their \"latest\" views (empty when analytics_enabled is false)."
  value       = { tables = module.analytics.table_names, views = module.analytics.view_names }
}

output "analyst_policy_json" {
  description = "IAM policy document (JSON) for the principals in analyst_principal_arns: query the curated tables through the workgroup, read only (null when analytics_enabled is false)."
  value       = module.analytics.analyst_policy_json
}

output "report_conversion_alarm_name" {
  description = "Name of the alarm that fires when a stored report is rejected by the analytics conversion or converted with problems."
  value       = aws_cloudwatch_metric_alarm.report_conversion_problems.alarm_name
}
