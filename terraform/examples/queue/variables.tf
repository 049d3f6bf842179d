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
  description = "Key whose policy lets SP-API (437568002678) use it through SQS, e.g. the security module's data key."
}

variable "reports_table_name" {
  type        = string
  description = "Reports table the processor records notifications in."
  default     = "sp-example-reports"
}

variable "state_machine_arn" {
  type        = string
  description = "Workflow the processor starts."
}

variable "zip_path" {
  type        = string
  description = "Processor zip built by scripts/package_lambdas.py."
  default     = "../../../.build/lambda/notifications_processor.zip"
}
