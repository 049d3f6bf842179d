variable "region" {
  type        = string
  description = "Region of every stack of the fleet."
  default     = "eu-west-1"
}

variable "stacks" {
  type = map(object({
    notification_email = optional(string)
    lwa_client_id      = optional(string)
  }))
  description = "One sp-reports stack per entry, keyed by its name_prefix (2-24 characters: the root module validates it)."
  default = {
    "sp-reports-retail" = { notification_email = "retail-reports@example.com" }
    "sp-reports-brands" = { notification_email = "brand-reports@example.com" }
  }

  # A few grants match a stack's names by prefix (the data key's `/aws/lambda/<prefix>-*` log groups):
  # a prefix that extends another would let one stack's grants reach the other's resources.
  validation {
    condition = alltrue([
      for a in keys(var.stacks) : alltrue([for b in keys(var.stacks) : !startswith(b, "${a}-")])
    ])
    error_message = "No stack's name_prefix may be another's followed by \"-\" (\"acme\" beside \"acme-eu\"): use distinct stems such as \"acme-us\" and \"acme-eu\"."
  }
}

variable "lambda_package_dir" {
  type        = string
  description = "Directory holding the functions' zips and manifest.json (a release's files, or make package's .build/lambda); null uses the module's default."
  default     = null
}

variable "api_gateway_cloudwatch_role_arn" {
  type        = string
  description = "The account's API Gateway CloudWatch role in the region, shared by every stack of the fleet: what `aws apigateway get-account --query cloudwatchRoleArn` answers there, or the role modules/account_settings made (the stage's logs need it; the stack does not manage the account-wide setting)."
}
