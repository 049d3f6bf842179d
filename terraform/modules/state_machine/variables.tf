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
    ephemeral_storage_mb           = optional(number, 512)
    reserved_concurrent_executions = optional(number, -1)
    log_retention_days             = optional(number, 365)
    environment_variables          = optional(map(string), {})
    role_name                      = optional(string)
    vpc_subnet_ids                 = optional(list(string), [])
    vpc_security_group_ids         = optional(list(string), [])
    code_signing_config_arn        = optional(string)
  }))
  description = "The workflow's functions, keyed by function name (the Lambda is `<name_prefix>-<key with dashes>`, its handler `sp_reports.handlers.<key>.handler`): the task each does (store: stream the report document into S3; convert: turn a stored DONE report into typed Parquet under curated/; notify: email the outcome, with NOTIFICATIONS_TOPIC_ARN, this module's topic, added to its environment), its code package and settings (the lambda_function module's arguments of the same names, ephemeral_storage_mb its ephemeral_storage_size; vpc_subnet_ids and vpc_security_group_ids place it in a VPC; code_signing_config_arn checks its code against a code signing configuration). Each function gets an execution role of its own, named role_name (null: like the function), in role_path with role_permissions_boundary, holding policy_statements[<key>]. Each function's timeout plus 30 s is the TimeoutSeconds of the workflow tasks that invoke it."

  validation {
    condition     = sort([for f in values(var.functions) : f.task]) == sort(["store", "convert", "notify"])
    error_message = "functions must do each task (store, convert, notify) exactly once."
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

variable "role_name" {
  type        = string
  description = "Name of the state machine's execution role; null names it like the state machine (`<name_prefix>-report-workflow`). IAM names are global to the account: a stack deployed in several regions needs the region in it."
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
  description = "Path of every IAM role this module creates, the state machine's and the functions' (e.g. `/sp-reports/`, where an estate's SCPs or permission sets expect its workloads' roles); the roles' ARNs include it."
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
  description = "ARN of the managed policy set as the permissions boundary of every IAM role this module creates (an estate whose SCPs require iam:PermissionsBoundary); null sets none."
  default     = null

  # IAM User Guide, "Permissions boundaries for IAM entities": the boundary is a managed policy, AWS managed
  # (arn:aws:iam::aws:policy/...) or customer managed (arn:aws:iam::<account>:policy/...)
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be null or a managed policy ARN (arn:aws:iam::<account or aws>:policy/<path><name>)."
  }
}

variable "subscription_protocols" {
  type        = list(string)
  description = "The only protocols the topic accepts subscriptions with (sns:Protocol); default email. Plain http is never accepted: the messages carry download links."
  default     = ["email"]
  nullable    = false

  validation {
    condition     = length(var.subscription_protocols) > 0 && alltrue([for p in var.subscription_protocols : contains(["email", "email-json", "https", "sqs", "lambda", "firehose", "sms", "application"], p)])
    error_message = "subscription_protocols must list SNS protocols among email, email-json, https, sqs, lambda, firehose, sms and application (not http: the messages carry download links)."
  }
}

variable "subscription_endpoints" {
  type        = list(string)
  description = "Patterns (sns:Endpoint, StringLike: `*` and `?`) a subscription's endpoint must match, e.g. `*@example.com` or an SQS queue's ARN; empty (the default): any endpoint of the allowed protocols."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.subscription_endpoints : trimspace(e) != "" && replace(e, "*", "") != ""])
    error_message = "subscription_endpoints must hold endpoint patterns, not empty strings or a bare '*' (leave the list empty to allow any endpoint)."
  }
}

variable "subscriber_principal_arns" {
  type        = list(string)
  description = "The only IAM principals (roles, users or an account root, by ARN; no wildcards) that may subscribe to the topic; empty (the default): any principal of the stack's account whose IAM policy allows it. Principals of other accounts never may."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.subscriber_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "subscriber_principal_arns must hold IAM role, user or account-root ARNs without wildcards."
  }
}

variable "conversion_enabled" {
  type        = bool
  description = "Whether the workflow converts a stored DONE report (the convert task, ConvertReport) before announcing it; false renders the workflow with StoreReport going straight to NotifyReady, and the state machine may not invoke the convert task's function."
  default     = true
  nullable    = false
}
