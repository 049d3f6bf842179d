# State machine module with the mocked aws provider: the rendered ASL, logging without execution data, tracing,
# the encrypted topic and its subscription, least-privilege role, and the alarms.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name_prefix        = "acme-test"
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  notification_email = "reports@example.com"
  dlq_name           = "acme-test-notifications-dlq"
  functions = {
    for f, task in { report_storer = "store", report_converter = "convert", report_notifier = "notify" } : f => {
      task                         = task
      package = {
        s3_bucket     = "acme-test-artifacts"
        s3_key        = "lambda/${f}/0000.zip"
        source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
      }
    }
  }
}

run "the_definition_is_rendered_with_the_function_arns" {
  command = plan

  assert {
    condition     = can(jsondecode(aws_sfn_state_machine.this.definition).States)
    error_message = "The rendered definition must be valid JSON ASL."
  }

  assert {
    condition     = strcontains(aws_sfn_state_machine.this.definition, "arn:aws:lambda:us-east-1:123456789012:function:mock-function") && length(regexall("[$][{]", aws_sfn_state_machine.this.definition)) == 0
    error_message = "Every template variable of the ASL must be replaced by a function ARN."
  }

  assert {
    condition     = aws_sfn_state_machine.this.name == "acme-test-report-workflow" && aws_sfn_state_machine.this.type == "STANDARD"
    error_message = "The state machine must be a prefixed STANDARD workflow."
  }
}

run "task_timeouts_follow_the_function_timeouts" {
  command = plan

  variables {
    functions = {
      for f, timeout in { report_storer = 720, report_converter = 600, report_notifier = 45 } : f => {
        task                            = { report_storer = "store", report_converter = "convert", report_notifier = "notify" }[f]
        timeout                         = timeout
        package = {
          s3_bucket     = "acme-test-artifacts"
          s3_key        = "lambda/${f}/0000.zip"
          source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        }
      }
    }
  }

  assert {
    condition = alltrue([
      for name, state in jsondecode(aws_sfn_state_machine.this.definition).States :
      state.TimeoutSeconds == (strcontains(name, "Store") ? 720 : (strcontains(name, "Convert") ? 600 : 45)) + local.task_timeout_margin_seconds
      if state.Type == "Task"
    ])
    error_message = "Each task's TimeoutSeconds must be its function's timeout plus the margin."
  }

  assert {
    condition = alltrue([
      for name, state in jsondecode(aws_sfn_state_machine.this.definition).States :
      state.TimeoutSeconds > (strcontains(name, "Store") ? 720 : (strcontains(name, "Convert") ? 600 : 45)) && state.TimeoutSeconds <= (strcontains(name, "Store") ? 720 : (strcontains(name, "Convert") ? 600 : 45)) + 60
      if state.Type == "Task"
    ])
    error_message = "Step Functions must wait a little longer than the function may run, not a fixed time."
  }

  assert {
    condition     = local.task_timeout_margin_seconds > 10
    error_message = "The margin must outlast a cold start's Init phase (up to 10 s, not counted in the function's timeout)."
  }
}

run "errors_are_logged_without_execution_data_and_traced" {
  command = plan

  assert {
    condition     = aws_sfn_state_machine.this.logging_configuration[0].level == "ERROR" && !aws_sfn_state_machine.this.logging_configuration[0].include_execution_data
    error_message = "The workflow must log errors without inputs and outputs."
  }

  assert {
    condition     = aws_sfn_state_machine.this.tracing_configuration[0].enabled
    error_message = "X-Ray tracing must be on."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this.name == "/aws/vendedlogs/states/acme-test-report-workflow"
    error_message = "The workflow's log group must be prefixed and KMS-encrypted."
  }
}

run "the_role_may_invoke_only_the_workflow_functions" {
  command = plan

  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Action == "lambda:InvokeFunction"
      ])) == toset([
      "arn:aws:lambda:us-east-1:123456789012:function:mock-function",
      "arn:aws:lambda:us-east-1:123456789012:function:mock-function:*",
    ])
    error_message = "lambda:InvokeFunction must be limited to the workflow's functions."
  }

  assert {
    condition = toset([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid if s.Resource == "*"
    ]) == toset(["DeliverExecutionLogs", "SendTraces"])
    error_message = "Only log delivery and X-Ray (no resource-level permissions) may use Resource \"*\"."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [for a in flatten([s.Action]) : !strcontains(a, "*")]
    ]))
    error_message = "No wildcard actions."
  }
}

run "the_topic_is_encrypted_and_emails_the_address" {
  command = plan

  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == var.kms_key_arn && aws_sns_topic.this.name == "acme-test-report-notifications"
    error_message = "The topic must be prefixed and KMS-encrypted."
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].protocol == "email" && aws_sns_topic_subscription.email[0].endpoint == "reports@example.com"
    error_message = "The notification address must be subscribed by email."
  }

  assert {
    condition     = local.task_environment["notify"]["NOTIFICATIONS_TOPIC_ARN"] == aws_sns_topic.this.arn
    error_message = "The notifier must be told the topic's ARN."
  }
}

run "alarms_on_failures_and_a_non_empty_dlq_go_to_the_topic" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.executions_failed.metric_name == "ExecutionsFailed" && aws_cloudwatch_metric_alarm.executions_failed.alarm_actions == toset([aws_sns_topic.this.arn])
    error_message = "Failed executions must alarm to the topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.executions_timed_out.metric_name == "ExecutionsTimedOut" && aws_cloudwatch_metric_alarm.executions_timed_out.threshold == 0
    error_message = "Timed-out executions must alarm on the first one."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_not_empty[0].dimensions["QueueName"] == "acme-test-notifications-dlq" && aws_cloudwatch_metric_alarm.dlq_not_empty[0].comparison_operator == "GreaterThanThreshold"
    error_message = "A message in the DLQ must raise an alarm."
  }

  assert {
    condition     = alltrue([for name in output.alarm_names : startswith(name, "acme-test-")])
    error_message = "Alarm names must carry the prefix."
  }
}

run "without_an_address_or_dlq_nothing_is_subscribed_or_watched" {
  command = plan

  variables {
    notification_email = null
    dlq_name           = null
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0 && length(aws_cloudwatch_metric_alarm.dlq_not_empty) == 0
    error_message = "No subscription without an address and no DLQ alarm without a DLQ."
  }
}

run "a_malformed_email_is_rejected" {
  command = plan

  variables {
    notification_email = "reports-at-example"
  }

  expect_failures = [var.notification_email]
}

run "unknown_workflow_functions_are_rejected" {
  command = plan

  variables {
    functions = {
      report_storer = {
        task    = "store"
        package = { s3_bucket = "b", s3_key = "k", source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
      }
    }
  }

  expect_failures = [var.functions]
}

run "the_state_machine_role_takes_the_given_name_path_and_boundary" {
  command = plan

  variables {
    role_name                 = "acme-test-eu-west-1-report-workflow"
    role_path                 = "/estate/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/workload-boundary"
  }

  assert {
    condition     = aws_iam_role.this.name == "acme-test-eu-west-1-report-workflow" && aws_iam_role.this.path == "/estate/" && aws_iam_role.this.permissions_boundary == "arn:aws:iam::123456789012:policy/workload-boundary"
    error_message = "The state machine's role must carry the given name, path and permissions boundary."
  }

  assert {
    condition     = aws_sfn_state_machine.this.name == "acme-test-report-workflow"
    error_message = "The state machine (a regional name) keeps name_prefix."
  }
}

run "by_default_the_role_is_named_like_the_state_machine" {
  command = plan

  assert {
    condition     = aws_iam_role.this.name == "acme-test-report-workflow" && aws_iam_role.this.path == "/" && aws_iam_role.this.permissions_boundary == null
    error_message = "Without inputs the role is named like the state machine, with IAM's default path and no boundary."
  }
}

run "a_role_name_beyond_iams_64_characters_is_rejected" {
  command = plan

  variables {
    role_name = "a-role-name-of-sixty-five-characters-is-one-more-than-iam-allows1"
  }

  expect_failures = [var.role_name]
}

# Every message carries a download link: subscriptions only by the allowed protocols (email by default) and
# only by the stack's principals.
run "only_email_subscriptions_by_the_accounts_principals_by_default" {
  command = plan

  assert {
    condition = length([
      for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : s
      if s.Effect == "Deny" && s.Principal == "*" && s.Action == "sns:Subscribe"
      && try(tolist(s.Condition.StringNotEquals["sns:Protocol"]), []) == tolist(["email"])
    ]) == 1
    error_message = "The topic policy must deny subscriptions whose protocol is not email."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : s
      if s.Effect == "Deny" && s.Action == "sns:Subscribe"
      && try(tolist(s.Condition.StringNotEquals["aws:PrincipalAccount"]), []) == tolist(["123456789012"])
    ]) == 1
    error_message = "The topic policy must deny subscriptions by principals of other accounts."
  }
}

run "the_listed_subscribers_and_protocols_alone_subscribe" {
  command = plan

  variables {
    subscription_protocols    = ["email", "sqs"]
    subscriber_principal_arns = ["arn:aws:iam::123456789012:role/ops"]
  }

  assert {
    condition = length([
      for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : s
      if s.Effect == "Deny" && s.Action == "sns:Subscribe"
      && try(tolist(s.Condition.ArnNotLike["aws:PrincipalArn"]), []) == var.subscriber_principal_arns
    ]) == 1
    error_message = "Given subscribers, the topic policy must deny subscriptions by every other principal."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : s
      if s.Effect == "Deny" && try(tolist(s.Condition.StringNotEquals["sns:Protocol"]), []) == tolist(["email", "sqs"])
    ]) == 1
    error_message = "subscription_protocols must become the allowed protocols."
  }
}

run "plain_http_subscriptions_are_rejected" {
  command = plan

  variables {
    subscription_protocols = ["email", "http"]
  }

  expect_failures = [var.subscription_protocols]
}

run "any_endpoint_of_the_allowed_protocols_by_default" {
  command = plan

  assert {
    condition = length([
      for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : s
      if can(s.Condition.StringNotLike["sns:Endpoint"])
    ]) == 0
    error_message = "Without subscription_endpoints the topic policy must not limit endpoints."
  }
}

run "the_listed_endpoints_alone_subscribe" {
  command = plan

  variables {
    subscription_endpoints = ["*@example.com", "arn:aws:sqs:us-east-1:123456789012:ops-*"]
  }

  assert {
    condition = length([
      for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : s
      if s.Effect == "Deny" && s.Principal == "*" && s.Action == "sns:Subscribe"
      && try(tolist(s.Condition.StringNotLike["sns:Endpoint"]), []) == var.subscription_endpoints
    ]) == 1
    error_message = "Given endpoint patterns, the topic policy must deny subscriptions to every other endpoint."
  }
}

run "a_bare_wildcard_endpoint_is_refused" {
  command = plan

  variables {
    subscription_endpoints = ["*"]
  }

  expect_failures = [var.subscription_endpoints]
}

run "a_stored_report_is_converted_and_a_failed_conversion_still_announces_it" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.StoreReport.Next == "ConvertReport"
      && jsondecode(aws_sfn_state_machine.this.definition).States.ConvertReport.Next == "NotifyReady"
      && jsondecode(aws_sfn_state_machine.this.definition).States.StoreErrorDocument.Next == "NotifyFailed"
    )
    error_message = "A stored DONE report must be converted before NotifyReady; an error document never is."
  }

  assert {
    condition = [
      for c in jsondecode(aws_sfn_state_machine.this.definition).States.ConvertReport.Catch : [c.ErrorEquals, c.ResultPath, c.Next]
    ] == [[["States.ALL"], "$.conversion", "NotifyReady"]]
    error_message = "Every conversion error must go to NotifyReady, kept under $.conversion: a good raw file never fails the workflow."
  }
}

run "conversion_is_a_state_between_storing_and_announcing" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.StoreReport.Next == "ConvertReport"
      && jsondecode(aws_sfn_state_machine.this.definition).States.ConvertReport.Next == "NotifyReady"
      && length(jsondecode(aws_iam_role_policy.this.policy).Statement[0].Resource) == 6
    )
    error_message = "With conversion enabled, StoreReport -> ConvertReport -> NotifyReady, and the role may invoke the three functions (each unqualified and qualified)."
  }
}

run "without_conversion_a_stored_report_is_announced_directly" {
  command = plan

  variables {
    conversion_enabled = false
  }

  assert {
    condition = (
      contains(keys(jsondecode(aws_sfn_state_machine.this.definition).States), "ConvertReport") == false
      && jsondecode(aws_sfn_state_machine.this.definition).States.StoreReport.Next == "NotifyReady"
      && jsondecode(aws_sfn_state_machine.this.definition).States.StoreReport.Retry == local.workflow.States.StoreReport.Retry
      && length(jsondecode(aws_sfn_state_machine.this.definition).States) == length(local.workflow.States) - 1
      && strcontains(aws_sfn_state_machine.this.definition, "ConvertReport") == false
    )
    error_message = "Without conversion the workflow is the same but for ConvertReport: StoreReport goes to NotifyReady."
  }

  assert {
    # The mocked provider gives every function the same ARN: the statement lists the storer's and the
    # notifier's, unqualified and qualified, and not the converter's.
    condition     = length(jsondecode(aws_iam_role_policy.this.policy).Statement[0].Resource) == 4 && keys(local.invoked_functions) == ["report_notifier", "report_storer"]
    error_message = "Without conversion the state machine may not invoke the converter."
  }
}
