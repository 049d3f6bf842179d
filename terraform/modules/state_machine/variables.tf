variable "name_prefix" {
  type        = string
  description = "Prefix of every name this module creates (state machine, functions, topic, alarms, role), so several stacks fit in one account."

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
  description = "Customer-managed KMS key for the topic, the log groups and the functions' environment; its policy must let CloudWatch alarms publish to the topic and CloudWatch Logs use it."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "functions" {
  type = map(object({
    task                           = string
    description                    = optional(string, "")
    package                        = object({ filename = optional(string), s3_bucket = optional(string), s3_key = optional(string), s3_version = optional(string), source_sha256 = string })
    runtime                        = optional(string, "python3.13")
    architecture                   = optional(string, "x86_64")
    memory_size                    = optional(number, 512)
    timeout                        = optional(number, 300)
    reserved_concurrent_executions = optional(number, -1)
    log_retention_days             = optional(number, 365)
    environment_variables          = optional(map(string), {})
  }))
  description = "The workflow's functions, keyed by function name (the Lambda is `<name_prefix>-<key with dashes>`, its handler `handlers.<key>.handler`): the task each does (store: stream the report document into S3; notify: email the outcome, with NOTIFICATIONS_TOPIC_ARN, this module's topic, added to its environment), its code package and settings (the lambda_function module's arguments of the same names). Each function gets an execution role of its own, named like the function, holding policy_statements[<key>]. Each function's timeout plus 30 s is the TimeoutSeconds of the workflow tasks that invoke it."

  validation {
    condition     = sort([for f in values(var.functions) : f.task]) == sort(["store", "notify"])
    error_message = "functions must do each task (store, notify) exactly once."
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

variable "notification_email" {
  type        = string
  description = "Address subscribed to the topic (report ready/failed emails and alarms); null subscribes nobody. The address must confirm the subscription."
  default     = null

  validation {
    condition     = var.notification_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "notification_email must be an email address."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the state machine's log group, in days."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "dlq_name" {
  type        = string
  description = "Name of the notifications dead-letter queue to alarm on when it is not empty; null creates no DLQ alarm."
  default     = null
}

variable "alarm_period_seconds" {
  type        = number
  description = "Evaluation period of the alarms."
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be 60, 300, 900 or 3600."
  }
}
