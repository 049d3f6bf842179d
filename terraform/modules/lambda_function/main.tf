# One Lambda function with what every function of the pipeline shares: a KMS-encrypted log group with retention
# that exists before the function (so Lambda never creates an unencrypted, never-expiring one), X-Ray tracing,
# encrypted environment variables, optional DLQ and reserved concurrency, and the role permissions for its own
# logs. The role itself, with the function's business permissions, comes from the caller.

locals {
  # The role name is the last path segment of its ARN (roles may sit under a path).
  role_name = regex("[^/]+$", var.role_arn)
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

locals {
  runtime_statements = concat(
    [
      {
        Sid      = "WriteOwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.this.arn}:*"
      },
      {
        Sid    = "SendTraces"
        Effect = "Allow"
        Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: AWS requires "*".
        Resource = "*"
      },
    ],
    var.dead_letter_target_arn == null ? [] : [
      {
        Sid      = "SendFailedInvocationsToDeadLetterTarget"
        Effect   = "Allow"
        Action   = strcontains(var.dead_letter_target_arn, ":sqs:") ? "sqs:SendMessage" : "sns:Publish"
        Resource = var.dead_letter_target_arn
      },
    ],
  )
}

resource "aws_iam_role_policy" "runtime" {
  name   = "${var.function_name}-runtime"
  role   = local.role_name
  policy = jsonencode({ Version = "2012-10-17", Statement = local.runtime_statements })
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_117:Calls only public AWS and SP-API endpoints; a VPC adds NAT cost and cold-start latency without reducing exposure.
  # checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile per estate; zips are byte-reproducible and pinned by source_code_hash.
  # checkov:skip=CKV_AWS_116:Invoked synchronously only (API Gateway, SQS event source, Step Functions), where failures return to the caller; var.dead_letter_target_arn adds a DLQ for async use.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is var.reserved_concurrent_executions; unreserved by default so small accounts (concurrency 10) can deploy.
  function_name                  = var.function_name
  description                    = var.description
  role                           = var.role_arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn

  filename          = var.package.filename
  s3_bucket         = var.package.s3_bucket
  s3_key            = var.package.s3_key
  s3_object_version = var.package.s3_version
  source_code_hash  = var.package.source_sha256

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) == 0 ? [] : [var.environment_variables]
    content {
      variables = environment.value
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  tags = var.tags

  # The log group and the permission to write to it must exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.runtime]
}
