# The whole sp-reports stack as a platform team deploys it: its own provider (region, default tags, the
# account it must land in), state in S3 with S3-native locking, and the module pinned to a release.

terraform {
  # Partial configuration: bucket, key and region come from `terraform init -backend-config=backend.hcl`
  # (see backend.hcl.example), so one configuration serves every environment. use_lockfile locks the state
  # with a conditional write next to it (Terraform's S3 backend documentation, "State Locking"): no DynamoDB
  # table needed.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids

  default_tags {
    tags = var.default_tags
  }
}

module "sp_reports" {
  # In your configuration: source = "git::https://github.com/<org>/sp-reports.git//terraform?ref=v1.2.0"
  source = "../../"

  name_prefix        = var.name_prefix
  notification_email = var.notification_email
  lwa_client_id      = var.lwa_client_id
  lwa_client_secret  = var.lwa_client_secret

  # Account-wide, owned by the estate: the stack only needs to know it is there.
  api_gateway_cloudwatch_role_arn = var.api_gateway_cloudwatch_role_arn

  # The functions' code from the release built for this version: Terraform is all the runner needs.
  lambda_artifacts_s3_bucket = var.release_bucket
  lambda_artifacts_s3_prefix = "sp-reports/${var.release_version}"

  # Who may call the API: the invoke role trusts these principals only.
  api_invoke_trusted_principal_arns = var.api_invoke_trusted_principal_arns

  log_retention_days = 400
  tags               = { CostCenter = var.cost_center }
}
