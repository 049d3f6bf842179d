provider "aws" {
  region = var.region
}

module "storage" {
  source = "../../modules/storage"

  name_prefix            = var.name_prefix
  kms_key_arn            = var.kms_key_arn
  report_expiration_days = 365
  tags                   = { Example = "storage" }
}
