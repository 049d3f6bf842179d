variable "name_prefix" {
  type        = string
  description = "Prefix of every name this module creates (function, roles, schedule, alarm), so several stacks fit in one account."

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
  description = "Customer-managed KMS key for the function's environment and log group."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "function_key" {
  type        = string
  description = "The function's key: its handler is `handlers.<key>.handler`, the function, its role and the schedule are `<name_prefix>-<key with dashes>`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,40}$", var.function_key))
    error_message = "function_key must be a lowercase Python module name of at most 41 characters."
  }
}

variable "function" {
  type = object({
    description                    = optional(string, "")
    package                        = object({ filename = optional(string), s3_bucket = optional(string), s3_key = optional(string), s3_version = optional(string), source_sha256 = string })
    runtime                        = optional(string, "python3.13")
    architecture                   = optional(string, "x86_64")
    memory_size                    = optional(number, 256)
    timeout                        = optional(number, 600)
    reserved_concurrent_executions = optional(number, -1)
    log_retention_days             = optional(number, 365)
    environment_variables          = optional(map(string), {})
  })
  description = "The scheduled function's code package and settings (the lambda_function module's arguments of the same names)."
}

variable "policy_statements" {
  type        = any
  description = "IAM statements of the function's own permissions (the lambda_function module's policy_statements), on an execution role of its own named like the function."
  default     = []
}

variable "schedule_expression" {
  type        = string
  description = "When the schedule fires: an EventBridge Scheduler rate() or cron() expression, in UTC."
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.schedule_expression))
    error_message = "schedule_expression must be rate(<n> minute(s)|hour(s)|day(s)) or cron(...)."
  }
}

variable "schedule_description" {
  type        = string
  description = "What the scheduled runs do (the schedule's description and the alarm's)."
  default     = ""
}

variable "enabled" {
  type        = bool
  description = "Whether the schedule fires (DISABLED keeps it without running the function)."
  default     = true
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic the Errors alarm notifies; null creates no alarm."
  default     = null
}

variable "alarm_period_seconds" {
  type        = number
  description = "Evaluation period of the Errors alarm."
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be 60, 300, 900 or 3600."
  }
}
