# The SP-API emulator (harness/spapi_emulator, handler spapi_emulator.lambda_function.handler) as a Lambda behind a
# function URL with AWS_IAM auth, for `make acceptance` on a real account: SP-API, LWA and the Tokens API
# without a seller account. TEST INFRASTRUCTURE ONLY: its bucket is emptied on destroy and its objects expire
# after a day.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  function_name = "${var.name_prefix}-spapi-emulator"
  region        = data.aws_region.current.id
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  # Built from the name: the role's policy names the function it belongs to (a reference would be a cycle).
  function_arn = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  zip_path     = "${var.lambda_package_dir}/spapi_emulator.zip"

  # Bucket names are global: the account and region make it unique (<= 63 characters for a 24-character
  # prefix and the longest region names).
  bucket_name = "${var.name_prefix}-spapi-emu-${local.account_id}-${local.region}"

  policy_statements = [
    {
      # State (conditional writes: GetObject/PutObject with If-Match), documents (PutObject, and GetObject for
      # the presigned URLs it hands out, which act as this role) and the cleanup of both.
      Sid      = "KeepStateAndDocuments"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      Resource = "${aws_s3_bucket.state.arn}/*"
    },
    {
      # Without s3:ListBucket a missing state object answers 403, not 404 (S3 API reference, GetObject).
      Sid      = "ListStateAndDocuments"
      Effect   = "Allow"
      Action   = "s3:ListBucket"
      Resource = aws_s3_bucket.state.arn
    },
    {
      # A createReport invokes the function asynchronously to advance the report's lifecycle.
      Sid      = "AdvanceReportsByInvokingItself"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = local.function_arn
    },
    {
      # REPORT_PROCESSING_FINISHED to the destination queue, found by name (GetQueueUrl): the served stack's
      # queues only. Their policy must also admit this role (the root's test_notification_sender_role_arns).
      Sid      = "DeliverNotificationsToTheStacksQueues"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
      Resource = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.name_prefix}-*"
    },
    {
      # Sending to an SSE-KMS queue needs kms:GenerateDataKey and kms:Decrypt on its key (Amazon SQS Developer
      # Guide, "Amazon SQS Key management", producer permissions:
      # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
      # through SQS only.
      Sid       = "EncryptNotificationsThroughSqs"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = var.kms_key_arn
      Condition = { StringEquals = { "kms:ViaService" = "sqs.${local.region}.amazonaws.com" } }
    },
  ]
}

module "function" {
  source = "../../../modules/lambda_function"

  function_name      = local.function_name
  description        = "TEST ONLY: the SP-API emulator (SP-API, LWA, Tokens API) for make acceptance"
  handler            = "spapi_emulator.lambda_function.handler"
  runtime            = var.runtime
  architecture       = var.architecture
  memory_size        = var.memory_size
  timeout            = var.timeout
  log_retention_days = var.log_retention_days
  kms_key_arn        = var.kms_key_arn
  package = {
    filename      = local.zip_path
    source_sha256 = filebase64sha256(local.zip_path)
  }
  environment_variables     = merge(var.environment_variables, { SPAPI_EMULATOR_STATE_BUCKET = local.bucket_name })
  policy_statements         = local.policy_statements
  role_permissions_boundary = var.role_permissions_boundary
  tags                      = var.tags
}

# AWS_IAM: only principals of this account whose policies allow lambda:InvokeFunctionUrl (and, for URLs created
# since October 2025, lambda:InvokeFunction) reach it (Lambda Developer Guide, "Control access to Lambda function
# URLs": https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
resource "aws_lambda_function_url" "this" {
  function_name      = module.function.function_name
  authorization_type = "AWS_IAM"
}

resource "aws_s3_bucket" "state" {
  # checkov:skip=CKV_AWS_144:Test infrastructure: synthetic state and documents for one acceptance run; nothing to replicate.
  # checkov:skip=CKV_AWS_18:Test infrastructure living minutes; only the emulator's role reads and writes it, and CloudTrail records that.
  # checkov:skip=CKV2_AWS_62:Nothing reacts to the emulator's objects.
  # checkov:skip=CKV_AWS_21:The state is rewritten on every request with conditional writes; old versions would only be garbage.
  # checkov:skip=CKV_AWS_145:SSE-S3, not KMS: the documents are synthetic, and the presigned document URLs the emulator hands out must download without KMS permissions, as SP-API's do.
  bucket = local.bucket_name
  # Test infrastructure: destroying the acceptance run removes its objects with it.
  force_destroy = true
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-test-objects-after-a-day"
    status = "Enabled"
    filter {}
    expiration {
      days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyRequestsWithoutTls"
      Effect    = "Deny"
      Principal = "*" # a Deny for everyone: no principal may use plain HTTP
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # A bucket policy is refused while Block Public Access is being set up on the bucket.
  depends_on = [aws_s3_bucket_public_access_block.state]
}
