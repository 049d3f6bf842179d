# Scheduled function module with the mocked aws provider: the schedule invokes the function with its role, that
# role is trusted by EventBridge Scheduler for this account's schedule group only and may invoke this function
# only, the function runs as its own role with the caller's statements, and its failures raise an alarm.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name_prefix     = "acme-test"
  kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  function_key    = "report_sweeper"
  alarm_topic_arn = "arn:aws:sns:us-east-1:123456789012:acme-test-report-notifications"
  function = {
    description = "Sweep"
    package = {
      s3_bucket     = "acme-test-artifacts"
      s3_key        = "lambda/report_sweeper/0000.zip"
      source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    }
  }
  policy_statements = [{
    Sid      = "ReadReportRecords"
    Effect   = "Allow"
    Action   = "dynamodb:GetItem"
    Resource = "arn:aws:dynamodb:us-east-1:123456789012:table/acme-test-reports"
  }]
}

run "the_schedule_invokes_the_function_hourly_with_a_fixed_input" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.this.schedule_expression == "rate(1 hour)" && aws_scheduler_schedule.this.state == "ENABLED"
    error_message = "By default the schedule must fire every hour."
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].arn == "arn:aws:lambda:us-east-1:123456789012:function:mock-function" && aws_scheduler_schedule.this.target[0].input == "{}"
    error_message = "The schedule must invoke the function with {} as its event."
  }

  assert {
    condition     = aws_scheduler_schedule.this.name == "acme-test-report-sweeper" && aws_scheduler_schedule.this.group_name == "default"
    error_message = "The schedule must be named after the function, in the default group."
  }

  assert {
    condition     = aws_scheduler_schedule.this.flexible_time_window[0].mode == "OFF"
    error_message = "The schedule must fire on time."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
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

run "the_schedules_role_is_trusted_by_scheduler_for_this_account_only" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.schedule.assume_role_policy).Statement == [{
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
    condition     = aws_scheduler_schedule.this.target[0].role_arn == aws_iam_role.schedule.arn
    error_message = "The schedule must run as its own role."
  }
}

run "the_schedules_role_may_invoke_this_function_and_nothing_else" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.schedule.policy).Statement == [{
      Sid      = "InvokeTheScheduledFunctionOnly"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = "arn:aws:lambda:us-east-1:123456789012:function:mock-function"
    }]
    error_message = "The schedule's role must allow lambda:InvokeFunction on the scheduled function only."
  }
}

run "the_function_runs_as_a_role_of_its_own" {
  command = plan

  assert {
    condition     = module.function.function_name == "acme-test-report-sweeper"
    error_message = "The function must be named after its key."
  }

  # The role (created by lambda_function with the caller's statements) is the function's own, not the
  # schedule's: the schedule's role can invoke, the function's does the work.
  assert {
    condition     = module.function.function_role_arn == "arn:aws:iam::123456789012:role/acme-test-report-sweeper" && module.function.function_role_arn != aws_iam_role.schedule.arn
    error_message = "The function must run as a role of its own, named after it."
  }
}

run "failures_raise_an_alarm" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.errors[0].namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.errors[0].metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.errors[0].dimensions.FunctionName == "acme-test-report-sweeper" &&
      aws_cloudwatch_metric_alarm.errors[0].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.errors[0].threshold == 0 &&
      aws_cloudwatch_metric_alarm.errors[0].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:acme-test-report-notifications"])
    )
    error_message = "Any error of the scheduled function must alarm to the topic."
  }
}

run "no_topic_no_alarm" {
  command = plan

  variables {
    alarm_topic_arn = null
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.errors) == 0
    error_message = "Without a topic there is no alarm."
  }
}

run "a_malformed_interval_is_refused" {
  command = plan

  variables {
    schedule_expression = "every hour"
  }

  expect_failures = [var.schedule_expression]
}
