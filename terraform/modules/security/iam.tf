locals {
  object_arn_pattern = "${var.reports_bucket_arn}/${var.reports_key_prefix}*"
  # IAM names are global to the account (the keys' aliases and the secret are per region).
  iam_name_prefix = coalesce(var.iam_name_prefix, var.name_prefix)
}

# The role that signs download links. A presigned URL stops working when the credentials that signed it
# expire (AWS Knowledge Center, "presigned-url-s3-bucket-expiration"); a Lambda cannot tell when its own
# credentials do, an assumed session states it. Assumed from a Lambda's role, the session lasts at most an hour
# (role chaining, IAM User Guide "Roles terms and concepts"), which bounds presigned_url_ttl_seconds.
locals {
  download_link_signer_name = "${local.iam_name_prefix}-download-link-signer"
  # Built from the path and name (arn:<partition>:iam::<account>:role<path><name>, IAM User Guide, "IAM
  # identifiers": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html): the functions
  # that assume the role get its ARN in their statements and environment, and the role's trust policy names
  # their roles, so the ARN must not wait for the role.
  download_link_signer_arn = "arn:${local.partition}:iam::${local.account_id}:role${var.role_path}${local.download_link_signer_name}"
}

resource "aws_iam_role" "download_link_signer" {
  name                 = local.download_link_signer_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "Signs the report download links that the ${var.name_prefix} status and notifier functions hand out"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheLinkHandingFunctionsAssume"
      Effect    = "Allow"
      Principal = { AWS = var.download_link_signer_trusted_role_arns }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "download_link_signer" {
  name = "${local.download_link_signer_name}-access"
  role = aws_iam_role.download_link_signer.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadStoredReports"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = local.object_arn_pattern
      },
      {
        # A presigned URL carries its signer's permissions: S3 decrypts an SSE-KMS object as the signer.
        Sid       = "DecryptStoredReportsThroughS3"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = local.data_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
      },
    ]
  })
}

# The role API callers assume to sign (SigV4) their requests to the API.
locals {
  api_invoke_principals = concat(
    length(var.api_invoke_trusted_principal_arns) > 0 ? var.api_invoke_trusted_principal_arns : [local.account_root],
    var.create_api_invoke_user ? [aws_iam_user.api_invoke[0].arn] : [],
  )
  api_method_arns = [
    "${var.api_execution_arn}/${var.api_stage_name}/POST/tokens",
    "${var.api_execution_arn}/${var.api_stage_name}/POST/notifications",
    "${var.api_execution_arn}/${var.api_stage_name}/POST/reports",
    "${var.api_execution_arn}/${var.api_stage_name}/GET/reports/*",
    # Offboarding (src/sp_reports/handlers/seller_eraser.py): whoever may store a seller's token may erase the seller.
    "${var.api_execution_arn}/${var.api_stage_name}/DELETE/sellers/*",
    # Pull plans (src/sp_reports/handlers/plans_api.py): the wildcard is the plan id; GET/plans/* is a plan and
    # its coverage (/plans/{planId}/coverage).
    "${var.api_execution_arn}/${var.api_stage_name}/POST/plans",
    "${var.api_execution_arn}/${var.api_stage_name}/GET/plans",
    "${var.api_execution_arn}/${var.api_stage_name}/GET/plans/*",
    "${var.api_execution_arn}/${var.api_stage_name}/PATCH/plans/*",
    "${var.api_execution_arn}/${var.api_stage_name}/DELETE/plans/*",
  ]
}

resource "aws_iam_role" "api_invoke" {
  name                 = "${local.iam_name_prefix}-api-invoke"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "Assumed by callers of the ${var.name_prefix} SP-API reports API"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TrustedCallersAssume"
      Effect    = "Allow"
      Principal = { AWS = local.api_invoke_principals }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "api_invoke" {
  name = aws_iam_role.api_invoke.name
  role = aws_iam_role.api_invoke.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeTheReportsApiMethodsOnly"
      Effect   = "Allow"
      Action   = "execute-api:Invoke"
      Resource = local.api_method_arns
    }]
  })
}

resource "aws_iam_user" "api_invoke" {
  # checkov:skip=CKV_AWS_273:Opt-in (create_api_invoke_user) for parity with the SP-API reference Quick Start; SSO users should assume the invoke role instead.
  count = var.create_api_invoke_user ? 1 : 0

  name                 = "${local.iam_name_prefix}-api-invoke"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_user_policy" "api_invoke" {
  # checkov:skip=CKV_AWS_40:The opt-in Quick Start user holds one statement, assuming the invoke role; a group for one user adds nothing.
  count = var.create_api_invoke_user ? 1 : 0

  name = "${local.iam_name_prefix}-assume-api-invoke"
  user = aws_iam_user.api_invoke[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "AssumeTheApiInvokeRole"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = aws_iam_role.api_invoke.arn
    }]
  })
}
