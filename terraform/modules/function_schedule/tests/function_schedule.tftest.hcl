# Function schedule module with the mocked aws provider: the schedule invokes the function with its own role,
# that role is trusted by EventBridge Scheduler for this account's schedule group only and may invoke this
# function only, a failed run is not retried at once, and failures raise an alarm; an invocation Scheduler could
# not deliver lands in an encrypted dead-letter queue only that role may send to, whose depth raises an alarm.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name            = "acme-test-report-sweeper"
  function_name   = "acme-test-report-sweeper"
  function_arn    = "arn:aws:lambda:us-east-1:123456789012:function:acme-test-report-sweeper"
  description     = "Sweep"
  alarm_topic_arn = "arn:aws:sns:us-east-1:123456789012:acme-test-report-notifications"
}

run "the_schedule_invokes_the_function_hourly_with_a_fixed_input" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.this.schedule_expression == "rate(1 hour)" && aws_scheduler_schedule.this.state == "ENABLED"
    error_message = "By default the schedule must fire every hour."
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].arn == var.function_arn && aws_scheduler_schedule.this.target[0].input == "{}"
    error_message = "The schedule must invoke the function with {} as its event."
  }

  assert {
    condition     = aws_scheduler_schedule.this.name == "acme-test-report-sweeper" && aws_scheduler_schedule.this.group_name == "default"
    error_message = "The schedule must have the given name, in the default group."
  }

  assert {
    condition     = aws_scheduler_schedule.this.flexible_time_window[0].mode == "OFF"
    error_message = "The schedule must fire on time."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.function_name == var.function_name && aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
    error_message = "A failed run must wait for the next schedule, not be retried at once."
  }
}

run "the_interval_is_the_callers" {
  command = plan

  variables {
    schedule_expression = "rate(15 minutes)"
    enabled             = false
  }

  assert {
    condition     = aws_scheduler_schedule.this.schedule_expression == "rate(15 minutes)" && aws_scheduler_schedule.this.state == "DISABLED"
    error_message = "schedule_expression and enabled must reach the schedule."
  }
}

run "the_role_is_trusted_by_scheduler_for_this_accounts_schedule_group_only" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Sid       = "SchedulerAssumesForThisAccountsScheduleGroupOnly"
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = {
          "aws:SourceAccount" = "123456789012"
          "aws:SourceArn"     = "arn:aws:scheduler:us-east-1:123456789012:schedule-group/default"
        }
      }
    }]
    error_message = "Only EventBridge Scheduler, for this account's default schedule group, may assume the schedule's role."
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].role_arn == aws_iam_role.this.arn && aws_iam_role.this.name == "acme-test-report-sweeper-schedule"
    error_message = "The schedule must run as its own role."
  }
}

run "the_role_may_invoke_this_function_and_send_to_its_dlq_and_nothing_else" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [
      {
        Sid      = "InvokeTheScheduledFunctionOnly"
        Effect   = "Allow"
        Action   = "lambda:InvokeFunction"
        Resource = "arn:aws:lambda:us-east-1:123456789012:function:acme-test-report-sweeper"
      },
      {
        Sid      = "SendUndeliveredInvocationsToTheDlq"
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = "arn:aws:sqs:us-east-1:123456789012:acme-test-report-sweeper-dlq"
      },
    ]
    error_message = "Without a key, the schedule's role must allow invoking the scheduled function and sending to its DLQ only."
  }
}

run "undelivered_invocations_go_to_a_dlq_only_the_schedule_sends_to" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.this.target[0].dead_letter_config[0].arn == aws_sqs_queue.dlq.arn && aws_sqs_queue.dlq.name == "acme-test-report-sweeper-dlq"
    error_message = "The schedule's target must name its DLQ."
  }

  assert {
    condition     = aws_sqs_queue.dlq.fifo_queue != true && aws_sqs_queue.dlq.message_retention_seconds == 1209600
    error_message = "Scheduler's DLQ must be a standard queue, kept as long as SQS allows."
  }

  assert {
    condition     = aws_sqs_queue.dlq.sqs_managed_sse_enabled == true && aws_sqs_queue.dlq.kms_master_key_id == null
    error_message = "Without a key the DLQ must still be encrypted (SSE-SQS)."
  }

  assert {
    condition = jsondecode(aws_sqs_queue.dlq.policy).Statement == [
      {
        Sid       = "OnlyThisSchedulesRoleSends"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.this.arn }
        Action    = "sqs:SendMessage"
        Resource  = "arn:aws:sqs:us-east-1:123456789012:acme-test-report-sweeper-dlq"
      },
      {
        Sid       = "NoOtherSender"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:SendMessage"
        Resource  = "arn:aws:sqs:us-east-1:123456789012:acme-test-report-sweeper-dlq"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.this.arn } }
      },
      {
        Sid       = "DenyRequestsWithoutTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = "arn:aws:sqs:us-east-1:123456789012:acme-test-report-sweeper-dlq"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
    error_message = "Only the schedule's role may send to the DLQ, over TLS."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dlq.namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.dlq.metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.dlq.dimensions.QueueName == "acme-test-report-sweeper-dlq" &&
      aws_cloudwatch_metric_alarm.dlq.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.dlq.threshold == 0 &&
      aws_cloudwatch_metric_alarm.dlq.alarm_actions == toset([var.alarm_topic_arn])
    )
    error_message = "Any message in the DLQ must alarm to the topic."
  }
}

run "with_a_key_the_dlq_is_encrypted_with_it_and_the_role_may_use_it_through_sqs" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = aws_sqs_queue.dlq.kms_master_key_id == var.kms_key_arn && aws_sqs_queue.dlq.sqs_managed_sse_enabled != true
    error_message = "The DLQ must be encrypted with the given key."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[2] == {
      Sid       = "EncryptDeadLetterEventsThroughSqsOnly"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      Condition = { StringEquals = { "kms:ViaService" = "sqs.us-east-1.amazonaws.com" } }
    }
    error_message = "Sending to a DLQ under a customer managed key takes kms:GenerateDataKey and kms:Decrypt, through SQS only."
  }
}

run "a_malformed_key_is_refused" {
  command = plan

  variables {
    kms_key_arn = "alias/sp-reports-data"
  }

  expect_failures = [var.kms_key_arn]
}

run "failures_raise_an_alarm" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.errors.namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.errors.metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.errors.dimensions.FunctionName == "acme-test-report-sweeper" &&
      aws_cloudwatch_metric_alarm.errors.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.errors.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.errors.threshold == 0 &&
      aws_cloudwatch_metric_alarm.errors.alarm_actions == toset([var.alarm_topic_arn])
    )
    error_message = "Any error of the scheduled function must alarm to the topic."
  }
}

run "without_a_topic_the_alarm_notifies_nobody" {
  command = plan

  variables {
    alarm_topic_arn = null
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.errors.alarm_actions) == 0 && aws_cloudwatch_metric_alarm.errors.metric_name == "Errors"
    error_message = "Without a topic the alarm must still exist, with no action."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq.alarm_actions) == 0
    error_message = "Without a topic the DLQ alarm must still exist, with no action."
  }
}

run "a_malformed_interval_is_refused" {
  command = plan

  variables {
    schedule_expression = "every hour"
  }

  expect_failures = [var.schedule_expression]
}

run "a_qualified_function_arn_is_refused" {
  command = plan

  variables {
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-test-report-sweeper:live"
  }

  expect_failures = [var.function_arn]
}

run "the_schedule_role_takes_the_given_name_path_and_boundary" {
  command = plan

  variables {
    role_name                 = "acme-test-eu-west-1-report-sweeper-schedule"
    role_path                 = "/estate/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/workload-boundary"
  }

  assert {
    condition     = aws_iam_role.this.name == "acme-test-eu-west-1-report-sweeper-schedule" && aws_iam_role.this.path == "/estate/" && aws_iam_role.this.permissions_boundary == "arn:aws:iam::123456789012:policy/workload-boundary"
    error_message = "The schedule's role must carry the given name, path and permissions boundary."
  }

  assert {
    condition     = aws_scheduler_schedule.this.name == "acme-test-report-sweeper"
    error_message = "The schedule (a regional name) keeps its name."
  }
}

run "by_default_the_role_is_named_after_the_schedule" {
  command = plan

  assert {
    condition     = aws_iam_role.this.name == "acme-test-report-sweeper-schedule" && aws_iam_role.this.path == "/" && aws_iam_role.this.permissions_boundary == null
    error_message = "Without inputs the role is <name>-schedule, with IAM's default path and no boundary."
  }
}

run "a_boundary_that_is_not_a_policy_arn_is_rejected" {
  command = plan

  variables {
    role_permissions_boundary = "workload-boundary"
  }

  expect_failures = [var.role_permissions_boundary]
}
