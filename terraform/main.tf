# The sp-reports stack: API Gateway (AWS_IAM) -> Lambdas -> SP-API; SP-API notifications -> SQS -> processor ->
# Step Functions -> S3 + SNS email. Each concern is a module under modules/; this file wires them together.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # The stack's functions, the one list of them in Terraform. The key names the handler (handlers.<key>.handler,
  # src/handlers FUNCTIONS), the zip (<key>.zip) and the function (<name_prefix>-<key with dashes>). group says
  # who invokes it and so which module deploys it: api (serving the API's `route`), processor (the notifications
  # queue) or workflow (doing the report workflow's `task`). environment names what it gets beyond
  # common_environment; the values are in environment_values. memory_size and timeout are defaults that
  # lambda_memory_sizes and lambda_timeouts override.
  functions = {
    token_storage = {
      group       = "api"
      description = "POST /tokens: checks a seller's refresh token with LWA and stores it encrypted"
      route       = "create_token"
      memory_size = 256
      timeout     = 29
      environment = ["TOKENS_TABLE_NAME", "TOKENS_KMS_KEY_ID", "LWA_CREDENTIALS_SECRET_ARN"]
    }
    notifications_subscriber = {
      group       = "api"
      description = "POST /notifications: subscribes a seller to REPORT_PROCESSING_FINISHED"
      route       = "create_subscription"
      memory_size = 256
      timeout     = 29
      environment = ["TOKENS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "NOTIFICATIONS_QUEUE_ARN", "SPAPI_DESTINATION_NAME"]
    }
    report_creator = {
      group       = "api"
      description = "POST /reports: requests a report from SP-API and records it"
      route       = "create_report"
      memory_size = 256
      timeout     = 29
      environment = ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORT_RECORD_TTL_DAYS"]
    }
    report_status = {
      group       = "api"
      description = "GET /reports/{reportId}: the recorded status and a fresh download link"
      route       = "get_report"
      memory_size = 256
      timeout     = 29
      environment = ["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "PRESIGNED_URL_TTL_SECONDS", "DOWNLOAD_LINK_SIGNER_ROLE_ARN"]
    }
    notifications_processor = {
      group       = "processor"
      description = "Starts one report workflow execution per REPORT_PROCESSING_FINISHED notification"
      memory_size = 256
      timeout     = 60
      environment = ["REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "PROCESS_UNREQUESTED_REPORTS"]
    }
    report_storer = {
      group       = "workflow"
      description = "Streams a finished report document from SP-API into S3"
      task        = "store"
      # 512 MB comes from `make bench` (docs/benchmarks.md): twice the streaming store's projected peak RSS,
      # and the CPU share (Lambda scales CPU with memory) to store a 5 GiB report in half its timeout.
      memory_size = 512
      timeout     = 300
      environment = ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORTS_BUCKET_NAME", "REPORTS_KMS_KEY_ID"]
    }
    report_notifier = {
      group       = "workflow"
      description = "Presigns the stored report and emails the outcome through SNS"
      task        = "notify"
      memory_size = 256
      timeout     = 60
      # NOTIFICATIONS_TOPIC_ARN is added by the state_machine module, which owns the topic.
      environment = ["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "PRESIGNED_URL_TTL_SECONDS", "DOWNLOAD_LINK_SIGNER_ROLE_ARN"]
    }
  }
  processor_function = one([for f, function in local.functions : f if function.group == "processor"])

  package_dir            = coalesce(var.lambda_package_dir, "${path.module}/../.build/lambda")
  spapi_destination_name = coalesce(var.spapi_destination_name, "${var.name_prefix}-notifications")

  # Built from the name the state_machine module gives it ("<name_prefix>-report-workflow"; the root test
  # checks they agree): the processor's environment cannot wait for the state machine, which invokes the
  # workflow functions whose environment comes from the same environment_values (one local is one node of
  # Terraform's graph).
  state_machine_arn = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:stateMachine:${var.name_prefix}-report-workflow"

  common_environment = merge(
    {
      POWERTOOLS_SERVICE_NAME      = var.name_prefix
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      LOG_LEVEL                    = var.log_level
    },
    var.spapi_endpoint_url == null ? {} : { SPAPI_ENDPOINT_URL = var.spapi_endpoint_url },
    var.lwa_endpoint_url == null ? {} : { LWA_ENDPOINT_URL = var.lwa_endpoint_url },
  )

  # Every environment variable a function may get, by name. Nothing here may depend on a function: the
  # queue's ARN comes from its name (the queue's own ARN waits for the processor's timeout), the state
  # machine's likewise (above).
  environment_values = {
    TOKENS_TABLE_NAME             = module.storage.tokens_table_name
    REPORTS_TABLE_NAME            = module.storage.reports_table_name
    REPORTS_BUCKET_NAME           = module.storage.reports_bucket_name
    TOKENS_KMS_KEY_ID             = module.security.tokens_kms_key_arn
    REPORTS_KMS_KEY_ID            = module.security.data_kms_key_arn
    LWA_CREDENTIALS_SECRET_ARN    = module.security.lwa_credentials_secret_arn
    DOWNLOAD_LINK_SIGNER_ROLE_ARN = module.security.download_link_signer_role_arn
    NOTIFICATIONS_QUEUE_ARN       = module.queue.queue_arns_from_names.queue
    SPAPI_DESTINATION_NAME        = local.spapi_destination_name
    STATE_MACHINE_ARN             = local.state_machine_arn
    REPORT_RECORD_TTL_DAYS        = tostring(var.report_record_ttl_days)
    PRESIGNED_URL_TTL_SECONDS     = tostring(var.presigned_url_ttl_seconds)
    PROCESS_UNREQUESTED_REPORTS   = tostring(var.process_unrequested_reports)
  }

  function_environment = {
    for f, function in local.functions : f => { for name in function.environment : name => local.environment_values[name] }
  }

  function_settings = {
    for f, function in local.functions : f => {
      description        = function.description
      handler            = "handlers.${f}.handler"
      function_name      = "${var.name_prefix}-${replace(f, "_", "-")}"
      route              = try(function.route, null)
      task               = try(function.task, null)
      role_arn           = module.security.lambda_role_arns[f]
      package            = local.packages[f]
      runtime            = var.lambda_runtime
      architecture       = var.lambda_architecture
      memory_size        = lookup(var.lambda_memory_sizes, f, function.memory_size)
      timeout            = lookup(var.lambda_timeouts, f, function.timeout)
      log_retention_days = var.log_retention_days
      # -1 leaves a function unreserved.
      reserved_concurrent_executions = lookup(var.lambda_reserved_concurrency, f, -1)
      environment_variables          = merge(local.common_environment, local.function_environment[f])
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

  name_prefix         = var.name_prefix
  tags                = var.tags
  kms_key_arn         = module.security.data_kms_key_arn
  processor           = local.function_settings[local.processor_function]
  maximum_concurrency = var.processor_maximum_concurrency
  # The mapping is created once the processor's role may read the queue.
  processor_role_policy_ids = [module.security.lambda_role_policy_ids[local.processor_function]]
}

module "api" {
  source = "./modules/api"

  name_prefix                    = var.name_prefix
  tags                           = var.tags
  kms_key_arn                    = module.security.data_kms_key_arn
  functions                      = { for f, settings in local.function_settings : f => settings if local.functions[f].group == "api" }
  access_log_retention_days      = var.log_retention_days
  manage_account_cloudwatch_role = var.manage_api_gateway_cloudwatch_role
  throttling_rate_limit          = var.api_throttling_rate_limit
  throttling_burst_limit         = var.api_throttling_burst_limit
}

module "state_machine" {
  source = "./modules/state_machine"

  name_prefix        = var.name_prefix
  tags               = var.tags
  kms_key_arn        = module.security.data_kms_key_arn
  functions          = { for f, settings in local.function_settings : f => settings if local.functions[f].group == "workflow" }
  notification_email = var.notification_email
  log_retention_days = var.log_retention_days
  dlq_name           = module.queue.dlq_name
}
