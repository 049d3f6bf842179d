# The root stack with the mocked aws provider: names, wiring between modules, the Lambda environment contract
# the handlers rely on, and the root variables' validation. Run by scripts/terraform_checks.py, which builds the
# stand-in zips this test hashes (../.build/terraform-test-packages).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# Distinct ARNs for the two keys, so wiring one where the other belongs fails.
override_resource {
  target          = module.security.aws_kms_key.tokens
  override_during = plan
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    key_id = "99999999-8888-7777-6666-555555555555"
  }
}

variables {
  name_prefix        = "acme-test"
  lambda_package_dir = "../.build/terraform-test-packages"
  # The account's API Gateway CloudWatch role, as an estate passes it (api_gateway_account.tf's check).
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  notification_email              = "reports@example.com"
  tags                            = { Project = "sp-reports" }
}

run "every_function_is_named_with_the_prefix" {
  command = plan

  assert {
    condition     = length(output.function_names) == 12
    error_message = "The stack must deploy exactly eleven functions."
  }

  assert {
    condition     = alltrue([for name in values(output.function_names) : startswith(name, "acme-test-")])
    error_message = "Every function name must start with the name prefix."
  }

  assert {
    condition     = output.function_names["report_storer"] == "acme-test-report-storer"
    error_message = "Function names must be <prefix>-<function with dashes>."
  }
}

run "tables_bucket_queue_and_topic_are_named_with_the_prefix" {
  command = plan

  assert {
    condition     = output.tokens_table_name == "acme-test-tokens" && output.reports_table_name == "acme-test-reports"
    error_message = "Table names must carry the prefix."
  }

  assert {
    condition     = startswith(output.reports_bucket_name, "acme-test-reports-123456789012-")
    error_message = "The reports bucket name must carry the prefix and the account id."
  }

  assert {
    condition     = startswith(output.artifacts_bucket_name, "acme-test-artifacts-")
    error_message = "The artifacts bucket name must carry the prefix."
  }

  assert {
    condition     = output.spapi_destination_name == "acme-test-notifications"
    error_message = "The SP-API destination name defaults to <prefix>-notifications."
  }
}

run "endpoint_urls_cover_every_route" {
  command = plan

  assert {
    condition     = toset(keys(output.api_endpoint_urls)) == toset(["tokens", "notifications", "reports", "report"])
    error_message = "There must be one endpoint URL per route."
  }

  assert {
    condition     = output.api_endpoint_urls["tokens"] == "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/tokens"
    error_message = "Endpoint URLs must be the stage URL plus the resource path."
  }
}

run "lambda_environment_matches_the_handlers_contract" {
  command = plan

  assert {
    condition = toset(keys(local.function_environment["plans_api"])) == toset([
      "TOKENS_TABLE_NAME", "PULL_PLANS_TABLE_NAME", "REPORTS_TABLE_NAME", "SELLER_DAILY_REPORT_BUDGET",
      "ALLOW_RESTRICTED_REPORT_TYPES", "PULL_PLANNER_MAX_REPORTS_PER_TICK", "PULL_PLANNER_SCHEDULE_EXPRESSION",
    ]) && local.function_environment["plans_api"]["PULL_PLANNER_SCHEDULE_EXPRESSION"] == var.pull_planner_schedule_expression
    error_message = "plans_api environment differs from the contract (src/sp_reports/handlers/plans_api.py)."
  }

  assert {
    condition = [for statement in local.function_policy_statements["plans_api"] : statement.Sid] == [
      "ManagePullPlansAndReadTheirLedger", "ListPullPlans", "ReadReportConversions", "CheckSellersHaveTokens",
      "UseDataKeyOnlyThroughItsServices",
    ] && one([for s in local.function_policy_statements["plans_api"] : s.Resource if s.Sid == "ListPullPlans"]) == "${module.storage.pull_plans_table_arn}/index/seller"
    error_message = "The plans API must hold exactly its plan, listing, conversion-reading and token-existence permissions."
  }

  assert {
    condition = toset(keys(local.function_environment["token_storage"])) == toset([
      "TOKENS_TABLE_NAME", "TOKENS_KMS_KEY_ID", "LWA_CREDENTIALS_SECRET_ARN",
    ])
    error_message = "token_storage environment differs from the contract."
  }

  assert {
    condition = toset(keys(local.function_environment["notifications_subscriber"])) == toset([
      "TOKENS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "NOTIFICATIONS_QUEUE_ARN", "SPAPI_DESTINATION_NAME",
    ])
    error_message = "notifications_subscriber environment differs from the contract."
  }

  assert {
    condition = toset(keys(local.function_environment["report_creator"])) == toset([
      "TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORT_RECORD_TTL_DAYS",
      "SELLER_DAILY_REPORT_BUDGET", "CALLER_DAILY_REPORT_BUDGET",
      "ALLOW_RESTRICTED_REPORT_TYPES",
    ])
    error_message = "report_creator environment differs from the contract."
  }

  assert {
    condition     = local.function_environment["report_creator"]["ALLOW_RESTRICTED_REPORT_TYPES"] == "false"
    error_message = "Restricted (PII) report types must be refused unless the deployment opts in (allow_restricted_report_types)."
  }

  assert {
    condition = toset(keys(local.function_environment["report_status"])) == toset([
      "REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "PRESIGNED_URL_TTL_SECONDS", "DOWNLOAD_LINK_SIGNER_ROLE_ARN",
    ])
    error_message = "report_status environment differs from the contract."
  }

  assert {
    condition = toset(keys(local.function_environment["notifications_processor"])) == toset([
      "REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "PROCESS_UNREQUESTED_REPORTS", "SPAPI_APPLICATION_ID",
      "ALLOW_RESTRICTED_REPORT_TYPES", "TOKENS_TABLE_NAME",
    ])
    error_message = "notifications_processor environment differs from the contract."
  }

  assert {
    condition = toset(keys(local.function_environment["seller_eraser"])) == toset([
      "TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "LWA_CREDENTIALS_SECRET_ARN",
      "NOTIFICATIONS_QUEUE_ARN", "PULL_PLANS_TABLE_NAME",
    ])
    error_message = "seller_eraser environment differs from the contract (src/sp_reports/handlers/seller_eraser.py)."
  }

  assert {
    condition = ([for statement in local.function_policy_statements["seller_eraser"] : statement.Sid] == [
      "ReadEncryptedRefreshTokens", "DecryptRefreshTokensWithSellerContext", "ReadLwaAppCredentials",
      "EraseSellerTokens", "FindAndEraseSellerItems", "FindAndEraseSellerPullPlans", "ListSellerObjectVersions",
      "DeleteSellerObjectVersions", "UseDataKeyOnlyThroughItsServices",
      ] && one([for s in local.function_policy_statements["seller_eraser"] : s.Resource if s.Sid == "DeleteSellerObjectVersions"]) == "${module.storage.reports_bucket_arn}/*"
      && one([for s in local.function_policy_statements["seller_eraser"] : s.Resource if s.Sid == "FindAndEraseSellerPullPlans"]) == [module.storage.pull_plans_table_arn, "${module.storage.pull_plans_table_arn}/index/seller"]
    && one([for s in local.function_policy_statements["seller_eraser"] : s.Action if s.Sid == "FindAndEraseSellerPullPlans"]) == ["dynamodb:Query", "dynamodb:BatchWriteItem"])
    error_message = "The seller eraser must hold exactly its erasure permissions: object deletes on the reports bucket only, pull plan Query and deletes on the pull plans table and its seller index (no Scan)."
  }

  assert {
    condition     = local.function_environment["notifications_processor"]["SPAPI_APPLICATION_ID"] == ""
    error_message = "Without spapi_application_id the processor checks no application id."
  }

  assert {
    condition     = local.state_machine_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:${module.state_machine.state_machine_name}"
    error_message = "The processor's STATE_MACHINE_ARN, built from the name, must name the state machine the state_machine module creates."
  }

  assert {
    condition     = local.function_environment["notifications_processor"]["PROCESS_UNREQUESTED_REPORTS"] == "false"
    error_message = "Unrequested reports are skipped by default."
  }

  assert {
    condition = toset(keys(local.function_environment["report_storer"])) == toset([
      "TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORTS_BUCKET_NAME", "REPORTS_KMS_KEY_ID",
      "TRANSCODE_REPORTS_TO_UTF8", "MAX_DOCUMENT_BYTES",
    ])
    error_message = "report_storer environment differs from the contract."
  }

  assert {
    condition     = local.function_environment["report_storer"]["TRANSCODE_REPORTS_TO_UTF8"] == "false"
    error_message = "Report documents are stored byte for byte by default (transcode_reports_to_utf8 = false)."
  }

  assert {
    condition     = local.function_environment["token_storage"]["TOKENS_KMS_KEY_ID"] == output.tokens_kms_key_arn && output.tokens_kms_key_arn != output.data_kms_key_arn
    error_message = "token_storage must encrypt refresh tokens with the tokens key."
  }

  assert {
    condition     = local.function_environment["report_storer"]["REPORTS_KMS_KEY_ID"] == output.data_kms_key_arn
    error_message = "report_storer must upload with the data key, the one the bucket policy demands."
  }

  assert {
    condition = toset(keys(local.function_environment["report_notifier"])) == toset([
      "REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "EMAIL_DOWNLOAD_LINKS", "PULL_PLANS_TABLE_NAME",
    ])
    error_message = "report_notifier environment differs from the contract (NOTIFICATIONS_TOPIC_ARN comes from the state_machine module; no link signer without email_download_links)."
  }

  assert {
    condition     = local.function_environment["report_notifier"]["EMAIL_DOWNLOAD_LINKS"] == "false" && !contains(local.link_signers, "report_notifier")
    error_message = "Emails carry no presigned link by default, and the notifier may not assume the link signer."
  }

  assert {
    condition = toset(keys(local.function_environment["report_sweeper"])) == toset([
      "TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "LWA_CREDENTIALS_SECRET_ARN",
      "PROCESS_UNREQUESTED_REPORTS", "SWEEP_STUCK_AFTER_HOURS", "SWEEP_AMAZON_GENERATED_REPORT_TYPES",
      "ALLOW_RESTRICTED_REPORT_TYPES",
    ])
    error_message = "report_sweeper environment differs from the contract (src/sp_reports/handlers/report_sweeper.py)."
  }

  assert {
    condition     = local.function_environment["report_sweeper"]["SWEEP_STUCK_AFTER_HOURS"] == "6" && local.function_environment["report_sweeper"]["SWEEP_AMAZON_GENERATED_REPORT_TYPES"] == ""
    error_message = "By default the sweep reports reports unfinished after 6 hours and stores no Amazon-generated report."
  }

  assert {
    condition = toset(keys(local.common_environment)) == toset([
      "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL", "POWERTOOLS_TRACER_CAPTURE_ERROR",
    ])
    error_message = "Without endpoint overrides, only the Powertools settings are common to every function."
  }
}

run "endpoint_overrides_reach_every_function" {
  command = plan

  variables {
    test_endpoint_overrides       = true
    spapi_endpoint_url            = "http://127.0.0.1:8080"
    lwa_endpoint_url              = "http://127.0.0.1:8080/auth/o2/token"
    process_unrequested_reports   = true
    allow_restricted_report_types = true
    email_download_links          = true
    spapi_application_id          = "amzn1.sellerapps.app.aacccfff-4455-4b7c-4422-664ecacdd336"
  }

  assert {
    condition     = local.function_environment["notifications_processor"]["SPAPI_APPLICATION_ID"] == "amzn1.sellerapps.app.aacccfff-4455-4b7c-4422-664ecacdd336"
    error_message = "spapi_application_id must reach the notifications processor."
  }

  assert {
    condition     = local.function_environment["report_creator"]["ALLOW_RESTRICTED_REPORT_TYPES"] == "true"
    error_message = "allow_restricted_report_types must reach the report creator as \"true\"."
  }

  assert {
    condition = toset(keys(local.function_environment["report_notifier"])) == toset([
      "REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "EMAIL_DOWNLOAD_LINKS", "PRESIGNED_URL_TTL_SECONDS", "DOWNLOAD_LINK_SIGNER_ROLE_ARN",
      "PULL_PLANS_TABLE_NAME",
    ]) && local.function_environment["report_notifier"]["EMAIL_DOWNLOAD_LINKS"] == "true" && contains(local.link_signers, "report_notifier")
    error_message = "email_download_links must give the notifier the link signer, the links' lifetime and the switch."
  }

  assert {
    condition     = local.common_environment["SPAPI_ENDPOINT_URL"] == "http://127.0.0.1:8080" && local.common_environment["LWA_ENDPOINT_URL"] == "http://127.0.0.1:8080/auth/o2/token"
    error_message = "Endpoint overrides must be in the environment every function gets."
  }

  assert {
    condition     = local.common_environment["SP_REPORTS_TEST_ENDPOINTS"] == "true"
    error_message = "With test_endpoint_overrides every function must be told it is a test deployment (the code honours the overrides only then)."
  }

  assert {
    condition     = local.function_environment["notifications_processor"]["PROCESS_UNREQUESTED_REPORTS"] == "true"
    error_message = "process_unrequested_reports must reach the processor as \"true\"."
  }
}

run "the_sweep_runs_hourly_as_the_sweeper_with_its_own_permissions" {
  command = plan

  assert {
    condition     = output.sweep_schedule_name == "acme-test-report-sweeper" && output.function_names["report_sweeper"] == "acme-test-report-sweeper"
    error_message = "The sweep's schedule must be named after the sweeper it invokes."
  }

  assert {
    condition     = module.sweep_schedule.errors_alarm_name == "acme-test-report-sweeper-errors"
    error_message = "A failing sweep must raise an alarm."
  }

  # Least privilege: what the sweep reads and writes, and nothing of the bucket, the topic or the queue.
  assert {
    condition = [for statement in local.function_policy_statements["report_sweeper"] : statement.Sid] == [
      "ListSellersWithTokens", "ReadEncryptedRefreshTokens", "DecryptRefreshTokensWithSellerContext",
      "ReadLwaAppCredentials", "TrackReportRecordsAndSweepState", "StartReportWorkflow",
      "FindReportWorkflowExecutions", "UseDataKeyOnlyThroughItsServices",
    ]
    error_message = "The sweeper's statements differ from what the sweep needs."
  }

  assert {
    condition = alltrue([
      for statement in local.function_policy_statements["report_sweeper"] : alltrue([
        for action in flatten([statement.Action]) : contains(["dynamodb", "kms", "secretsmanager", "states"], split(":", action)[0])
      ])
    ])
    error_message = "The sweeper may use DynamoDB, KMS, Secrets Manager and Step Functions only."
  }

  assert {
    condition     = one([for statement in local.function_policy_statements["report_sweeper"] : statement.Action if statement.Sid == "ListSellersWithTokens"]) == "dynamodb:Scan" && one([for statement in local.function_policy_statements["report_sweeper"] : statement.Resource if statement.Sid == "ListSellersWithTokens"]) == module.storage.tokens_table_arn
    error_message = "The sweeper may scan the tokens table only."
  }

  assert {
    condition     = contains(local.token_readers, "report_sweeper") && !contains(local.token_writers, "report_sweeper")
    error_message = "The sweeper decrypts refresh tokens (the key policy names it) and encrypts none."
  }

  # The report creator notes what the sweep looks for, in the sweep's items only.
  assert {
    condition = one([
      for statement in local.functions["report_creator"].policy_statements : statement.Condition
      if statement.Sid == "NoteRequestedReportTypesForTheSweep"
    ]) == { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["sweep-seller#*"] } }
    error_message = "report_creator may update the sweep's seller items only."
  }

  # The report creator takes report type cooldowns, shared with the pull planner, in their items only.
  assert {
    condition = one([
      for statement in local.functions["report_creator"].policy_statements : statement.Condition
      if statement.Sid == "TakeReportTypeCooldowns"
    ]) == { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["report-cooldown#*"] } }
    error_message = "report_creator may update the report type cooldown items only."
  }
}

run "the_sweeps_interval_and_policy_are_variables" {
  command = plan

  variables {
    sweep_schedule_expression           = "rate(15 minutes)"
    sweep_stuck_after_hours             = 12
    sweep_amazon_generated_report_types = ["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", "GET_V2_SETTLEMENT_REPORT_DATA_XML"]
  }

  assert {
    condition     = module.sweep_schedule.schedule_name == "acme-test-report-sweeper"
    error_message = "The schedule must exist whatever its interval."
  }

  assert {
    condition     = local.function_environment["report_sweeper"]["SWEEP_STUCK_AFTER_HOURS"] == "12" && local.function_environment["report_sweeper"]["SWEEP_AMAZON_GENERATED_REPORT_TYPES"] == "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE,GET_V2_SETTLEMENT_REPORT_DATA_XML"
    error_message = "The sweep's policy variables must reach the sweeper."
  }
}

run "a_malformed_sweep_interval_is_rejected" {
  command = plan

  variables {
    sweep_schedule_expression = "hourly"
  }

  expect_failures = [var.sweep_schedule_expression]
}

run "a_malformed_amazon_generated_report_type_is_rejected" {
  command = plan

  variables {
    sweep_amazon_generated_report_types = ["settlement reports"]
  }

  expect_failures = [var.sweep_amazon_generated_report_types]
}

run "lambda_code_is_uploaded_encrypted_under_content_addressed_keys" {
  command = plan

  assert {
    condition     = length(aws_s3_object.lambda) == 12
    error_message = "Every function's zip must be uploaded."
  }

  assert {
    condition     = alltrue([for f, o in aws_s3_object.lambda : can(regex("^lambda/${f}/[0-9a-f]{64}\\.zip$", o.key))])
    error_message = "Zip keys must be lambda/<function>/<sha256>.zip so a new build is a new object."
  }

  assert {
    condition     = alltrue([for o in aws_s3_object.lambda : o.kms_key_id == output.data_kms_key_arn])
    error_message = "Zips must be encrypted with the data key."
  }

  assert {
    condition = alltrue(flatten([
      for rule in aws_s3_bucket_server_side_encryption_configuration.artifacts[0].rule : [
        for d in rule.apply_server_side_encryption_by_default : d.sse_algorithm == "aws:kms" && d.kms_master_key_id == output.data_kms_key_arn
      ]
    ]))
    error_message = "The artifacts bucket must default to SSE-KMS."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.artifacts[0].block_public_policy && aws_s3_bucket_public_access_block.artifacts[0].restrict_public_buckets
    error_message = "The artifacts bucket must block public access."
  }

  assert {
    condition     = jsondecode(aws_s3_bucket_policy.artifacts[0].policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false" && jsondecode(aws_s3_bucket_policy.artifacts[0].policy).Statement[0].Effect == "Deny"
    error_message = "The artifacts bucket must refuse plain HTTP."
  }
}

run "a_malformed_notifications_account_is_rejected" {
  command = plan

  variables {
    spapi_notifications_account_id = "43756800267"
  }

  expect_failures = [var.spapi_notifications_account_id]
}

run "invalid_name_prefix_is_rejected" {
  command = plan

  variables {
    name_prefix = "Bad_Prefix"
  }

  expect_failures = [var.name_prefix]
}

run "presigned_url_lifetime_beyond_role_chaining_limit_is_rejected" {
  command = plan

  variables {
    presigned_url_ttl_seconds = 3601
  }

  expect_failures = [var.presigned_url_ttl_seconds]
}

run "memory_size_for_an_unknown_function_is_rejected" {
  command = plan

  variables {
    lambda_memory_sizes = { report_uploader = 512 }
  }

  expect_failures = [var.lambda_memory_sizes]
}

run "malformed_notification_email_is_rejected" {
  command = plan

  variables {
    notification_email = "not-an-address"
  }

  expect_failures = [var.notification_email]
}

run "reserved_concurrency_reaches_only_the_named_function" {
  command = plan

  variables {
    lambda_reserved_concurrency = { report_storer = 20 }
  }

  assert {
    condition     = local.function_settings["report_storer"].reserved_concurrent_executions == 20 && local.function_settings["notifications_processor"].reserved_concurrent_executions == -1
    error_message = "Reserved concurrency must apply to the named function only."
  }
}

# The event source mapping ignores reserved concurrency: a reservation alone throttles notifications into the DLQ.
run "reserved_concurrency_for_the_processor_without_a_mapping_cap_is_rejected" {
  command = plan

  variables {
    lambda_reserved_concurrency = { notifications_processor = 5 }
  }

  expect_failures = [var.lambda_reserved_concurrency]
}

run "a_mapping_cap_above_the_processor_reservation_is_rejected" {
  command = plan

  variables {
    lambda_reserved_concurrency   = { notifications_processor = 5 }
    processor_maximum_concurrency = 10
  }

  expect_failures = [var.lambda_reserved_concurrency]
}

run "a_processor_reservation_with_a_cap_within_it_is_accepted" {
  command = plan

  variables {
    lambda_reserved_concurrency   = { notifications_processor = 5 }
    processor_maximum_concurrency = 5
  }

  assert {
    condition     = local.function_settings["notifications_processor"].reserved_concurrent_executions == 5
    error_message = "A processor reservation with maximum concurrency within it must be accepted."
  }
}

run "an_lwa_client_id_given_as_the_application_id_is_rejected" {
  command = plan

  variables {
    spapi_application_id = "amzn1.application-oa2-client.0123456789abcdef"
  }

  expect_failures = [var.spapi_application_id]
}

run "processor_maximum_concurrency_above_lambdas_maximum_is_rejected" {
  command = plan

  variables {
    processor_maximum_concurrency = 1001
  }

  expect_failures = [var.processor_maximum_concurrency]
}

run "processor_maximum_concurrency_below_lambdas_minimum_is_rejected" {
  command = plan

  variables {
    processor_maximum_concurrency = 1
  }

  expect_failures = [var.processor_maximum_concurrency]
}

run "reserved_concurrency_for_an_unknown_function_is_rejected" {
  command = plan

  variables {
    lambda_reserved_concurrency = { processor = 5 }
  }

  expect_failures = [var.lambda_reserved_concurrency]
}

run "non_python_runtime_is_rejected" {
  command = plan

  variables {
    lambda_runtime = "nodejs20.x"
  }

  expect_failures = [var.lambda_runtime]
}

# S3 refuses bucket names starting with xn--, sthree- or amzn-s3-demo- (S3 User Guide, "General purpose bucket
# naming rules"); every bucket of the stack starts with "<name_prefix>-".
run "name_prefix_starting_with_the_idn_prefix_is_rejected" {
  command = plan

  variables {
    name_prefix = "xn--reports"
  }

  expect_failures = [var.name_prefix]
}

run "name_prefix_that_makes_bucket_names_start_with_sthree_is_rejected" {
  command = plan

  variables {
    name_prefix = "sthree"
  }

  expect_failures = [var.name_prefix]
}

run "name_prefix_that_makes_bucket_names_start_with_amzn_s3_demo_is_rejected" {
  command = plan

  variables {
    name_prefix = "amzn-s3-demo"
  }

  expect_failures = [var.name_prefix]
}

# The zips carry binary wheels for the runtime and architecture they were built for (manifest.json, written by
# scripts/package_lambdas.py; the stand-ins' manifest says python3.13/x86_64, the defaults).
run "a_runtime_the_zips_were_not_built_for_is_refused" {
  command = plan

  variables {
    lambda_runtime = "python3.12"
  }

  expect_failures = [aws_s3_object.lambda]
}

run "an_architecture_the_zips_were_not_built_for_is_refused" {
  command = plan

  variables {
    lambda_architecture = "arm64"
  }

  expect_failures = [aws_s3_object.lambda]
}

run "transcoding_to_utf8_reaches_the_storer" {
  command = plan

  variables {
    transcode_reports_to_utf8 = true
  }

  assert {
    condition     = local.function_environment["report_storer"]["TRANSCODE_REPORTS_TO_UTF8"] == "true"
    error_message = "transcode_reports_to_utf8 must reach the report_storer's environment as \"true\"."
  }
}

# The account's API Gateway CloudWatch setting is account-wide and not made by the stack: without the role's ARN
# the plan warns (a check block) with what to do, since AWS refuses the stage's access logs without the setting.
run "without_the_account_role_the_plan_says_what_to_do" {
  command = plan

  variables {
    api_gateway_cloudwatch_role_arn = null
  }

  expect_failures = [check.api_gateway_account_has_a_cloudwatch_role]
}

run "an_account_role_that_is_not_a_role_arn_is_rejected" {
  command = plan

  variables {
    api_gateway_cloudwatch_role_arn = "api-gateway-cloudwatch-logs-us-east-1"
  }

  expect_failures = [var.api_gateway_cloudwatch_role_arn]
}

run "a_credentials_version_that_is_not_a_whole_number_of_at_least_one_is_rejected" {
  command = plan

  variables {
    lwa_credentials_version = 1.5
  }

  expect_failures = [var.lwa_credentials_version]
}

run "a_credentials_version_below_one_is_rejected" {
  command = plan

  variables {
    lwa_credentials_version = 0
  }

  expect_failures = [var.lwa_credentials_version]
}


# Seller authorization (Amazon's OAuth authorization workflow) widens the attack surface with two routes that
# need no IAM signature: off unless seller_authorization_redirect_uri is set.
run "seller_authorization_is_off_by_default" {
  command = plan

  assert {
    condition     = !contains(keys(output.function_names), "authorization_login") && !contains(keys(output.function_names), "authorization_redirect")
    error_message = "Without seller_authorization_redirect_uri no authorization function may be deployed."
  }

  assert {
    condition     = output.seller_authorization_uris == null
    error_message = "Without seller_authorization_redirect_uri there are no authorization URIs."
  }

  assert {
    condition     = alltrue([for a in values(module.api.method_authorizations) : a == "AWS_IAM"])
    error_message = "Without seller authorization every method requires AWS_IAM."
  }
}

run "seller_authorization_serves_the_log_in_and_redirect_uris_with_least_privilege" {
  command = plan

  variables {
    seller_authorization_redirect_uri = "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/authorization/redirect"
  }

  assert {
    condition     = output.function_names["authorization_login"] == "acme-test-authorization-login" && output.function_names["authorization_redirect"] == "acme-test-authorization-redirect"
    error_message = "The two authorization functions must be deployed, named with the prefix."
  }

  assert {
    condition     = { for k, a in module.api.method_authorizations : k => a if a != "AWS_IAM" } == { authorization_login = "NONE", authorization_redirect = "NONE" }
    error_message = "Only the two authorization routes may go without AWS_IAM."
  }

  assert {
    condition = [
      for s in jsondecode(module.api.resource_policy).Statement : s.Resource
      if s.Effect == "Allow" && s.Principal == "*"
      ] == [[
        "${module.api.rest_api_execution_arn}/*/GET/authorization/login",
        "${module.api.rest_api_execution_arn}/*/GET/authorization/redirect",
    ]]
    error_message = "The API's resource policy must admit anyone on the two authorization methods only."
  }

  assert {
    condition     = local.function_environment["authorization_login"] == { TOKENS_TABLE_NAME = "acme-test-tokens", SELLER_AUTHORIZATION_REDIRECT_URI = var.seller_authorization_redirect_uri }
    error_message = "The log-in function needs the tokens table and the redirect URI only."
  }

  assert {
    condition = toset(keys(local.function_environment["authorization_redirect"])) == toset([
      "TOKENS_TABLE_NAME", "TOKENS_KMS_KEY_ID", "LWA_CREDENTIALS_SECRET_ARN", "SELLER_AUTHORIZATION_REDIRECT_URI",
    ])
    error_message = "authorization_redirect environment differs from the contract."
  }

  assert {
    # The log-in function creates states only: PutItem on authorization-state# keys, no KMS, no secret.
    condition     = [for s in local.function_policy_statements["authorization_login"] : s.Action if s.Sid != "UseDataKeyOnlyThroughItsServices"] == ["dynamodb:PutItem"] && local.function_policy_statements["authorization_login"][0].Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["authorization-state#*"]
    error_message = "The log-in function may only create authorization states."
  }

  assert {
    condition     = contains(local.token_writers, "authorization_redirect") && !contains(local.token_writers, "authorization_login") && !contains(local.token_readers, "authorization_redirect")
    error_message = "The redirect function encrypts tokens (never decrypts them); the log-in function touches no token."
  }

  assert {
    condition     = output.seller_authorization_uris.login_uri == "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/authorization/login"
    error_message = "The stack must say which log-in URI to register."
  }
}

run "a_seller_authorization_redirect_uri_that_is_not_https_is_rejected" {
  command = plan

  variables {
    seller_authorization_redirect_uri = "http://example.com/authorization/redirect"
  }

  expect_failures = [var.seller_authorization_redirect_uri]
}

run "tenant_isolation_is_off_by_default" {
  command = plan

  assert {
    condition     = module.storage.tenant_map_table_name == null && output.tenant_map_table_name == null
    error_message = "Without tenant_isolation no tenant map table is created."
  }

  assert {
    condition     = alltrue([for f, environment in local.function_environment : !contains(keys(environment), "TENANT_MAP_TABLE_NAME")])
    error_message = "Without tenant_isolation no function is given a tenant map (the API admits every caller its resource policy lets in)."
  }

  assert {
    condition     = alltrue([for f, statements in local.function_policy_statements : !contains(statements[*].Sid, "ReadTenantMap")])
    error_message = "Without tenant_isolation no function may read a tenant map."
  }
}

run "tenant_isolation_gives_every_api_function_the_map_and_nothing_else" {
  command = plan

  variables {
    tenant_isolation = true
  }

  assert {
    condition     = output.tenant_map_table_name == "acme-test-tenants"
    error_message = "The tenant map is <name_prefix>-tenants, given to operators as an output."
  }

  assert {
    condition = alltrue([
      for f in ["token_storage", "notifications_subscriber", "report_creator", "report_status"] :
      local.function_environment[f]["TENANT_MAP_TABLE_NAME"] == "acme-test-tenants"
      && one([for s in local.function_policy_statements[f] : s if s.Sid == "ReadTenantMap"]).Action == "dynamodb:GetItem"
    ])
    error_message = "Every API route checks the tenant map: each API function gets its name and may GetItem it, nothing more."
  }

  assert {
    condition = alltrue([
      for f in ["notifications_processor", "report_storer", "report_notifier", "report_sweeper"] :
      !contains(keys(local.function_environment[f]), "TENANT_MAP_TABLE_NAME") && !contains(local.function_policy_statements[f][*].Sid, "ReadTenantMap")
    ])
    error_message = "Only the API functions read the tenant map."
  }
}
