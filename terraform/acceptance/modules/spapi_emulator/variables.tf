variable "name_prefix" {
  type        = string
  description = "Name prefix of the stack the emulator serves: the function and its role are `<name_prefix>-spapi-emulator`, and it may send notifications to that stack's queues (`<name_prefix>-*`) only."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "lambda_package_dir" {
  type        = string
  description = "Directory holding `spapi_emulator.zip`, built by `scripts/package_lambdas.py --emulator`."
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the stack: it encrypts the emulator's log group and environment, and the stack's notifications queue is encrypted with it (the emulator may use it through SQS only, to send). Its policy must let CloudWatch Logs use it for `/aws/lambda/<name_prefix>-*` (the root module's data key does)."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "runtime" {
  type        = string
  description = "Lambda runtime of the emulator; the zip's dependencies must be built for it."
  default     = "python3.13"

  validation {
    condition     = can(regex("^python3\\.(1[1-9]|[2-9][0-9])$", var.runtime))
    error_message = "runtime must be a Python 3.11+ Lambda runtime such as python3.13."
  }
}

variable "architecture" {
  type        = string
  description = "Instruction set of the emulator; the zip's binary wheels must match it."
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  type        = number
  description = "Memory of the emulator in MB (it loads the SP-API models and writes report documents)."
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  type        = number
  description = "Timeout of one emulator invocation in seconds: a request through the function URL, or an asynchronous self-invocation that waits a report's lifecycle out."
  default     = 120

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "Further environment of the emulator, e.g. SPAPI_EMULATOR_IN_QUEUE_SECONDS / SPAPI_EMULATOR_IN_PROGRESS_SECONDS (the report lifecycle); SPAPI_EMULATOR_STATE_BUCKET is set by the module."
  default     = {}

  validation {
    condition     = !contains(keys(var.environment_variables), "SPAPI_EMULATOR_STATE_BUCKET")
    error_message = "SPAPI_EMULATOR_STATE_BUCKET is the module's own bucket and cannot be overridden."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the emulator's log group, in days (test infrastructure: short)."
  default     = 7
}

variable "role_permissions_boundary" {
  type        = string
  description = "ARN of the managed policy set as the permissions boundary of the emulator's role; null sets none."
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be null or the ARN of a managed policy."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource of the module."
  default     = {}
}
