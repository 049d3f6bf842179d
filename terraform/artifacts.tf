# The functions' code comes from one of two places:
# - a release in S3 (lambda_artifacts_s3_bucket + lambda_artifacts_s3_prefix, built by `make release`,
#   docs/releases.md): the functions use the release's objects directly, with the hashes its manifest.json gives.
#   Nothing local is read and no Python runs, so every machine that plans the stack plans the same code. The
#   stack then has no artifacts bucket: it would hold nothing.
# - the zips in a local directory (lambda_package_dir, default ../.build/lambda, `make package`): they go through
#   an artifacts bucket, since functions created from S3 objects deploy in parallel and the bucket keeps every
#   version that was deployed. Keys are content-addressed, so a changed zip is a new object.
# Only for-expressions filtered on the mode, and resources whose count or for_each is empty in release mode,
# call file functions: nothing else may, or a release deployment would fail where the directory does not exist
# (a git module source has no .build next to it).

locals {
  code_from_release = var.lambda_artifacts_s3_bucket != null

  # Release mode: <prefix>/manifest.json and <prefix>/<file> for each function.
  release_prefix   = var.lambda_artifacts_s3_prefix == null ? null : "${trimsuffix(var.lambda_artifacts_s3_prefix, "/")}/"
  release_manifest = try(jsondecode(one(data.aws_s3_object.lambda_release_manifest[*].body)), null)
  # Through terraform_data.lambda_release, whose preconditions refuse a release that does not fit: nothing is
  # deployed from it then.
  release_packages = {
    for f in keys(local.functions) : f => {
      s3_bucket     = var.lambda_artifacts_s3_bucket
      s3_key        = "${local.release_prefix}${terraform_data.lambda_release[0].input[f].file}"
      source_sha256 = terraform_data.lambda_release[0].input[f].base64_sha256
    } if local.code_from_release
  }

  # Local-directory mode.
  artifacts_bucket_name = "${var.name_prefix}-artifacts-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.id}"
  zip_paths             = { for f in keys(local.functions) : f => "${local.package_dir}/${f}.zip" if !local.code_from_release }

  # What scripts/package_lambdas.py built the zips for (manifest.json next to them): their binary wheels (e.g.
  # pydantic-core, cryptography) exist for one CPython version and one architecture only, and a zip on another
  # runtime or architecture fails at import time, after the deploy.
  package_manifest = local.code_from_release ? null : try(jsondecode(file("${local.package_dir}/manifest.json")), null)
  rebuild_command  = "python scripts/package_lambdas.py --runtime ${var.lambda_runtime} --architecture ${var.lambda_architecture} --out ${abspath(local.package_dir)}"

  directory_packages = {
    for f, zip in aws_s3_object.lambda : f => {
      s3_bucket     = zip.bucket
      s3_key        = zip.key
      source_sha256 = zip.source_hash
    }
  }

  packages = merge(local.release_packages, local.directory_packages)
}

# The release's manifest.json (scripts/release.py). The data source returns an object's body only when its
# Content-Type is text or JSON (AWS provider documentation, data source aws_s3_object: "The content of an
# object (body field) is available only for objects which have a human-readable Content-Type"), hence
# `--content-type application/json` in docs/releases.md. Its checks refer to nothing but itself and variables:
# a data source that depends on resources still to be created is read at apply, and the hashes would be
# unknown in the plan.
data "aws_s3_object" "lambda_release_manifest" {
  count = local.code_from_release ? 1 : 0

  bucket = var.lambda_artifacts_s3_bucket
  key    = "${local.release_prefix}manifest.json"

  lifecycle {
    postcondition {
      condition     = can(jsondecode(self.body).functions)
      error_message = "s3://${var.lambda_artifacts_s3_bucket}/${local.release_prefix}manifest.json is not a release manifest (Content-Type ${coalesce(self.content_type, "unknown")}): publish the release as docs/releases.md says, manifest.json with --content-type application/json (Terraform reads the body of text and JSON objects only)."
    }
  }
}

# The release's entry for each function the stack deploys (null: none), checked before anything is deployed
# from it. A Terraform-only resource (nothing in AWS): the functions' keys and hashes are read from its input, so
# a failed precondition stops them from being planned at all.
resource "terraform_data" "lambda_release" {
  count = local.code_from_release ? 1 : 0

  input = { for f in keys(local.functions) : f => try(local.release_manifest.functions[f], null) }

  lifecycle {
    # A release of another version of the stack may lack functions this module deploys.
    precondition {
      condition     = alltrue([for f in keys(local.functions) : can(local.release_manifest.functions[f].file) && can(local.release_manifest.functions[f].base64_sha256)])
      error_message = "The release at s3://${var.lambda_artifacts_s3_bucket}/${local.release_prefix} (version ${try(local.release_manifest.version, "?")}) has no ${join(", ", [for f in sort(keys(local.functions)) : f if !can(local.release_manifest.functions[f].file)])} in its manifest: deploy the release built from the same version as this module (its ?ref)."
    }

    # The zips carry binary wheels for one CPython version and architecture (scripts/package_lambdas.py).
    precondition {
      condition = alltrue([
        for f in keys(local.functions) :
        # A missing function is the precondition above's refusal.
        try(local.release_manifest.functions[f].runtime == var.lambda_runtime && local.release_manifest.functions[f].architecture == var.lambda_architecture, true)
      ])
      error_message = "The release at s3://${var.lambda_artifacts_s3_bucket}/${local.release_prefix} was built for ${try(local.release_manifest.runtime, "?")}/${try(local.release_manifest.architecture, "?")}, but lambda_runtime/lambda_architecture are ${var.lambda_runtime}/${var.lambda_architecture}: its binary wheels would not load. Deploy a release built for them, or set lambda_runtime/lambda_architecture to the release's."
    }
  }
}

# Local-directory mode only. Terraform moves a stack deployed before the count existed to index [0] by itself
# (Terraform documentation, "Refactoring": "Enabling count or for_each for a resource").
resource "aws_s3_bucket" "artifacts" {
  count = local.code_from_release ? 0 : 1

  # checkov:skip=CKV_AWS_144:Build artifacts are rebuilt byte-for-byte from the sources; replicating them buys nothing.
  # checkov:skip=CKV2_AWS_62:Nothing reacts to new artifacts; Terraform deploys them.
  bucket = local.artifacts_bucket_name
  # Always: the zips are rebuilt byte for byte from the sources (or come from a release), so destroying the
  # bucket with its object versions loses nothing, and a stack that moves to a release (count 0) can delete it.
  force_destroy = true
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  count = local.code_from_release ? 0 : 1

  bucket = aws_s3_bucket.artifacts[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  count = local.code_from_release ? 0 : 1

  bucket                  = aws_s3_bucket.artifacts[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  count = local.code_from_release ? 0 : 1

  bucket = aws_s3_bucket.artifacts[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  count = local.code_from_release ? 0 : 1

  bucket = aws_s3_bucket.artifacts[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.security.data_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  count = local.code_from_release ? 0 : 1

  bucket = aws_s3_bucket.artifacts[0].id

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
  count = local.code_from_release ? 0 : 1

  bucket = aws_s3_bucket.artifacts[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyRequestsWithoutTls"
      Effect    = "Deny"
      Principal = "*" # a Deny for everyone: no principal may use plain HTTP
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.artifacts[0].arn, "${aws_s3_bucket.artifacts[0].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

resource "aws_s3_object" "lambda" {
  for_each = local.zip_paths

  bucket      = aws_s3_bucket.artifacts[0].id
  key         = "lambda/${each.key}/${filesha256(each.value)}.zip"
  source      = each.value
  source_hash = filebase64sha256(each.value)
  kms_key_id  = module.security.data_kms_key_arn
  # Not var.tags: S3 allows 10 tags per object (artifact_object_tags says where).
  tags = var.artifact_object_tags

  # The bucket's encryption settings must be in place before the first object lands.
  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]

  lifecycle {
    # A function whose group no module deploys would be packaged and never run.
    precondition {
      condition     = contains(["api", "processor", "workflow", "standalone"], local.functions[each.key].group)
      error_message = "${each.key}: group must be api, processor, workflow or standalone (local.functions in functions.tf)."
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
  count = var.s3_access_log_bucket == null || local.code_from_release ? 0 : 1

  bucket        = aws_s3_bucket.artifacts[0].id
  target_bucket = var.s3_access_log_bucket
  target_prefix = "${var.s3_access_log_prefix}${local.artifacts_bucket_name}/"
}
