# Several sp-reports stacks in one account and region, one per entry of var.stacks (e.g. one per business unit
# or per SP-API application): the root module is called with for_each, and each stack's names start with its
# own prefix, so nothing collides.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      ManagedBy = "terraform"
      Example   = "fleet"
    }
  }
}

module "sp_reports" {
  # In your configuration: source = "git::https://github.com/<org>/sp-reports.git//terraform?ref=v1.2.0"
  source   = "../../"
  for_each = var.stacks

  name_prefix        = each.key
  notification_email = each.value.notification_email
  lwa_client_id      = each.value.lwa_client_id
  lambda_package_dir = var.lambda_package_dir

  api_gateway_cloudwatch_role_arn = var.api_gateway_cloudwatch_role_arn
}
