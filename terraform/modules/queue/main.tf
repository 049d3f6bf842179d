# Queue: the Standard SQS queue SP-API delivers notifications to, its dead-letter queue, and the processor Lambda
# reading it with partial batch responses.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  queue_name = "${var.name_prefix}-notifications"
  # Built from the name so the policy can be part of CreateQueue (a queue policy naming the queue's own ARN
  # attribute would be a cycle): SP-API can send from the moment the queue exists, and no separate policy
  # resource waits for SQS attribute propagation.
  queue_arn = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:${local.queue_name}"
  dlq_name  = "${var.name_prefix}-notifications-dlq"
  dlq_arn   = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:${local.dlq_name}"

  minimum_visibility_timeout = 6 * var.processor.timeout
  visibility_timeout         = coalesce(var.visibility_timeout_seconds, local.minimum_visibility_timeout)
}

resource "aws_sqs_queue" "dlq" {
  name                              = local.dlq_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 3600
  tags                              = var.tags
}

resource "aws_sqs_queue" "this" {
  name = local.queue_name
  # SP-API delivers only to Standard queues; a FIFO destination receives nothing.
  fifo_queue                        = false
  message_retention_seconds         = var.message_retention_seconds
  visibility_timeout_seconds        = local.visibility_timeout
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 3600
  # SQS refuses a redrive policy whose DLQ does not exist yet, so the DLQ is created first.
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = var.max_receive_count })
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "SpApiSendsNotifications"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${var.spapi_notifications_account_id}:root" }
        Action    = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
        Resource  = local.queue_arn
      }],
      # Test only (an acceptance run's SP-API emulator): these roles send as SP-API would. Encrypting the
      # message also takes kms:GenerateDataKey and kms:Decrypt on the queue's key (Amazon SQS Developer Guide,
      # "Amazon SQS Key management", producer permissions:
      # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
      # the roles are of this account, whose IAM policies the data key's policy honours
      # (EnableIamPoliciesOfThisAccount), so the roles' own policies grant that, through SQS only.
      [for senders in [var.test_sender_role_arns] : {
        Sid       = "TestSendersSendNotifications"
        Effect    = "Allow"
        Principal = { AWS = senders }
        Action    = "sqs:SendMessage"
        Resource  = local.queue_arn
      } if length(senders) > 0],
      [{
        Sid       = "DenyRequestsWithoutTls"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone: no principal may use plain HTTP
        Action    = "sqs:*"
        Resource  = local.queue_arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }],
    )
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.visibility_timeout >= local.minimum_visibility_timeout
      error_message = "visibility_timeout_seconds must be at least 6x the processor timeout, or messages are redelivered while still being processed."
    }
  }
}

module "processor" {
  source = "../lambda_function"

  function_name = coalesce(var.processor.function_name, "${var.name_prefix}-notifications-processor")
  description   = var.processor.description
  handler       = var.processor.handler
  runtime       = var.processor.runtime
  architecture  = var.processor.architecture
  # Consuming the queue is what the event source mapping needs (Lambda checks the role when the mapping is
  # created: sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes; Lambda Developer Guide,
  # "Creating and configuring an Amazon SQS event source mapping",
  # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), so this module grants it.
  policy_statements = concat([{
    Sid      = "ConsumeNotificationQueue"
    Effect   = "Allow"
    Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    Resource = aws_sqs_queue.this.arn
  }], var.processor_policy_statements)
  memory_size                    = var.processor.memory_size
  timeout                        = var.processor.timeout
  reserved_concurrent_executions = var.processor.reserved_concurrent_executions
  log_retention_days             = var.processor.log_retention_days
  environment_variables          = var.processor.environment_variables
  role_name                      = var.processor.role_name
  role_path                      = var.role_path
  role_permissions_boundary      = var.role_permissions_boundary
  vpc_subnet_ids                 = var.processor.vpc_subnet_ids
  vpc_security_group_ids         = var.processor.vpc_security_group_ids
  code_signing_config_arn        = var.processor.code_signing_config_arn
  kms_key_arn                    = var.kms_key_arn
  package                        = var.processor.package
  tags                           = var.tags
}

resource "aws_lambda_event_source_mapping" "processor" {
  event_source_arn                   = aws_sqs_queue.this.arn
  function_name                      = module.processor.function_arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_seconds
  # Only the failed messages of a batch return to the queue.
  function_response_types = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.maximum_concurrency == null ? [] : [var.maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }

  tags = var.tags

  # The role must be allowed to consume the queue before the mapping is created (see the processor's
  # statements); the function waits for its policy, this names the whole module to say so.
  depends_on = [module.processor]

  lifecycle {
    # The mapping does not account for the function's reserved concurrency (AWS re:Post knowledge center
    # "lambda-sqs-scaling"): what it polls beyond the reservation is throttled, returns to the queue and, after
    # max_receive_count receives, lands in the DLQ. maximum_concurrency at or below the reservation stops polling
    # instead (Lambda Developer Guide, "Configuring maximum concurrency for Amazon SQS event sources").
    precondition {
      condition     = var.processor.reserved_concurrent_executions == -1 || try(var.maximum_concurrency <= var.processor.reserved_concurrent_executions, false)
      error_message = "A processor with reserved concurrency needs maximum_concurrency (2-1000) at most that reservation, or the event source mapping throttles notifications into the DLQ."
    }
  }
}
