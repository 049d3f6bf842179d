provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

module "queue" {
  source = "../../modules/queue"

  name_prefix       = var.name_prefix
  kms_key_arn       = var.kms_key_arn
  max_receive_count = 3
  processor = {
    handler = "sp_reports.handlers.notifications_processor.handler"
    timeout = 60
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
  # The module lets the processor consume the queue; what it does with a notification is the caller's.
  processor_policy_statements = [
    {
      Sid      = "TrackReportRecords"
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      Resource = "arn:aws:dynamodb:${var.region}:${data.aws_caller_identity.current.account_id}:table/${var.reports_table_name}"
    },
    {
      Sid      = "StartReportWorkflow"
      Effect   = "Allow"
      Action   = "states:StartExecution"
      Resource = var.state_machine_arn
    },
  ]
  tags = { Example = "queue" }
}
