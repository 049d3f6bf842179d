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
  description = "Key for the topic, logs and environment variables; its policy must let CloudWatch alarms use it."
}

variable "role_arns" {
  type        = map(string)
  description = "Execution role per workflow function (security module output lambda_role_arns)."
}

variable "environment" {
  type        = map(map(string))
  description = "Environment variables per workflow function."
  default = {
    report_storer   = {}
    report_notifier = {}
  }
}

variable "notification_email" {
  type        = string
  description = "Address for report emails and alarms."
  default     = null
}

variable "dlq_name" {
  type        = string
  description = "Notifications DLQ to alarm on."
  default     = null
}

variable "package_dir" {
  type        = string
  description = "Directory of the zips built by scripts/package_lambdas.py."
  default     = "../../../.build/lambda"
}
