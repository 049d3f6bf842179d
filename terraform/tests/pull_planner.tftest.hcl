# The pull planner with the mocked aws provider: its function, its schedule (one for the fleet) and the
# variables that tune it, the least-privilege statements of the functions that write the pull plans ledger, the
# parked-windows alarm and the operator's dashboard. Run by scripts/terraform_checks.py.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# A table ARN of its own, so a statement on another table cannot pass for one on the pull plans table.
override_resource {
  target          = module.storage.aws_dynamodb_table.pull_plans
  override_during = plan
  values = {
    arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/acme-test-pull-plans"
    name = "acme-test-pull-plans"
  }
}

variables {
  name_prefix        = "acme-test"
  lambda_package_dir = "../.build/terraform-test-packages"
  # The account's API Gateway CloudWatch role, as an estate passes it (api_gateway_account.tf's check).
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  notification_email              = "reports@example.com"
}

run "the_planner_ticks_every_five_minutes_with_a_cap_of_200_reports" {
  command = plan

  assert {
    condition     = output.function_names["pull_planner"] == "acme-test-pull-planner" && output.pull_planner_schedule_name == "acme-test-pull-planner"
    error_message = "The planner is a standalone function with its own schedule, named after it."
  }

  assert {
    condition     = module.pull_planner_schedule.schedule_name == "acme-test-pull-planner" && var.pull_planner_schedule_expression == "rate(5 minutes)"
    error_message = "By default the planner ticks every five minutes."
  }

  assert {
    condition     = module.pull_planner_schedule.errors_alarm_name == "acme-test-pull-planner-errors" && module.pull_planner_schedule.dlq_alarm_name != ""
    error_message = "A failing tick and an undelivered invocation must raise alarms."
  }

  assert {
    condition = toset(keys(local.function_environment["pull_planner"])) == toset([
      "TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "PULL_PLANS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORTS_BUCKET_NAME",
      "REPORTS_KMS_KEY_ID", "REPORT_RECORD_TTL_DAYS", "PULL_PLANNER_MAX_REPORTS_PER_TICK", "STATE_MACHINE_ARN",
    ])
    error_message = "pull_planner environment differs from the contract (src/sp_reports/handlers/pull_planner.py)."
  }

  assert {
    condition     = local.function_environment["pull_planner"]["PULL_PLANNER_MAX_REPORTS_PER_TICK"] == "200" && local.function_environment["pull_planner"]["PULL_PLANS_TABLE_NAME"] == output.pull_plans_table_name
    error_message = "The planner starts at most 200 reports per tick by default, and reads the pull plans table."
  }

  assert {
    condition     = local.function_settings["pull_planner"].timeout == 300 && module.standalone_function["pull_planner"].function_name == "acme-test-pull-planner"
    error_message = "The planner runs five minutes at most (a tick stops a minute before)."
  }

  assert {
    condition     = output.iam_role_names["pull_planner_schedule"] == "acme-test-us-east-1-pull-planner-schedule"
    error_message = "The planner's schedule has a role of its own."
  }
}

run "the_interval_and_the_cap_are_variables" {
  command = plan

  variables {
    pull_planner_schedule_expression  = "rate(2 minutes)"
    pull_planner_max_reports_per_tick = 50
  }

  assert {
    condition     = local.function_environment["pull_planner"]["PULL_PLANNER_MAX_REPORTS_PER_TICK"] == "50"
    error_message = "pull_planner_max_reports_per_tick must reach the planner."
  }

  assert {
    condition     = module.pull_planner_schedule.schedule_name == "acme-test-pull-planner"
    error_message = "The schedule must exist whatever its interval."
  }
}

run "a_malformed_interval_is_refused" {
  command = plan

  variables {
    pull_planner_schedule_expression = "every 5 minutes"
  }

  expect_failures = [var.pull_planner_schedule_expression]
}

run "a_cap_of_zero_or_a_fraction_is_refused" {
  command = plan

  variables {
    pull_planner_max_reports_per_tick = 0.5
  }

  expect_failures = [var.pull_planner_max_reports_per_tick]
}

run "the_planner_and_the_notifier_touch_only_the_plans_items" {
  command = plan

  # The planner: what a tick needs, nothing of the queue, the topic or Step Functions.
  assert {
    condition = [for statement in local.function_policy_statements["pull_planner"] : statement.Sid] == [
      "ReadEncryptedRefreshTokens", "DecryptRefreshTokensWithSellerContext", "ReadLwaAppCredentials",
      "FindDuePullPlans", "TrackPullPlanWindows", "ListPullPlanLedgers", "RecordPlannedReports",
      "ForgetSettledRequestIntents", "TellMissingWindowObjectsFromForbiddenOnes", "ReadStoredReportsAndManifests",
      "WritePullWindowObjects", "StartReportWorkflow", "FindReportWorkflowExecutions",
      "UseDataKeyOnlyThroughItsServices",
    ]
    error_message = "The planner's statements differ from what a tick needs."
  }

  assert {
    condition = alltrue([
      for statement in local.function_policy_statements["pull_planner"] : alltrue([
        for action in flatten([statement.Action]) : contains(["dynamodb", "kms", "secretsmanager", "s3", "states"], split(":", action)[0])
      ])
    ])
    error_message = "The planner may use DynamoDB, KMS, Secrets Manager, S3 and Step Functions (a discovered report's workflow) only."
  }

  # Every statement on the pull plans table is held to the plans' items (plan#...), but the due index's Query,
  # which is on the index only.
  assert {
    condition = alltrue([
      for statement in local.function_policy_statements["pull_planner"] :
      try(statement.Condition, null) == { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["plan#*"] } }
      if try(statement.Resource, null) == module.storage.pull_plans_table_arn
    ]) && one([for statement in local.function_policy_statements["pull_planner"] : statement.Resource if statement.Sid == "FindDuePullPlans"]) == "${module.storage.pull_plans_table_arn}/index/due"
    error_message = "The planner may touch only the plans' items of the pull plans table, and query only its due index."
  }

  assert {
    condition     = one([for statement in local.function_policy_statements["pull_planner"] : statement.Resource if statement.Sid == "WritePullWindowObjects"]) == "${module.storage.reports_bucket_arn}/plans/*"
    error_message = "The planner writes objects under plans/ only."
  }

  assert {
    condition     = contains(local.token_readers, "pull_planner") && !contains(local.token_writers, "pull_planner")
    error_message = "The planner decrypts refresh tokens (the key policy names it) and encrypts none."
  }

  # The notifier settles a window's ledger entry: GetItem and UpdateItem on the plans' items only.
  assert {
    condition = one([
      for statement in local.function_policy_statements["report_notifier"] : statement
      if statement.Sid == "TrackPullPlanWindows"
      ]) == {
      Sid       = "TrackPullPlanWindows"
      Effect    = "Allow"
      Action    = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
      Resource  = module.storage.pull_plans_table_arn
      Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["plan#*"] } }
    }
    error_message = "The notifier may read and settle the plans' ledger items only."
  }

  assert {
    condition     = local.function_environment["report_notifier"]["PULL_PLANS_TABLE_NAME"] == output.pull_plans_table_name
    error_message = "The notifier settles windows in the pull plans table."
  }

  # Only the planner, the notifier, the eraser (a seller's plans go with the seller) and the plans API may touch the table.
  assert {
    condition = toset([
      for f, statements in local.function_policy_statements : f
      if anytrue([for statement in statements : anytrue([for resource in flatten([statement.Resource]) : startswith(resource, module.storage.pull_plans_table_arn)])])
    ]) == toset(["pull_planner", "report_notifier", "seller_eraser", "plans_api"])
    error_message = "Only the planner, the notifier, the seller eraser and the plans API may use the pull plans table."
  }
}

run "parked_windows_raise_an_alarm_and_the_dashboard_shows_the_pipeline" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.pull_windows_parked.metric_name == "WindowsParked"
      && aws_cloudwatch_metric_alarm.pull_windows_parked.namespace == var.metrics_namespace
      && aws_cloudwatch_metric_alarm.pull_windows_parked.dimensions == tomap({ service = "acme-test" })
      && aws_cloudwatch_metric_alarm.pull_windows_parked.threshold == 0
      && aws_cloudwatch_metric_alarm.pull_windows_parked.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.pull_windows_parked.treat_missing_data == "notBreaching"
    )
    error_message = "A parked window (the WindowsParked metric of the functions' service) must raise the alarm."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.pull_windows_parked.alarm_actions) == 1 && output.pull_windows_parked_alarm_name == "acme-test-pull-windows-parked"
    error_message = "The parked-windows alarm notifies the report topic."
  }

  assert {
    condition     = output.pull_plans_dashboard_name == "acme-test-pull-plans" && length(jsondecode(aws_cloudwatch_dashboard.pull_plans.dashboard_body).widgets) == 6
    error_message = "The dashboard has its six widgets."
  }

  assert {
    condition = alltrue([
      for name in ["WindowsStored", "WindowsParked", "ReportsDelivered", "ReportsFailed", "ApproximateNumberOfMessagesVisible", "Errors", "Duration", "ReportsDiscovered", "DiscoveredReportsNearExpiry"] :
      strcontains(aws_cloudwatch_dashboard.pull_plans.dashboard_body, "\"${name}\"")
    ])
    error_message = "The dashboard shows windows stored and parked, reports by outcome, queue depths, the planner's and sweep's errors and duration, and discover plans' reports found and near expiry."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.pull_plans.dashboard_body, "acme-test-pull-planner") && strcontains(aws_cloudwatch_dashboard.pull_plans.dashboard_body, "acme-test-report-sweeper")
    error_message = "The dashboard names the planner and the sweeper."
  }
}

run "discovered_reports_near_expiry_raise_an_alarm" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.pull_reports_near_expiry.metric_name == "DiscoveredReportsNearExpiry"
      && aws_cloudwatch_metric_alarm.pull_reports_near_expiry.namespace == var.metrics_namespace
      && aws_cloudwatch_metric_alarm.pull_reports_near_expiry.dimensions == tomap({ service = "acme-test" })
      && aws_cloudwatch_metric_alarm.pull_reports_near_expiry.threshold == 0
      && aws_cloudwatch_metric_alarm.pull_reports_near_expiry.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.pull_reports_near_expiry.treat_missing_data == "notBreaching"
    )
    error_message = "A discovered report not stored near SP-API's retention (the DiscoveredReportsNearExpiry metric of the functions' service) must raise the alarm."
  }

  assert {
    # Discovery counts every 30 minutes per plan (DISCOVERY_INTERVAL): an hour always holds a point.
    condition     = aws_cloudwatch_metric_alarm.pull_reports_near_expiry.period >= 3600
    error_message = "The alarm's period must hold at least one discovery of each plan."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.pull_reports_near_expiry.alarm_actions) == 1 && output.pull_reports_near_expiry_alarm_name == "acme-test-pull-reports-near-expiry"
    error_message = "The near-expiry alarm notifies the report topic."
  }

  assert {
    condition = alltrue([
      for statement in ["StartReportWorkflow", "FindReportWorkflowExecutions"] :
      contains([for s in local.function_policy_statements["pull_planner"] : s.Sid], statement)
    ])
    error_message = "The planner starts (and finds) a discovered report's store workflow."
  }
}
