variable "name_prefix" {
  type        = string
  description = "Prefix of every name this module creates (queues, processor function), so several stacks fit in one account."

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
  description = "Customer-managed KMS key for both queues and the processor's logs and environment; its policy must let the SP-API account use it through SQS."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "spapi_notifications_account_id" {
  type        = string
  description = "AWS account SP-API sends notifications from. The default, for the module used on its own (examples/queue), is the account Amazon documents (https://developer-docs.amazon.com/sp-api/docs/notifications-api-v1-use-case-guide, \"Step 1. Grant Selling Partner API permission\"); the root module passes its own spapi_notifications_account_id, which tests/terraform/test_spapi_notifications_account.py keeps equal to it."
  default     = "437568002678"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.spapi_notifications_account_id))
    error_message = "spapi_notifications_account_id must be a 12-digit AWS account id."
  }
}

variable "test_sender_role_arns" {
  type        = list(string)
  description = "TEST ONLY, off by default ([]): IAM roles the queue's policy also lets send messages (sqs:SendMessage), beside SP-API's account, e.g. an SP-API emulator delivering notifications in an acceptance run. The root module checks they belong to the deployment's own account."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.test_sender_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", arn))])
    error_message = "test_sender_role_arns must list IAM role ARNs, nothing else."
  }
}

variable "message_retention_seconds" {
  type        = number
  description = "How long an unprocessed notification stays in the queue."
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600."
  }
}

variable "visibility_timeout_seconds" {
  type        = number
  description = "Visibility timeout of the queue; null uses 6x the processor timeout (the minimum AWS recommends for Lambda event sources)."
  default     = null

  validation {
    condition     = var.visibility_timeout_seconds == null || try(var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200, false)
    error_message = "visibility_timeout_seconds must be null or between 0 and 43200."
  }
}

variable "max_receive_count" {
  type        = number
  description = "Deliveries of one message before it moves to the dead-letter queue."
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "dlq_message_retention_seconds" {
  type        = number
  description = "How long a poison notification stays in the dead-letter queue."
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600."
  }
}

variable "batch_size" {
  type        = number
  description = "Notifications handed to one processor invocation."
  # 10 from `make bench` (docs/benchmarks.md): the handler's per-invocation overhead is a small share of a
  # batch of 10, and larger batches need a batching window that would delay every notification.
  default = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }

  # Lambda API reference, CreateEventSourceMapping, MaximumBatchingWindowInSeconds: "For streams and Amazon SQS
  # event sources, when you set BatchSize to a value greater than 10, you must set
  # MaximumBatchingWindowInSeconds to at least 1." Without this check the plan passes and the apply fails.
  validation {
    condition     = var.batch_size <= 10 || var.maximum_batching_window_seconds >= 1
    error_message = "batch_size above 10 needs maximum_batching_window_seconds of at least 1 (Lambda refuses the event source mapping otherwise)."
  }
}

variable "maximum_batching_window_seconds" {
  type        = number
  description = "Seconds the event source waits to fill a batch (must be >= 1 when batch_size > 10)."
  default     = 0

  validation {
    condition     = var.maximum_batching_window_seconds >= 0 && var.maximum_batching_window_seconds <= 300
    error_message = "maximum_batching_window_seconds must be between 0 and 300."
  }
}

variable "maximum_concurrency" {
  type        = number
  description = "Cap on concurrent processor invocations by the event source mapping (ScalingConfig.MaximumConcurrency, 2-1000); null leaves it to Lambda. Use this, not the processor's reserved concurrency, to slow the processor: the mapping stops polling at the cap instead of throttling batches back to the queue and into the DLQ."
  default     = null

  # Lambda API reference, ScalingConfig: MaximumConcurrency "Minimum value of 2. Maximum value of 1000."
  # (https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html)
  validation {
    condition     = var.maximum_concurrency == null || try(var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000 && floor(var.maximum_concurrency) == var.maximum_concurrency, false)
    error_message = "maximum_concurrency must be null or a whole number between 2 and 1000."
  }
}

variable "processor" {
  type = object({
    package                        = object({ filename = optional(string), s3_bucket = optional(string), s3_key = optional(string), s3_version = optional(string), source_sha256 = string })
    handler                        = string
    function_name                  = optional(string)
    description                    = optional(string, "Processes the notifications of the queue")
    runtime                        = optional(string, "python3.13")
    architecture                   = optional(string, "x86_64")
    memory_size                    = optional(number, 256)
    timeout                        = optional(number, 30)
    reserved_concurrent_executions = optional(number, -1)
    log_retention_days             = optional(number, 365)
    environment_variables          = optional(map(string), {})
    role_name                      = optional(string)
    vpc_subnet_ids                 = optional(list(string), [])
    vpc_security_group_ids         = optional(list(string), [])
    code_signing_config_arn        = optional(string)
  })
  description = "The Lambda that processes the queue's notifications: its handler (`package.module.function`), code package and settings (the lambda_function module's arguments of the same names; vpc_subnet_ids and vpc_security_group_ids place it in a VPC; code_signing_config_arn checks its code against a code signing configuration); function_name defaults to `<name_prefix>-notifications-processor`. Environment variables are passed through as given. It gets an execution role of its own, named role_name (null: like the function), in role_path with role_permissions_boundary, that may consume the queue and holds processor_policy_statements."
}

variable "processor_policy_statements" {
  type        = any
  description = "IAM statements of what the processor does with the notifications (the lambda_function module's policy_statements), beyond consuming the queue, which this module grants. E.g. starting a workflow, recording reports."
  default     = []
}

variable "role_path" {
  type        = string
  description = "Path of the processor's execution role (e.g. `/sp-reports/`, where an estate's SCPs or permission sets expect its workloads' roles); its ARN includes it."
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
  description = "ARN of the managed policy set as the permissions boundary of the processor's execution role (an estate whose SCPs require iam:PermissionsBoundary); null sets none."
  default     = null

  # IAM User Guide, "Permissions boundaries for IAM entities": the boundary is a managed policy, AWS managed
  # (arn:aws:iam::aws:policy/...) or customer managed (arn:aws:iam::<account>:policy/...)
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be null or a managed policy ARN (arn:aws:iam::<account or aws>:policy/<path><name>)."
  }
}
