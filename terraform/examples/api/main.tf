provider "aws" {
  region = var.region
}

locals {
  functions = ["token_storage", "notifications_subscriber", "report_creator", "report_status"]
}

module "api" {
  source = "../../modules/api"

  name_prefix = var.name_prefix
  kms_key_arn = var.kms_key_arn
  functions = {
    for f in local.functions : f => {
      role_arn = var.role_arns[f]
      package = {
        filename      = "${var.package_dir}/${f}.zip"
        source_sha256 = filebase64sha256("${var.package_dir}/${f}.zip")
      }
      environment_variables = var.environment[f]
    }
  }
  throttling_rate_limit  = 5
  throttling_burst_limit = 10
  tags                   = { Example = "api" }
}
