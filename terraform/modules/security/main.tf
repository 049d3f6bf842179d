# Security: two customer-managed keys, the LWA app credentials secret, one execution role per Lambda with only
# its own actions on its own resources, and the role API callers assume.
#
# The tokens key is separate from the data key so that "only token storage may encrypt refresh tokens and only the
# token readers may decrypt them" is enforced by the key policy itself: nobody else gets cryptographic use of it,
# whatever their IAM policies say.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition    = data.aws_partition.current.partition
  region       = data.aws_region.current.name
  account_id   = data.aws_caller_identity.current.account_id
  account_root = "arn:${local.partition}:iam::${local.account_id}:root"

  functions = [
    "token_storage",
    "notifications_subscriber",
    "report_creator",
    "report_status",
    "notifications_processor",
    "report_storer",
    "report_notifier",
  ]
  # Functions that read refresh tokens (GetItem + kms:Decrypt on the tokens key).
  token_readers = ["notifications_subscriber", "report_creator", "report_storer"]

  role_names = { for f in local.functions : f => "${var.name_prefix}-${replace(f, "_", "-")}" }
  # Built from the names (known at plan time, so reviewers see the exact principals in the key policy); the key
  # depends on the roles, which must exist before KMS accepts them as principals.
  role_arns = { for f, name in local.role_names : f => "arn:${local.partition}:iam::${local.account_id}:role/${name}" }

  key_administrators = length(var.key_administrator_arns) > 0 ? var.key_administrator_arns : [local.account_root]
}

resource "aws_kms_key" "data" {
  description             = "${var.name_prefix}: queue, topic, bucket, tables, logs and the LWA credentials secret"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = jsonencode({ Version = "2012-10-17", Statement = local.data_key_statements })
  tags                    = var.tags
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name_prefix}-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_kms_key" "tokens" {
  description             = "${var.name_prefix}: sellers' LWA refresh tokens (encrypt: token storage only; decrypt: token readers only)"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = jsonencode({ Version = "2012-10-17", Statement = local.tokens_key_statements })
  tags                    = var.tags

  depends_on = [aws_iam_role.lambda]
}

resource "aws_kms_alias" "tokens" {
  name          = "alias/${var.name_prefix}-tokens"
  target_key_id = aws_kms_key.tokens.key_id
}

resource "aws_secretsmanager_secret" "lwa" {
  # checkov:skip=CKV2_AWS_57:LWA client secrets are rotated in the SP-API developer console, which has no API a rotation Lambda could call; bump lwa_credentials_version to push a new one.
  name                    = "${var.name_prefix}/lwa-app-credentials"
  description             = "LWA app credentials of the SP-API application: JSON {\"client_id\", \"client_secret\"}"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "lwa" {
  count = var.lwa_client_id == null ? 0 : 1

  secret_id = aws_secretsmanager_secret.lwa.id
  # Write-only: the value goes to Secrets Manager but never into the plan or the state.
  secret_string_wo         = jsonencode({ client_id = var.lwa_client_id, client_secret = var.lwa_client_secret })
  secret_string_wo_version = var.lwa_credentials_version
}
