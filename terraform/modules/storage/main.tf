# Storage: the refresh-token, report-record and pull-plan tables, the optional tenant map and the reports bucket, all under one customer-managed key.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  bucket_name = coalesce(var.bucket_name, "${var.name_prefix}-reports-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.id}")
}

resource "aws_dynamodb_table" "tokens" {
  name                        = "${var.name_prefix}-tokens"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "SellerId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "SellerId"
    type = "S"
  }

  # Only the seller authorization workflow's single-use states (authorization-state#... items,
  # src/sp_reports/pipeline/seller_authorization.py) carry ExpiresAt; token items never do.
  ttl {
    attribute_name = "ExpiresAt"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "reports" {
  name                        = "${var.name_prefix}-reports"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "ReportId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "ReportId"
    type = "S"
  }

  ttl {
    attribute_name = "ExpiresAt"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  tags = var.tags
}

# Pull plans (src/sp_reports/pipeline/pull_ledger.py): each plan (SK "plan") and its ledger, one item per window
# version (SK "window#<window key>#v<NNN>"), in one item collection per plan, so a plan's coverage is one Query.
# Both indexes are sparse: `due` holds only scheduled plans (DueShard "due#<n>" spreads them over partitions,
# DueAt is when each is next due), `seller` only plan items (ledger items carry no SellerId).
resource "aws_dynamodb_table" "pull_plans" {
  name                        = "${var.name_prefix}-pull-plans"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "PK"
  range_key                   = "SK"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  attribute {
    name = "DueShard"
    type = "S"
  }

  attribute {
    name = "DueAt"
    type = "S"
  }

  attribute {
    name = "SellerId"
    type = "S"
  }

  attribute {
    name = "PlanId"
    type = "S"
  }

  # The planner reads plan ids only, then each plan with a consistent GetItem: keys are all it needs.
  global_secondary_index {
    name            = "due"
    hash_key        = "DueShard"
    range_key       = "DueAt"
    projection_type = "KEYS_ONLY"
  }

  global_secondary_index {
    name            = "seller"
    hash_key        = "SellerId"
    range_key       = "PlanId"
    projection_type = "ALL"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  tags = var.tags
}

# The tenant map (root tenant_isolation): which sellers each principal may act for, one item per grant,
# {PrincipalArn, SellerId} (src/sp_reports/pipeline/tenancy.py). Only when asked for: without it the API admits
# every caller its resource policy lets in.
resource "aws_dynamodb_table" "tenants" {
  count = var.tenant_map ? 1 : 0

  name                        = "${var.name_prefix}-tenants"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "PrincipalArn"
  range_key                   = "SellerId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "PrincipalArn"
    type = "S"
  }

  attribute {
    name = "SellerId"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  tags = var.tags
}

resource "aws_s3_bucket" "reports" {
  # checkov:skip=CKV_AWS_144:Reports can be pulled again from SP-API; cross-region replication is an estate decision, not this module's.
  # checkov:skip=CKV2_AWS_62:Nothing consumes object events: the workflow emails the link itself.
  bucket        = local.bucket_name
  force_destroy = !var.deletion_protection
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "reports" {
  bucket = aws_s3_bucket.reports.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "reports" {
  bucket                  = aws_s3_bucket.reports.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "reports" {
  bucket = aws_s3_bucket.reports.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  bucket = aws_s3_bucket.reports.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "reports" {
  bucket = aws_s3_bucket.reports.id

  rule {
    id     = "reports"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    dynamic "transition" {
      for_each = var.transition_to_infrequent_access_days == null ? [] : [var.transition_to_infrequent_access_days]
      content {
        days          = transition.value
        storage_class = "STANDARD_IA"
      }
    }

    dynamic "expiration" {
      for_each = var.report_expiration_days == null ? [] : [var.report_expiration_days]
      content {
        days = expiration.value
      }
    }
  }

  # Restricted (PII) documents, tagged by the report storer as it writes them, expire sooner. This rule overlaps
  # the one above, and where two expirations overlap S3 honours the shorter (S3 User Guide, "Examples of
  # overlapping filters and conflicting lifecycle actions":
  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html), so report_expiration_days
  # can only shorten it. In this versioned bucket an expired document becomes a noncurrent version, removed a
  # day later; a tag filter is documented for lifecycle rules (S3 User Guide, "Lifecycle configuration
  # elements": https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html).
  rule {
    id     = "restricted-reports"
    status = "Enabled"

    filter {
      tag {
        key   = var.data_class_tag_key
        value = var.restricted_data_class
      }
    }

    expiration {
      days = var.restricted_report_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  # The report converter writes each Parquet file under the staging prefix and copies it to curated/ in one
  # step, deleting the staged object; what a failed or stopped conversion leaves there is removed a day later.
  # curated/ itself has no rule of its own: the rules above (every object; restricted ones by the data-class tag
  # the converter copies from the raw document) keep it exactly as long as the raw data it comes from.
  rule {
    id     = "curated-staging"
    status = "Enabled"

    filter {
      prefix = var.curated_staging_prefix
    }

    expiration {
      days = 1
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Athena's query results (the analytics module's workgroup writes them here), kept only as long as an analyst
  # needs to fetch them again.
  dynamic "rule" {
    for_each = var.query_results_prefix == null ? [] : [var.query_results_prefix]
    content {
      id     = "query-results"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.query_results_expiration_days
      }

      noncurrent_version_expiration {
        noncurrent_days = 1
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 1
      }
    }
  }

  # Versioning must be on before noncurrent-version rules mean anything.
  depends_on = [aws_s3_bucket_versioning.reports]
}

# S3 server access logs go to a bucket the estate owns, in the same account and Region as this one (S3 User
# Guide, "Enabling Amazon S3 server access logging":
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
resource "aws_s3_bucket_logging" "reports" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.reports.id
  target_bucket = var.access_log_bucket
  target_prefix = "${var.access_log_prefix}${local.bucket_name}/"
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "DenyRequestsWithoutTls"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone: no principal may use plain HTTP
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.reports.arn, "${aws_s3_bucket.reports.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # Uploads that name no encryption get the bucket default (this key); one that asks for another is
        # refused. Null = false limits the Deny to requests that carry the header: UploadPart and
        # CompleteMultipartUpload are authorised as s3:PutObject and carry no encryption header, and a negated
        # operator on a key absent from the request is true ("If the policy condition requires that the key is
        # not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the condition is
        # true": IAM User Guide, condition operators), so a bare StringNotEquals denies every multipart part.
        Sid       = "DenyUploadsAskingForAnotherEncryption"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.reports.arn}/*"
        Condition = {
          StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption" = "aws:kms" }
          Null                    = { "s3:x-amz-server-side-encryption" = "false" }
        }
      },
      {
        Sid       = "DenyUploadsWithAnotherKmsKey"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.reports.arn}/*"
        Condition = {
          StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = var.kms_key_arn }
          Null                    = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
        }
      },
      {
        # SSE-KMS asked for without naming a key would use the AWS managed key aws/s3 (S3 User Guide,
        # "Specifying server-side encryption with AWS KMS": "If you specify x-amz-server-side-encryption:aws:kms,
        # but don't provide x-amz-server-side-encryption-aws-kms-key-id, Amazon S3 uses the AWS managed key").
        Sid       = "DenyKmsUploadsThatNameNoKey"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.reports.arn}/*"
        Condition = {
          Null = {
            "s3:x-amz-server-side-encryption"                = "false"
            "s3:x-amz-server-side-encryption-aws-kms-key-id" = "true"
          }
        }
      },
      ], [
      for readers in [concat(var.object_reader_principal_arns, var.curated_reader_principal_arns)] : {
        # Reports hold sellers' business data (and, for restricted types, buyers' PII): only the roles that
        # need the documents read them. Within the account an IAM policy's Allow alone would suffice, so the
        # boundary is this explicit Deny, which no Allow overrides (IAM User Guide, "Policy evaluation logic":
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
        # aws:PrincipalArn of an assumed-role session is its role's ARN, so a role's sessions (the link
        # signer's, which sign the download links) match the role (IAM User Guide, "AWS global condition
        # context keys", aws:PrincipalArn:
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
        # A presigned URL reads as its signer, so the links keep working.
        Sid       = "DenyObjectReadsToAllButTheReportReaders"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone but the readers
        Action    = "s3:GetObject*"
        Resource  = "${aws_s3_bucket.reports.arn}/*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = readers } }
      } if length(var.object_reader_principal_arns) > 0
      ], [
      for analysts in [var.curated_reader_principal_arns] : {
        # The curated readers (the analytics module's analysts) pass the Deny above, so this one keeps them to the
        # curated tables and their query results: every other object, the raw documents first, stays denied to
        # them unless they are report readers too.
        Sid         = "DenyCuratedReadersAllButTheCuratedObjects"
        Effect      = "Deny"
        Principal   = "*" # a Deny for the curated readers only (the condition)
        Action      = "s3:GetObject*"
        NotResource = [for prefix in compact([var.curated_prefix, var.query_results_prefix]) : "${aws_s3_bucket.reports.arn}/${prefix}*"]
        Condition = {
          ArnLike    = { "aws:PrincipalArn" = analysts }
          ArnNotLike = { "aws:PrincipalArn" = var.object_reader_principal_arns }
        }
      } if length(analysts) > 0 && length(var.object_reader_principal_arns) > 0
    ])
  })

  # A public-access block applied after a policy can race with it; apply the block first.
  depends_on = [aws_s3_bucket_public_access_block.reports]
}
