# Security: two customer-managed keys and their key policies, the LWA app credentials secret, the role that signs
# download links and the role API callers assume. The functions' execution roles are not here: each function's
# module creates its own with the statements the root's function map gives it; the key policy and the signer's
# trust policy take the roles' ARNs as inputs. Part of this stack, not a general-purpose module: the invoke role's
# methods are the sp-reports API's and the keys' statements its services'.
#
# The tokens key is separate from the data key so that "only token storage may encrypt refresh tokens and only the
# token readers may decrypt them" is enforced by the key policy itself: its policy gives no other principal
# cryptographic use, and it does not let IAM policies grant any (no account-root statement with use actions).
# Who can change that policy is who administers the key: key_administrator_arns when given (then no IAM policy
# of the account can), otherwise any principal of the account whose IAM policy allows kms:PutKeyPolicy.
#
# Either key can be brought by the caller instead (existing_data_kms_key_arn, existing_tokens_kms_key_arn): the
# module then creates no key of that kind, uses the given one everywhere, and its output
# key_policy_statements_required lists what that key's policy must allow.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition    = data.aws_partition.current.partition
  region       = data.aws_region.current.id
  account_id   = data.aws_caller_identity.current.account_id
  account_root = "arn:${local.partition}:iam::${local.account_id}:root"

  explicit_key_administrators = length(var.key_administrator_arns) > 0
  key_administrators          = local.explicit_key_administrators ? var.key_administrator_arns : [local.account_root]

  create_data_key   = var.existing_data_kms_key_arn == null
  create_tokens_key = var.existing_tokens_kms_key_arn == null
  data_key_arn      = local.create_data_key ? aws_kms_key.data[0].arn : var.existing_data_kms_key_arn
  tokens_key_arn    = local.create_tokens_key ? aws_kms_key.tokens[0].arn : var.existing_tokens_kms_key_arn

  # KMS refuses a key policy that would keep the principal creating or changing it from changing it again
  # (CreateKey and PutKeyPolicy, BypassPolicyLockoutSafetyCheck: "the key policy must allow the calling principal
  # to make a subsequent PutKeyPolicy request on the KMS key"; KMS API Reference,
  # https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html). With explicit administrators, the
  # principal running Terraform must be one of them: named itself, or, for an assumed-role session, the role
  # (a role's sessions are arn:...:sts::<account>:assumed-role/<role name>/<session>; role names are unique in
  # an account whatever their path). Checked here so the plan says so, not the apply.
  caller_arn       = data.aws_caller_identity.current.arn
  caller_role_name = try(regex("^arn:[^:]+:sts::[0-9]{12}:assumed-role/([^/]+)/", local.caller_arn)[0], null)
  caller_administers_the_keys = !local.explicit_key_administrators || anytrue([
    for arn in var.key_administrator_arns : arn == local.caller_arn || arn == local.account_root || (
      local.caller_role_name != null && startswith(arn, "arn:${local.partition}:iam::${local.account_id}:role/") && endswith(arn, "/${coalesce(local.caller_role_name, "-")}")
    )
  ])
  caller_lockout_message = "KMS would refuse the key policy: the principal running Terraform (${local.caller_arn}) is not among key_administrator_arns, and a key policy must let its creator change it again (CreateKey's policy lockout safety check). Add that principal (for an assumed role, its role ARN) to key_administrator_arns."
}

resource "aws_kms_key" "data" {
  count = local.create_data_key ? 1 : 0

  description             = "${var.name_prefix}: queue, topic, bucket, tables, logs and the LWA credentials secret"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = jsonencode({ Version = "2012-10-17", Statement = local.data_key_statements })
  tags                    = var.tags

  lifecycle {
    precondition {
      condition     = local.caller_administers_the_keys
      error_message = local.caller_lockout_message
    }
  }
}

resource "aws_kms_alias" "data" {
  count = local.create_data_key ? 1 : 0

  name          = "alias/${var.name_prefix}-data"
  target_key_id = aws_kms_key.data[0].key_id
}

resource "aws_kms_key" "tokens" {
  count = local.create_tokens_key ? 1 : 0

  description             = "${var.name_prefix}: sellers' LWA refresh tokens (encrypt: token storage only; decrypt: token readers only)"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  # Created with the administrators' statement alone; aws_kms_key_policy.tokens then puts the whole policy.
  # The two are apart because the policy names the functions' roles, and those roles' own statements need
  # this key's ARN: one resource could not wait for the roles and give them its ARN.
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.key_admin_statement] })
  tags   = var.tags

  lifecycle {
    ignore_changes = [policy] # owned by aws_kms_key_policy.tokens once the key exists

    precondition {
      condition     = local.caller_administers_the_keys
      error_message = local.caller_lockout_message
    }
  }
}

resource "aws_kms_key_policy" "tokens" {
  count = local.create_tokens_key ? 1 : 0

  key_id = aws_kms_key.tokens[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.tokens_key_statements })
}

resource "aws_kms_alias" "tokens" {
  count = local.create_tokens_key ? 1 : 0

  name          = "alias/${var.name_prefix}-tokens"
  target_key_id = aws_kms_key.tokens[0].key_id
}

resource "aws_secretsmanager_secret" "lwa" {
  # checkov:skip=CKV2_AWS_57:LWA client secrets are rotated in the SP-API developer console, which has no API a rotation Lambda could call; bump lwa_credentials_version to push a new one.
  name                    = "${var.name_prefix}/lwa-app-credentials"
  description             = "LWA app credentials of the SP-API application: JSON {\"client_id\", \"client_secret\"}"
  kms_key_id              = local.data_key_arn
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
