provider "aws" {
  region = var.region
}

module "queue" {
  source = "../../modules/queue"

  name_prefix       = var.name_prefix
  kms_key_arn       = var.kms_key_arn
  max_receive_count = 3
  processor = {
    handler  = "handlers.notifications_processor.handler"
    role_arn = var.processor_role_arn
    timeout  = 60
    package = {
      filename      = var.zip_path
      source_sha256 = filebase64sha256(var.zip_path)
    }
    environment_variables = {
      REPORTS_TABLE_NAME          = var.reports_table_name
      STATE_MACHINE_ARN           = var.state_machine_arn
      PROCESS_UNREQUESTED_REPORTS = "false"
    }
  }
  tags = { Example = "queue" }
}
