variable "name" {
  type        = string
  description = "Name of the schedule; its role is `<name>-schedule` unless role_name says otherwise."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,55}$", var.name))
    error_message = "name must be 1-55 characters of letters, digits, '_', '.' and '-' (the role's default name adds '-schedule', the DLQ '-dlq')."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource of the module that takes tags."
  default     = {}
}

variable "function_name" {
  type        = string
  description = "Name of the Lambda function the schedule invokes (its asynchronous-invocation settings and the alarm's dimension)."
}

variable "function_arn" {
  type        = string
  description = "Unqualified ARN of the Lambda function the schedule invokes; the schedule's role may invoke it and nothing else."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", var.function_arn))
    error_message = "function_arn must be an unqualified Lambda function ARN."
  }
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

variable "description" {
  type        = string
  description = "What the scheduled runs do (the schedule's description and the alarm's)."
  default     = ""
}

variable "enabled" {
  type        = bool
  description = "Whether the schedule fires (DISABLED keeps it without invoking the function)."
  default     = true
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic the Errors and DLQ alarms notify; null leaves the alarms without actions (visible in CloudWatch only)."
  default     = null
}

variable "alarm_period_seconds" {
  type        = number
  description = "Evaluation period of the Errors and DLQ alarms."
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be 60, 300, 900 or 3600."
  }
}

variable "role_name" {
  type        = string
  description = "Name of the role the schedule assumes; null names it `<name>-schedule`. IAM names are global to the account: a stack deployed in several regions needs the region in it."
  default     = null

  # IAM User Guide, "IAM and AWS STS quotas": role names are at most 64 characters of letters, digits and
  # +=,.@_- (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters an IAM role name accepts (letters, digits and +=,.@_-)."
  }
}

variable "role_path" {
  type        = string
  description = "Path of the schedule's role (e.g. `/sp-reports/`, where an estate's SCPs or permission sets expect its workloads' roles); its ARN includes it."
  default     = "/"
  nullable    = false

  # IAM API Reference, CreateRole, Path: 1-512 characters, "/" alone or beginning and ending with "/", of ASCII
  # "!" (U+0021) through DEL (U+007F) (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
  validation {
    condition     = length(var.role_path) <= 512 && can(regex("^/([\\x{21}-\\x{7F}]+/)?$", var.role_path))
    error_message = "role_path must be \"/\" or begin and end with \"/\", at most 512 characters of ASCII '!' through DEL (IAM's path rules)."
  }
}

variable "role_permissions_boundary" {
  type        = string
  description = "ARN of the managed policy set as the permissions boundary of the schedule's role (an estate whose SCPs require iam:PermissionsBoundary); null sets none."
  default     = null

  # IAM User Guide, "Permissions boundaries for IAM entities": the boundary is a managed policy, AWS managed
  # (arn:aws:iam::aws:policy/...) or customer managed (arn:aws:iam::<account>:policy/...)
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be null or a managed policy ARN (arn:aws:iam::<account or aws>:policy/<path><name>)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the dead-letter queue is encrypted with; its policy must let this account's IAM policies grant its use (the schedule's role gets kms:GenerateDataKey and kms:Decrypt through SQS). null: SQS-managed encryption (SSE-SQS)."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}
