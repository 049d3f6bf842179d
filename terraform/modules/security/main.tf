# Security: two customer-managed keys and their key policies, the LWA app credentials secret, the role that signs
# download links and the role API callers assume. The functions' execution roles are not here: each function's
# module creates its own with the statements the root's function map gives it; the key policy and the signer's
# trust policy take the roles' ARNs as inputs. Part of this stack, not a general-purpose module: the invoke role's
# methods are the sp-reports API's and the keys' statements its services'.
#
# The tokens key is separate from the data key so that "only token storage may encrypt refresh tokens and only the
# token readers may decrypt them" is enforced by the key policy itself: nobody else gets cryptographic use of it,
# whatever their IAM policies say.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition    = data.aws_partition.current.partition
  region       = data.aws_region.current.id
  account_id   = data.aws_caller_identity.current.account_id
  account_root = "arn:${local.partition}:iam::${local.account_id}:root"

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
  # Created with the administrators' statement alone; aws_kms_key_policy.tokens then puts the whole policy.
  # The two are apart because the policy names the functions' roles, and those roles' own statements need
  # this key's ARN: one resource could not wait for the roles and give them its ARN.
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.tokens_key_admin_statement] })
  tags   = var.tags

  lifecycle {
    ignore_changes = [policy] # owned by aws_kms_key_policy.tokens once the key exists
  }
}

resource "aws_kms_key_policy" "tokens" {
  key_id = aws_kms_key.tokens.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.tokens_key_statements })
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
