# What runs a Lambda function on a schedule: an EventBridge Scheduler schedule that invokes it, the schedule's
# role (trusted by Scheduler for this account's schedule group only, allowed to invoke this function only), the
# function's asynchronous-invocation settings, an alarm when a run fails, and a dead-letter queue with an alarm
# for the invocations Scheduler could not deliver at all. The function itself is the caller's (the root deploys
# the report sweeper from its function map, group standalone).

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

  # Built from the name so the role's policy and the queue's own policy need not wait for the queue.
  dlq_name = "${var.name}-dlq"
  dlq_arn  = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:${local.dlq_name}"
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
    Statement = concat([
      {
        Sid      = "InvokeTheScheduledFunctionOnly"
        Effect   = "Allow"
        Action   = "lambda:InvokeFunction"
        Resource = var.function_arn
      },
      # Scheduler sends a dead-letter event with the schedule's execution role ("Configuring a dead-letter
      # queue for a schedule", EventBridge Scheduler User Guide, "Set up execution role permissions":
      # https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
      {
        Sid      = "SendUndeliveredInvocationsToTheDlq"
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = local.dlq_arn
      }],
      # A producer of a queue encrypted with a customer managed key needs kms:GenerateDataKey and kms:Decrypt
      # on it (Amazon SQS Developer Guide, "Amazon SQS Key management", producer permissions:
      # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
      # the key's policy must honour this account's IAM policies (the stack's data key does).
      [for key in [var.kms_key_arn] : {
        Sid       = "EncryptDeadLetterEventsThroughSqsOnly"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = key
        Condition = { StringEquals = { "kms:ViaService" = "sqs.${data.aws_region.current.id}.amazonaws.com" } }
      } if key != null],
    )
  })
}

# Where Scheduler puts an invocation it could not deliver after its retries (the role could not invoke, the
# function was throttled or missing, the event grew too old); without it the invocation is dropped and the
# function's Errors alarm never sees it. A standard queue: Scheduler does not support a FIFO DLQ (same page).
resource "aws_sqs_queue" "dlq" {
  name                              = local.dlq_name
  message_retention_seconds         = 1209600 # SQS's maximum (14 days): time to read why before it is gone
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 3600
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyThisSchedulesRoleSends"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.this.arn }
        Action    = "sqs:SendMessage"
        Resource  = local.dlq_arn
      },
      {
        Sid       = "NoOtherSender"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone but the schedule's role: nothing else may fill the DLQ
        Action    = "sqs:SendMessage"
        Resource  = local.dlq_arn
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.this.arn } }
      },
      {
        Sid       = "DenyRequestsWithoutTls"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone: no principal may use plain HTTP
        Action    = "sqs:*"
        Resource  = local.dlq_arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  tags = var.tags
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

    dead_letter_config {
      arn = aws_sqs_queue.dlq.arn
    }

    retry_policy {
      # A run Scheduler could not deliver is not worth delivering late: the next one is due soon.
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }

  # Scheduler checks nothing at creation, but the first run must find the role allowed to invoke (and to send
  # to the DLQ).
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

# An undelivered invocation in the DLQ. Scheduler's own failure metrics (AWS/Scheduler InvocationDroppedCount,
# InvocationsSentToDeadLetterCount...) have ScheduleGroup as their only dimension ("Monitoring Amazon
# EventBridge Scheduler with Amazon CloudWatch", EventBridge Scheduler User Guide:
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html), and this schedule shares
# the default group with every other schedule of the account, so this queue's depth is what says it is ours.
resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "${local.dlq_name}-not-empty"
  alarm_description   = "EventBridge Scheduler could not invoke ${var.function_name} (${var.description}): the dead-letter event in ${local.dlq_name} says why."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}
