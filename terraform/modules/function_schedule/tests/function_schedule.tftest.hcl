# Function schedule module with the mocked aws provider: the schedule invokes the function with its own role,
# that role is trusted by EventBridge Scheduler for this account's schedule group only and may invoke this
# function only, a failed run is not retried at once, and failures raise an alarm.

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

run "the_role_may_invoke_this_function_and_nothing_else" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [{
      Sid      = "InvokeTheScheduledFunctionOnly"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = "arn:aws:lambda:us-east-1:123456789012:function:acme-test-report-sweeper"
    }]
    error_message = "The schedule's role must allow lambda:InvokeFunction on the scheduled function only."
  }
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
