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

variable "kms_key_arn" {
  type        = string
  description = "Key for logs and environment variables."
}

variable "role_arns" {
  type        = map(string)
  description = "Execution role per API function (security module output lambda_role_arns)."
}

variable "environment" {
  type        = map(map(string))
  description = "Environment variables per API function."
  default = {
    token_storage            = {}
    notifications_subscriber = {}
    report_creator           = {}
    report_status            = {}
  }
}

variable "package_dir" {
  type        = string
  description = "Directory of the zips built by scripts/package_lambdas.py."
  default     = "../../../.build/lambda"
}
