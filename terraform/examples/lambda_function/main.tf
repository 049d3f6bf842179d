provider "aws" {
  region = var.region
}

module "function" {
  source = "../../modules/lambda_function"

  function_name = "${var.name_prefix}-report-status"
  description   = "Example: one function from a local zip"
  handler       = "handlers.report_status.handler"
  role_arn      = var.role_arn
  kms_key_arn   = var.kms_key_arn
  memory_size   = 256
  timeout       = 29
  environment_variables = {
    LOG_LEVEL = "INFO"
  }
  package = {
    filename      = var.zip_path
    source_sha256 = filebase64sha256(var.zip_path)
  }
  tags = { Example = "lambda_function" }
}
