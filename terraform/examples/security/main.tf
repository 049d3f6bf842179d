provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

locals {
  # The security module only needs the ARNs of what its roles may touch; here they are built from the names
  # another estate would give them.
  arn_base = "${var.region}:${data.aws_caller_identity.current.account_id}"
}

module "security" {
  source = "../../modules/security"

  name_prefix             = var.name_prefix
  tokens_table_arn        = "arn:aws:dynamodb:${local.arn_base}:table/${var.name_prefix}-tokens"
  reports_table_arn       = "arn:aws:dynamodb:${local.arn_base}:table/${var.name_prefix}-reports"
  reports_bucket_arn      = "arn:aws:s3:::${var.name_prefix}-reports-${data.aws_caller_identity.current.account_id}"
  notifications_queue_arn = "arn:aws:sqs:${local.arn_base}:${var.name_prefix}-notifications"
  spapi_queue_arns = [
    "arn:aws:sqs:${local.arn_base}:${var.name_prefix}-notifications",
    "arn:aws:sqs:${local.arn_base}:${var.name_prefix}-notifications-dlq",
  ]
  state_machine_arn       = "arn:aws:states:${local.arn_base}:stateMachine:${var.name_prefix}-report-workflow"
  notifications_topic_arn = "arn:aws:sns:${local.arn_base}:${var.name_prefix}-report-notifications"
  api_execution_arn       = "arn:aws:execute-api:${local.arn_base}:${var.api_id}"

  api_invoke_trusted_principal_arns = var.api_callers
  lwa_client_id                     = var.lwa_client_id
  lwa_client_secret                 = var.lwa_client_secret
  tags                              = { Example = "security" }
}
