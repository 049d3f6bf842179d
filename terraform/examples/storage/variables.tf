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
  description = "ARN of an existing customer-managed key (e.g. the security module's data key)."
}
