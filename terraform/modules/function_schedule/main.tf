# What runs a Lambda function on a schedule: an EventBridge Scheduler schedule that invokes it, the schedule's
# role (trusted by Scheduler for this account's schedule group only, allowed to invoke this function only), the
# function's asynchronous-invocation settings, and an alarm when an invocation fails. The function itself is the
# caller's (the root deploys the report sweeper from its function map, group standalone).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # The schedule group the schedule is in ("default": every account has it). Scheduler's requests to assume the
  # role carry this group's ARN as aws:SourceArn ("Confused deputy prevention in EventBridge Scheduler": "The
  # value of aws:SourceArn must be your EventBridge Scheduler schedule group ARN"; "Do not scope the
  # aws:SourceArn statement to a specific schedule").
  schedule_group_name = "default"
  schedule_group_arn  = "arn:${data.aws_partition.current.partition}:scheduler:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:schedule-group/${local.schedule_group_name}"
}

# Scheduler invokes the function asynchronously ("Invoke a Lambda function on a schedule", Lambda Developer
# Guide). A failed run is not retried by Lambda (its default is two retries): the next scheduled run starts over,
# and retries would only repeat the work while the cause persists. The Errors alarm below reports the failure.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name          = var.function_name
  maximum_retry_attempts = 0
}

# The schedule's execution role ("Set up the execution role", EventBridge Scheduler User Guide: the target's
# permission, lambda:InvokeFunction for a Lambda target).
resource "aws_iam_role" "this" {
  name                 = coalesce(var.role_name, "${var.name}-schedule")
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "Role EventBridge Scheduler assumes to invoke ${var.function_name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SchedulerAssumesForThisAccountsScheduleGroupOnly"
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = {
          "aws:SourceAccount" = data.aws_caller_identity.current.account_id
          "aws:SourceArn"     = local.schedule_group_arn
        }
      }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "${aws_iam_role.this.name}-invoke"
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeTheScheduledFunctionOnly"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = var.function_arn
    }]
  })
}

resource "aws_scheduler_schedule" "this" {
  # checkov:skip=CKV_AWS_297:The schedule holds no data but the constant input {} (Scheduler encrypts its payload with an AWS owned key, "Encryption at rest", Scheduler User Guide); a customer managed key would add a key-policy grant and KMS calls per run to protect nothing secret.
  name        = var.name
  group_name  = local.schedule_group_name
  description = var.description

  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.function_arn
    role_arn = aws_iam_role.this.arn
    # The event the function gets: set, so it is the same everywhere (without it Scheduler sends a default
    # notification, Target.Input in the API Reference); the function reads nothing from it.
    input = jsonencode({})

    retry_policy {
      # A run Scheduler could not deliver is not worth delivering late: the next one is due soon.
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }

  # Scheduler checks nothing at creation, but the first run must find the role allowed to invoke.
  depends_on = [aws_iam_role_policy.this]
}

# Always created (its actions only with a topic): whether a resource exists may not wait for an ARN that is
# unknown on a first deployment.
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "The scheduled ${var.function_name} failed: ${var.description}"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = var.function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}
