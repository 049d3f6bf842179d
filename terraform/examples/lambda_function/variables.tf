variable "region" {
  type        = string
  description = "Region to deploy the example in."
  default     = "eu-west-1"
}

variable "name_prefix" {
  type        = string
  description = "Prefix of the example's names."
  default     = "sp-example"
}

variable "reports_table_arn" {
  type        = string
  description = "DynamoDB table the function reads (its one business permission)."
}

variable "kms_key_arn" {
  type        = string
  description = "Key for the function's environment and logs."
}

variable "zip_path" {
  type        = string
  description = "Zip built by scripts/package_lambdas.py."
  default     = "../../../.build/lambda/report_status.zip"
}
