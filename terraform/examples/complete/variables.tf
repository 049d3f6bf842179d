variable "region" {
  type        = string
  description = "Region of the stack."
  default     = "eu-west-1"
}

variable "allowed_account_ids" {
  type        = list(string)
  description = "The accounts this configuration may touch; the provider refuses any other (empty: any)."
  default     = []
}

variable "default_tags" {
  type        = map(string)
  description = "Tags the provider puts on every resource it creates."
  default     = { ManagedBy = "terraform", Service = "sp-reports" }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name of the stack."
  default     = "sp-reports"
}

variable "notification_email" {
  type        = string
  description = "Address that receives report emails and alarms; null subscribes nobody."
  default     = null
}

variable "lwa_client_id" {
  type        = string
  description = "LWA client id of the SP-API application; null leaves the secret to be set out of band."
  default     = null
}

variable "lwa_client_secret" {
  type        = string
  description = "LWA client secret (TF_VAR_lwa_client_secret); ephemeral, never in plan or state."
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "release_bucket" {
  type        = string
  description = "Bucket in this region holding sp-reports releases (make release; docs/releases.md), published under sp-reports/<version>/."
}

variable "release_version" {
  type        = string
  description = "The release to deploy: the same version as the module's ?ref (e.g. 1.0.0 for ?ref=v1.0.0)."
  default     = "1.0.0"
}

variable "api_invoke_trusted_principal_arns" {
  type        = list(string)
  description = "IAM principals that may assume the API invoke role."
  default     = []
}

variable "cost_center" {
  type        = string
  description = "Cost center tag of the stack's resources."
  default     = "data-platform"
}

variable "api_gateway_cloudwatch_role_arn" {
  type        = string
  description = "The account's API Gateway CloudWatch role in this region: what `aws apigateway get-account --query cloudwatchRoleArn` answers there, or the role modules/account_settings made (the stage's logs need it; the stack does not manage the account-wide setting)."
}
