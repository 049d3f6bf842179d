provider "aws" {
  region = var.region
}

module "function" {
  source = "../../modules/lambda_function"

  function_name = "${var.name_prefix}-report-status"
  description   = "Example: one function from a local zip"
  handler       = "sp_reports.handlers.report_status.handler"
  kms_key_arn   = var.kms_key_arn
  memory_size   = 256
  timeout       = 29
  # The module creates the role <function_name> with these statements as its inline policy.
  policy_statements = [{
    Sid      = "ReadReportRecords"
    Effect   = "Allow"
    Action   = "dynamodb:GetItem"
    Resource = var.reports_table_arn
  }]
  environment_variables = {
    LOG_LEVEL = "INFO"
  }
  package = {
    filename      = var.zip_path
    source_sha256 = filebase64sha256(var.zip_path)
  }
  tags = { Example = "lambda_function" }
}
