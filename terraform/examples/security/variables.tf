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

variable "api_id" {
  type        = string
  description = "ID of the REST API the invoke role may call."
  default     = "a1b2c3d4e5"
}

variable "api_callers" {
  type        = list(string)
  description = "Principals allowed to assume the API invoke role."
  default     = []
}

variable "lwa_client_id" {
  type        = string
  description = "LWA client id; null leaves the secret value to be set out of band."
  default     = null
}

variable "lwa_client_secret" {
  type        = string
  description = "LWA client secret (ephemeral: pass with TF_VAR_lwa_client_secret)."
  default     = null
  sensitive   = true
  ephemeral   = true
}
