variable "primary_region" {
  type        = string
  description = "Region of the first stack."
  default     = "us-east-1"
}

variable "secondary_region" {
  type        = string
  description = "Region of the second stack."
  default     = "eu-west-1"
}

variable "name_prefix" {
  type        = string
  description = "The same name_prefix for both stacks."
  default     = "sp-reports"
}

variable "notification_email" {
  type        = string
  description = "Address that receives both stacks' report emails; null subscribes nobody."
  default     = null
}

variable "lambda_package_dir" {
  type        = string
  description = "Directory holding the functions' zips and manifest.json (a release's files, or make package's .build/lambda); null uses the module's default."
  default     = null
}

variable "primary_api_gateway_cloudwatch_role_arn" {
  type        = string
  description = "The account's API Gateway CloudWatch role in the primary region: what `aws apigateway get-account --query cloudwatchRoleArn` answers there, or the role modules/account_settings made (the stage's logs need it; the stack does not manage the account-wide setting)."
}

variable "secondary_api_gateway_cloudwatch_role_arn" {
  type        = string
  description = "The account's API Gateway CloudWatch role in the secondary region (a setting per region): what `aws apigateway get-account --query cloudwatchRoleArn` answers there, or the role modules/account_settings made (the stage's logs need it; the stack does not manage the account-wide setting)."
}
