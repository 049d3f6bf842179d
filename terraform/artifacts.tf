# The Lambda zips go through an artifacts bucket: functions created from S3 objects deploy in parallel, and the
# bucket keeps every version that was deployed. Keys are content-addressed, so a changed zip is a new object.

locals {
  artifacts_bucket_name = "${var.name_prefix}-artifacts-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.id}"
  zip_paths             = { for f in keys(local.functions) : f => "${local.package_dir}/${f}.zip" }

  # What scripts/package_lambdas.py built the zips for (manifest.json next to them): their binary wheels (e.g.
  # pydantic-core, cryptography) exist for one CPython version and one architecture only, and a zip on another
  # runtime or architecture fails at import time, after the deploy.
  package_manifest = try(jsondecode(file("${local.package_dir}/manifest.json")), null)
  rebuild_command  = "python scripts/package_lambdas.py --runtime ${var.lambda_runtime} --architecture ${var.lambda_architecture} --out ${abspath(local.package_dir)}"

  packages = {
    for f in keys(local.functions) : f => {
      s3_bucket     = aws_s3_object.lambda[f].bucket
      s3_key        = aws_s3_object.lambda[f].key
      source_sha256 = filebase64sha256(local.zip_paths[f])
    }
  }
}

resource "aws_s3_bucket" "artifacts" {
  # checkov:skip=CKV_AWS_144:Build artifacts are rebuilt byte-for-byte from the sources; replicating them buys nothing.
  # checkov:skip=CKV2_AWS_62:Nothing reacts to new artifacts; Terraform deploys them.
  # checkov:skip=CKV_AWS_18:Only Terraform writes and Lambda reads these objects; CloudTrail records both.
  bucket        = local.artifacts_bucket_name
  force_destroy = !var.deletion_protection
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.security.data_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "artifacts"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }

    noncurrent_version_expiration {
      noncurrent_days = 90
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyRequestsWithoutTls"
      Effect    = "Deny"
      Principal = "*" # a Deny for everyone: no principal may use plain HTTP
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

resource "aws_s3_object" "lambda" {
  for_each = local.zip_paths

  bucket      = aws_s3_bucket.artifacts.id
  key         = "lambda/${each.key}/${filesha256(each.value)}.zip"
  source      = each.value
  source_hash = filebase64sha256(each.value)
  kms_key_id  = module.security.data_kms_key_arn
  tags        = var.tags

  # The bucket's encryption settings must be in place before the first object lands.
  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]

  lifecycle {
    # A function whose group no module deploys would be packaged and never run.
    precondition {
      condition     = contains(["api", "processor", "workflow", "standalone"], local.functions[each.key].group)
      error_message = "${each.key}: group must be api, processor, workflow or standalone (local.functions in main.tf)."
    }

    precondition {
      condition     = local.package_manifest != null
      error_message = "No readable manifest.json in ${local.package_dir}: build the zips with `${local.rebuild_command}` (make package for the defaults)."
    }

    precondition {
      condition     = try(local.package_manifest.runtime == var.lambda_runtime && local.package_manifest.architecture == var.lambda_architecture, false)
      error_message = "The zips in ${local.package_dir} were built for ${try(local.package_manifest.runtime, "?")}/${try(local.package_manifest.architecture, "?")}, but lambda_runtime/lambda_architecture are ${var.lambda_runtime}/${var.lambda_architecture}: their binary wheels would not load. Rebuild them with `${local.rebuild_command}`."
    }

    precondition {
      condition     = try(local.package_manifest.functions[each.key].base64_sha256 == filebase64sha256(each.value), false)
      error_message = "${each.value} is not the zip manifest.json describes (changed or copied in after the build): rebuild them with `${local.rebuild_command}`."
    }
  }
}

# S3 server access logs of the artifacts bucket, beside the reports bucket's, when the estate names a log bucket
# (s3_access_log_bucket, same account and Region: S3 User Guide, "Enabling Amazon S3 server access logging":
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
resource "aws_s3_bucket_logging" "artifacts" {
  count = var.s3_access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = var.s3_access_log_bucket
  target_prefix = "${var.s3_access_log_prefix}${local.artifacts_bucket_name}/"
}
