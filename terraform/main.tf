# The sp-reports stack: API Gateway (AWS_IAM) -> Lambdas -> SP-API; SP-API notifications -> SQS -> processor ->
# Step Functions -> S3 + SNS email. Each concern is a module under modules/; this file wires them together.

data "aws_caller_identity" "current" {}

locals {
  functions = [
    "token_storage",
    "notifications_subscriber",
    "report_creator",
    "report_status",
    "notifications_processor",
    "report_storer",
    "report_notifier",
  ]
  api_functions      = ["token_storage", "notifications_subscriber", "report_creator", "report_status"]
  workflow_functions = ["report_storer", "report_notifier"]

  # report_storer's 512 MB comes from `make bench` (docs/benchmarks.md): twice the streaming store's projected
  # peak RSS, and the CPU share (Lambda scales CPU with memory) to store a 5 GiB report in half its timeout.
  default_memory_sizes = { for f in local.functions : f => f == "report_storer" ? 512 : 256 }
  default_timeouts = merge(
    { for f in local.api_functions : f => 29 },
    { notifications_processor = 60, report_storer = 300, report_notifier = 60 },
  )
  memory_sizes = merge(local.default_memory_sizes, var.lambda_memory_sizes)
  timeouts     = merge(local.default_timeouts, var.lambda_timeouts)

  package_dir            = coalesce(var.lambda_package_dir, "${path.module}/../.build/lambda")
  spapi_destination_name = coalesce(var.spapi_destination_name, "${var.name_prefix}-notifications")

  common_environment = merge(
    {
      POWERTOOLS_SERVICE_NAME      = var.name_prefix
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      LOG_LEVEL                    = var.log_level
    },
    var.spapi_endpoint_url == null ? {} : { SPAPI_ENDPOINT_URL = var.spapi_endpoint_url },
    var.lwa_endpoint_url == null ? {} : { LWA_ENDPOINT_URL = var.lwa_endpoint_url },
  )

  # One local per consuming module: a local is a single node in Terraform's graph, and the processor's
  # environment depends on the state machine, which depends on the workflow functions' settings.
  api_environment = {
    token_storage = {
      TOKENS_TABLE_NAME          = module.storage.tokens_table_name
      TOKENS_KMS_KEY_ID          = module.security.tokens_kms_key_arn
      LWA_CREDENTIALS_SECRET_ARN = module.security.lwa_credentials_secret_arn
    }
    notifications_subscriber = {
      TOKENS_TABLE_NAME          = module.storage.tokens_table_name
      LWA_CREDENTIALS_SECRET_ARN = module.security.lwa_credentials_secret_arn
      NOTIFICATIONS_QUEUE_ARN    = module.queue.queue_arn
      SPAPI_DESTINATION_NAME     = local.spapi_destination_name
    }
    report_creator = {
      TOKENS_TABLE_NAME          = module.storage.tokens_table_name
      REPORTS_TABLE_NAME         = module.storage.reports_table_name
      LWA_CREDENTIALS_SECRET_ARN = module.security.lwa_credentials_secret_arn
      REPORT_RECORD_TTL_DAYS     = tostring(var.report_record_ttl_days)
    }
    report_status = {
      REPORTS_TABLE_NAME            = module.storage.reports_table_name
      REPORTS_BUCKET_NAME           = module.storage.reports_bucket_name
      PRESIGNED_URL_TTL_SECONDS     = tostring(var.presigned_url_ttl_seconds)
      DOWNLOAD_LINK_SIGNER_ROLE_ARN = module.security.download_link_signer_role_arn
    }
  }

  processor_environment = {
    REPORTS_TABLE_NAME          = module.storage.reports_table_name
    STATE_MACHINE_ARN           = module.state_machine.state_machine_arn
    PROCESS_UNREQUESTED_REPORTS = tostring(var.process_unrequested_reports)
  }

  workflow_environment = {
    report_storer = {
      TOKENS_TABLE_NAME          = module.storage.tokens_table_name
      REPORTS_TABLE_NAME         = module.storage.reports_table_name
      LWA_CREDENTIALS_SECRET_ARN = module.security.lwa_credentials_secret_arn
      REPORTS_BUCKET_NAME        = module.storage.reports_bucket_name
      REPORTS_KMS_KEY_ID         = module.security.data_kms_key_arn
      TRANSCODE_REPORTS_TO_UTF8  = tostring(var.transcode_reports_to_utf8)
    }
    report_notifier = {
      REPORTS_TABLE_NAME            = module.storage.reports_table_name
      REPORTS_BUCKET_NAME           = module.storage.reports_bucket_name
      PRESIGNED_URL_TTL_SECONDS     = tostring(var.presigned_url_ttl_seconds)
      DOWNLOAD_LINK_SIGNER_ROLE_ARN = module.security.download_link_signer_role_arn
      # NOTIFICATIONS_TOPIC_ARN is added by the state_machine module, which owns the topic.
    }
  }

  function_settings = {
    for f in local.functions : f => {
      role_arn           = module.security.lambda_role_arns[f]
      package            = local.packages[f]
      runtime            = var.lambda_runtime
      architecture       = var.lambda_architecture
      memory_size        = local.memory_sizes[f]
      timeout            = local.timeouts[f]
      log_retention_days = var.log_retention_days
      # -1 leaves a function unreserved.
      reserved_concurrent_executions = lookup(var.lambda_reserved_concurrency, f, -1)
    }
  }
}

module "security" {
  source = "./modules/security"

  name_prefix = var.name_prefix
  tags        = var.tags

  tokens_table_arn        = module.storage.tokens_table_arn
  reports_table_arn       = module.storage.reports_table_arn
  reports_bucket_arn      = module.storage.reports_bucket_arn
  notifications_queue_arn = module.queue.queue_arn
  # From the names, not the queues: the queues are encrypted with the data key whose policy names them.
  spapi_queue_arns        = values(module.queue.queue_arns_from_names)
  state_machine_arn       = module.state_machine.state_machine_arn
  notifications_topic_arn = module.state_machine.topic_arn
  api_execution_arn       = module.api.rest_api_execution_arn
  api_stage_name          = module.api.stage_name

  api_invoke_trusted_principal_arns = var.api_invoke_trusted_principal_arns
  create_api_invoke_user            = var.create_api_invoke_user

  secret_recovery_window_days = var.deletion_protection ? 30 : 0
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
}

module "queue" {
  source = "./modules/queue"

  name_prefix = var.name_prefix
  tags        = var.tags
  kms_key_arn = module.security.data_kms_key_arn
  processor = merge(local.function_settings["notifications_processor"], {
    environment_variables = merge(local.common_environment, local.processor_environment)
  })
  maximum_concurrency = var.processor_maximum_concurrency
  # The mapping is created once the processor's role may read the queue.
  processor_role_policy_ids = [module.security.lambda_role_policy_ids["notifications_processor"]]
}

module "api" {
  source = "./modules/api"

  name_prefix = var.name_prefix
  tags        = var.tags
  kms_key_arn = module.security.data_kms_key_arn
  functions = {
    for f in local.api_functions : f => merge(local.function_settings[f], {
      environment_variables = merge(local.common_environment, local.api_environment[f])
    })
  }
  access_log_retention_days      = var.log_retention_days
  manage_account_cloudwatch_role = var.manage_api_gateway_cloudwatch_role
  throttling_rate_limit          = var.api_throttling_rate_limit
  throttling_burst_limit         = var.api_throttling_burst_limit
}

module "state_machine" {
  source = "./modules/state_machine"

  name_prefix = var.name_prefix
  tags        = var.tags
  kms_key_arn = module.security.data_kms_key_arn
  functions = {
    for f in local.workflow_functions : f => merge(local.function_settings[f], {
      environment_variables = merge(local.common_environment, local.workflow_environment[f])
    })
  }
  notification_email = var.notification_email
  log_retention_days = var.log_retention_days
  dlq_name           = module.queue.dlq_name
}
