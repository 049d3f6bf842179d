variable "name_prefix" {
  type        = string
  description = "Prefix of every name this module creates (API, functions, log group), so several stacks fit in one account."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource of the module."
  default     = {}
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key for the access log group and the functions' logs and environment."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "functions" {
  type = map(object({
    route                          = string
    description                    = optional(string, "")
    package                        = object({ filename = optional(string), s3_bucket = optional(string), s3_key = optional(string), s3_version = optional(string), source_sha256 = string })
    runtime                        = optional(string, "python3.13")
    architecture                   = optional(string, "x86_64")
    memory_size                    = optional(number, 256)
    timeout                        = optional(number, 29)
    reserved_concurrent_executions = optional(number, -1)
    log_retention_days             = optional(number, 365)
    environment_variables          = optional(map(string), {})
  }))
  description = "The functions behind the API, keyed by function name (the Lambda is `<name_prefix>-<key with dashes>`, its handler `handlers.<key>.handler`): the route each serves (create_token: POST /tokens, create_subscription: POST /notifications, create_report: POST /reports, get_report: GET /reports/{reportId}), its code package and settings (the lambda_function module's arguments of the same names). Each function gets an execution role of its own, named like the function, holding policy_statements[<key>]."

  validation {
    condition     = sort([for f in values(var.functions) : f.route]) == sort(["create_token", "create_subscription", "create_report", "get_report"])
    error_message = "functions must serve each route (create_token, create_subscription, create_report, get_report) exactly once."
  }

  validation {
    # API Gateway gives up on an integration after 29 seconds by default.
    condition     = alltrue([for f in values(var.functions) : f.timeout <= 29])
    error_message = "API function timeouts must be at most 29 seconds (the API Gateway integration timeout)."
  }
}

variable "policy_statements" {
  type        = any
  description = "IAM statements per function key: each function's own permissions (the lambda_function module's policy_statements). Apart from functions because statements differ in shape, and a map of objects needs one."
  default     = {}

  validation {
    condition     = alltrue([for f in keys(var.policy_statements) : contains(keys(var.functions), f)])
    error_message = "policy_statements keys must be keys of functions."
  }
}

variable "stage_name" {
  type        = string
  description = "Name of the deployed stage."
  default     = "prod"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 letters, digits, '-' or '_'."
  }
}

variable "throttling_rate_limit" {
  type        = number
  description = "Steady-state requests per second allowed on every method of the stage."
  default     = 10

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  type        = number
  description = "Burst of requests allowed on every method of the stage."
  default     = 20

  validation {
    condition     = var.throttling_burst_limit >= 1
    error_message = "throttling_burst_limit must be at least 1."
  }
}

variable "access_log_retention_days" {
  type        = number
  description = "Retention of the access log group, in days."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_days)
    error_message = "access_log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "execution_logging_level" {
  type        = string
  description = "Execution logging of the stage (OFF, ERROR or INFO). Anything but OFF needs the account-wide API Gateway CloudWatch role (see account_cloudwatch_role_arn). Data tracing is always off: it would log request bodies (refresh tokens)."
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "account_cloudwatch_role_arn" {
  type        = string
  description = "The role the account's API Gateway CloudWatch setting names in this region (account-wide: this module never sets it; modules/account_settings does). Informational, and an ordering: the stage waits for whatever produced the value, e.g. modules/account_settings' output. null: the account is assumed to have the setting already."
  default     = null
}

variable "web_acl_arn" {
  type        = string
  description = "WAFv2 web ACL to associate with the stage; null associates none."
  default     = null
}
