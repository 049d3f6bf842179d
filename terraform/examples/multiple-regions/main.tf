# One sp-reports stack per region, with the same name_prefix, through provider aliases: the root module takes
# its region from the provider it is given, and names that are global to the account (IAM roles, buckets) carry
# the region, so the two stacks do not collide. SP-API delivers notifications to an SQS queue in any region;
# a stack per region keeps each seller's data in the region you choose for it.

provider "aws" {
  region = var.primary_region

  default_tags {
    tags = {
      ManagedBy = "terraform"
      Example   = "multiple-regions"
    }
  }
}

provider "aws" {
  alias  = "secondary"
  region = var.secondary_region

  default_tags {
    tags = {
      ManagedBy = "terraform"
      Example   = "multiple-regions"
    }
  }
}

module "primary" {
  # In your configuration: source = "git::https://github.com/<org>/sp-reports.git//terraform?ref=v1.2.0"
  source = "../../"

  name_prefix        = var.name_prefix
  notification_email = var.notification_email
  lambda_package_dir = var.lambda_package_dir

  api_gateway_cloudwatch_role_arn = var.primary_api_gateway_cloudwatch_role_arn
}

module "secondary" {
  source = "../../"
  providers = {
    aws = aws.secondary
  }

  name_prefix        = var.name_prefix
  notification_email = var.notification_email
  lambda_package_dir = var.lambda_package_dir

  api_gateway_cloudwatch_role_arn = var.secondary_api_gateway_cloudwatch_role_arn
}
