# The sp-reports stack: API Gateway (AWS_IAM) -> Lambdas -> SP-API; SP-API notifications -> SQS -> processor ->
# Step Functions -> S3 + SNS email. Each concern is a module under modules/; this file wires them together. What
# the modules are given about the functions (their settings, policies and role names) is derived in functions.tf.

data "aws_caller_identity" "current" {
  lifecycle {
    # The test-only inputs (variables.tf) may name only this account's principals: they open the queue and the
    # functions' policies to them.
    postcondition {
      condition     = alltrue([for arn in var.test_notification_sender_role_arns : split(":", arn)[4] == self.account_id])
      error_message = "test_notification_sender_role_arns must name roles of the account being deployed to, not of another account."
    }
    postcondition {
      condition     = var.test_spapi_emulator_function_arn == null || try(split(":", var.test_spapi_emulator_function_arn)[4] == self.account_id, false)
      error_message = "test_spapi_emulator_function_arn must name a function of the account being deployed to, not of another account."
    }
  }
}
data "aws_partition" "current" {}
data "aws_region" "current" {}

module "security" {
  source = "./modules/security"

  name_prefix               = var.name_prefix
  tags                      = var.tags
  iam_name_prefix           = local.iam_name_prefix
  role_path                 = var.iam_role_path
  role_permissions_boundary = var.iam_permissions_boundary_arn

  reports_bucket_arn = module.storage.reports_bucket_arn
  # From the names, not the queues: the queues are encrypted with the data key whose policy names them.
  spapi_queue_arns                       = values(module.queue.queue_arns_from_names)
  spapi_notifications_account_id         = var.spapi_notifications_account_id
  token_encrypter_role_arns              = [for f in local.token_writers : local.function_role_arns[f]]
  token_decrypter_role_arns              = [for f in local.token_readers : local.function_role_arns[f]]
  download_link_signer_trusted_role_arns = [for f in local.link_signers : local.function_role_arns[f]]
  api_execution_arn                      = module.api.rest_api_execution_arn
  api_stage_name                         = module.api.stage_name

  api_invoke_trusted_principal_arns = var.api_invoke_trusted_principal_arns
  create_api_invoke_user            = var.create_api_invoke_user

  secret_recovery_window_days = var.deletion_protection ? 30 : 0
  key_administrator_arns      = var.kms_key_administrator_arns
  kms_deletion_window_days    = var.kms_deletion_window_days
  existing_data_kms_key_arn   = var.existing_data_kms_key_arn
  existing_tokens_kms_key_arn = var.existing_tokens_kms_key_arn
  lwa_client_id               = var.lwa_client_id
  lwa_client_secret           = var.lwa_client_secret
  lwa_credentials_version     = var.lwa_credentials_version
}

module "storage" {
  source = "./modules/storage"

  name_prefix         = var.name_prefix
  tags                = var.tags
  kms_key_arn         = module.security.data_kms_key_arn
  deletion_protection = var.deletion_protection

  point_in_time_recovery = var.dynamodb_point_in_time_recovery
  tenant_map             = var.tenant_isolation

  report_expiration_days             = var.report_expiration_days
  restricted_report_expiration_days  = var.restricted_report_expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days

  access_log_bucket = var.s3_access_log_bucket
  access_log_prefix = var.s3_access_log_prefix

  # The converter's prefixes and Athena's results, as the analytics module names them.
  curated_prefix                = module.analytics.curated_prefix
  curated_staging_prefix        = module.analytics.staging_prefix
  query_results_prefix          = module.analytics.query_results_prefix
  query_results_expiration_days = var.athena_query_results_expiration_days
  curated_reader_principal_arns = var.analytics_enabled ? var.analyst_principal_arns : []

  # The bucket policy denies object reads to everyone else: the storer HEADs and GETs what it stores, the
  # converter reads the stored reports (their charset and tags too) and copies its staged Parquet files, the link
  # signer's sessions sign the download links (a presigned URL reads as its signer).
  object_reader_principal_arns = concat(
    [local.function_role_arns["report_storer"], local.function_role_arns["report_converter"], module.security.download_link_signer_role_arn],
    var.report_reader_principal_arns,
  )
}

# The curated tables in the Glue catalog and the Athena workgroup that queries them (modules/analytics).
module "analytics" {
  source = "./modules/analytics"

  enabled             = var.analytics_enabled
  name_prefix         = var.name_prefix
  tags                = var.tags
  database_name       = var.analytics_database_name
  bucket_name         = module.storage.reports_bucket_name
  bucket_arn          = module.storage.reports_bucket_arn
  kms_key_arn         = module.security.data_kms_key_arn
  deletion_protection = var.deletion_protection

  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  projection_start_date          = var.analytics_projection_start_date
}

module "queue" {
  source = "./modules/queue"

  name_prefix                 = var.name_prefix
  tags                        = var.tags
  kms_key_arn                 = module.security.data_kms_key_arn
  processor                   = local.function_settings[local.processor_function]
  processor_policy_statements = local.function_policy_statements[local.processor_function]
  maximum_concurrency         = var.processor_maximum_concurrency
  role_path                   = var.iam_role_path
  role_permissions_boundary   = var.iam_permissions_boundary_arn
  test_sender_role_arns       = var.test_notification_sender_role_arns

  spapi_notifications_account_id = var.spapi_notifications_account_id
}

module "api" {
  source = "./modules/api"

  name_prefix                 = var.name_prefix
  tags                        = var.tags
  kms_key_arn                 = module.security.data_kms_key_arn
  functions                   = { for f, settings in local.function_settings : f => settings if local.functions[f].group == "api" }
  policy_statements           = { for f, statements in local.function_policy_statements : f => statements if local.functions[f].group == "api" }
  access_log_retention_days   = var.log_retention_days
  account_cloudwatch_role_arn = var.api_gateway_cloudwatch_role_arn
  throttling_rate_limit       = var.api_throttling_rate_limit
  throttling_burst_limit      = var.api_throttling_burst_limit
  # POST /reports: its own, lower limits (docs/security.md, Limits).
  reports_throttling_rate_limit  = var.api_reports_throttling_rate_limit
  reports_throttling_burst_limit = var.api_reports_throttling_burst_limit
  web_acl_arn                    = var.api_waf_web_acl_arn
  execution_logging_level        = var.api_execution_logging_level

  role_path                 = var.iam_role_path
  role_permissions_boundary = var.iam_permissions_boundary_arn

  # The API's resource policy denies every principal but these (modules/api). Its Allow names the invoke role
  # as a principal, so the policy waits for the role (the condition reads the module's output, the value is
  # the ARN built from the name): resource policies may refuse a principal that does not exist yet.
  invoke_principal_arns = concat(
    [module.security.api_invoke_role_arn == null ? null : local.api_invoke_role_arn],
    var.api_invoke_principal_arns,
  )
}

module "state_machine" {
  source = "./modules/state_machine"

  name_prefix               = var.name_prefix
  tags                      = var.tags
  kms_key_arn               = module.security.data_kms_key_arn
  functions                 = { for f, settings in local.function_settings : f => settings if local.functions[f].group == "workflow" }
  conversion_enabled        = var.report_conversion_enabled
  policy_statements         = { for f, statements in local.function_policy_statements : f => statements if local.functions[f].group == "workflow" }
  notification_email        = var.notification_email
  subscription_protocols    = var.notification_subscription_protocols
  subscription_endpoints    = var.notification_subscription_endpoints
  subscriber_principal_arns = var.notification_subscriber_principal_arns
  log_retention_days        = var.log_retention_days
  dlq_name                  = module.queue.dlq_name
  role_name                 = local.iam_role_names.report_workflow
  role_path                 = var.iam_role_path
  role_permissions_boundary = var.iam_permissions_boundary_arn
}

# Functions no module of the stack invokes (group standalone): deployed here, each with its own role.
module "standalone_function" {
  source   = "./modules/lambda_function"
  for_each = { for f, settings in local.function_settings : f => settings if local.functions[f].group == "standalone" }

  function_name                  = each.value.function_name
  description                    = each.value.description
  handler                        = each.value.handler
  runtime                        = each.value.runtime
  architecture                   = each.value.architecture
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = each.value.reserved_concurrent_executions
  log_retention_days             = each.value.log_retention_days
  environment_variables          = each.value.environment_variables
  kms_key_arn                    = module.security.data_kms_key_arn
  package                        = each.value.package
  policy_statements              = local.function_policy_statements[each.key]
  role_name                      = each.value.role_name
  role_path                      = var.iam_role_path
  role_permissions_boundary      = var.iam_permissions_boundary_arn
  vpc_subnet_ids                 = each.value.vpc_subnet_ids
  vpc_security_group_ids         = each.value.vpc_security_group_ids
  code_signing_config_arn        = each.value.code_signing_config_arn
  tags                           = var.tags
}
