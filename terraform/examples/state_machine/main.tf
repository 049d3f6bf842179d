provider "aws" {
  region = var.region
}

module "state_machine" {
  source = "../../modules/state_machine"

  name_prefix = var.name_prefix
  kms_key_arn = var.kms_key_arn
  functions = {
    for f in ["report_storer", "report_notifier"] : f => {
      role_arn = var.role_arns[f]
      package = {
        filename      = "${var.package_dir}/${f}.zip"
        source_sha256 = filebase64sha256("${var.package_dir}/${f}.zip")
      }
      environment_variables = var.environment[f]
    }
  }
  notification_email = var.notification_email
  dlq_name           = var.dlq_name
  tags               = { Example = "state_machine" }
}
