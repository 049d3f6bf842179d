variable "function_name" {
  type        = string
  description = "Name of the Lambda function; also names its log group `/aws/lambda/<function_name>`."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, '-' or '_'."
  }
}

variable "description" {
  type        = string
  description = "Human-readable description of what the function does."
  default     = ""
}

variable "handler" {
  type        = string
  description = "Python handler in `module.function` form, e.g. `sp_reports.handlers.token_storage.handler`."

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must look like package.module.function."
  }
}

variable "runtime" {
  type        = string
  description = "Lambda runtime identifier; the zip's dependencies must be built for it."
  default     = "python3.13"

  validation {
    condition     = can(regex("^python3\\.(1[1-9]|[2-9][0-9])$", var.runtime))
    error_message = "runtime must be a Python 3.11+ Lambda runtime such as python3.13."
  }
}

variable "architecture" {
  type        = string
  description = "Instruction set of the function; the zip's binary wheels must match it."
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "create_role" {
  type        = bool
  description = "Create the execution role (named role_name) with policy_statements; false runs the function as role_arn, a role the caller manages. Either way this module adds an inline policy for the function's own log group and X-Ray."
  default     = true
}

variable "role_name" {
  type        = string
  description = "Name of the execution role created when create_role is true; null uses function_name."
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters an IAM role name accepts."
  }
}

variable "role_path" {
  type        = string
  description = "Path of the execution role created when create_role is true (e.g. `/sp-reports/`, where an estate's SCPs or permission sets expect its workloads' roles); the role's ARN includes it."
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
  description = "ARN of the managed policy set as the permissions boundary of the execution role created when create_role is true (an estate whose SCPs require iam:PermissionsBoundary); null sets none."
  default     = null

  # IAM User Guide, "Permissions boundaries for IAM entities": the boundary is a managed policy, AWS managed
  # (arn:aws:iam::aws:policy/...) or customer managed (arn:aws:iam::<account>:policy/...)
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be null or a managed policy ARN (arn:aws:iam::<account or aws>:policy/<path><name>)."
  }
}

variable "role_description" {
  type        = string
  description = "Description of the execution role created when create_role is true; null says whose execution role it is."
  default     = null
}

variable "attach_policy_statements" {
  type        = bool
  description = "Attach policy_statements to the created role. A flag of its own, as in terraform-aws-modules/lambda: the statements usually hold ARNs known only after apply, and whether to create the policy must be known at plan time. Set false when the function needs no permissions of its own (IAM refuses a policy without statements)."
  default     = true
}

variable "policy_statements" {
  type        = any
  description = "IAM policy statements of the function's own permissions, in IAM JSON form (`Sid`, `Effect`, `Action`, `Resource`, optional `Condition`), attached as the inline policy `<role_name>-access` of the role created when create_role (and attach_policy_statements) is true. Each statement one purpose, its Sid saying what it allows."
  default     = []

  validation {
    condition     = alltrue([for s in var.policy_statements : can(regex("^[A-Za-z0-9]+$", s.Sid)) && contains(["Allow", "Deny"], s.Effect) && can(s.Action) && can(s.Resource)])
    error_message = "policy_statements must be a list of IAM statements, each with an alphanumeric Sid, Effect Allow or Deny, Action and Resource."
  }
}

variable "role_arn" {
  type        = string
  description = "ARN of the execution role when create_role is false (a role the caller manages, e.g. with its business permissions); ignored otherwise."
  default     = null

  validation {
    condition     = var.role_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", var.role_arn))
    error_message = "role_arn must be an IAM role ARN."
  }

  validation {
    condition     = var.create_role || var.role_arn != null
    error_message = "role_arn is required when create_role is false."
  }
}

variable "memory_size" {
  type        = number
  description = "Memory in MB (CPU scales with it)."
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  type        = number
  description = "Timeout in seconds."
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "ephemeral_storage_size" {
  type        = number
  description = "Size of the function's /tmp in MB (512, Lambda's default and free allowance, to 10240)."
  default     = 512

  validation {
    condition     = var.ephemeral_storage_size >= 512 && var.ephemeral_storage_size <= 10240 && floor(var.ephemeral_storage_size) == var.ephemeral_storage_size
    error_message = "ephemeral_storage_size must be whole MB between 512 and 10240."
  }
}

variable "reserved_concurrent_executions" {
  type        = number
  description = "Concurrency reserved for (and capping) the function; -1 leaves it unreserved."
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or a non-negative number."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "Environment variables of the function (no secrets: they are visible to anyone who can read the function configuration)."
  default     = {}
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key that encrypts the environment variables and the log group."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's log group, in days."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "tracing_mode" {
  type        = string
  description = "X-Ray tracing mode."
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "dead_letter_target_arn" {
  type        = string
  description = "SQS queue or SNS topic ARN that receives failed asynchronous invocations; null when the function is only invoked synchronously."
  default     = null
}

variable "package" {
  type = object({
    filename      = optional(string)
    s3_bucket     = optional(string)
    s3_key        = optional(string)
    s3_version    = optional(string)
    source_sha256 = string
  })
  description = "Where the code zip is: either `filename` (a local zip) or `s3_bucket` + `s3_key` (+ `s3_version`); `source_sha256` is the base64 SHA-256 of the zip (`filebase64sha256`), so code is redeployed exactly when it changes."

  validation {
    condition     = (var.package.filename != null) != (var.package.s3_bucket != null && var.package.s3_key != null)
    error_message = "package must set either filename or both s3_bucket and s3_key, not both."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.package.source_sha256))
    error_message = "package.source_sha256 must be a base64 SHA-256 digest as returned by filebase64sha256()."
  }
}

variable "code_signing_config_arn" {
  type        = string
  description = "ARN of a Lambda code signing configuration (its allowed AWS Signer signing profiles and its policy, Warn or Enforce) the function's code is checked against; null deploys the code unchecked. With Enforce, only zips signed by an allowed profile deploy: local builds are unsigned."
  default     = null

  # arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<17 characters>, the form Lambda's API
  # (CodeSigningConfigArn) accepts.
  validation {
    condition     = var.code_signing_config_arn == null || can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be a Lambda code signing configuration ARN (arn:aws:lambda:<region>:<account>:code-signing-config:csc-<id>)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource of the module."
  default     = {}
}

variable "vpc_subnet_ids" {
  type        = list(string)
  description = "Subnets the function runs in (its network interfaces); empty (the default) keeps the function outside any VPC. Set with vpc_security_group_ids. In a VPC the function reaches AWS APIs and the internet only through the VPC's NAT or endpoints, and its role gets the network-interface permissions Lambda needs."
  default     = []
  nullable    = false

  # Lambda API Reference, VpcConfig: SubnetIds "Maximum number of 16 items"
  # (https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html).
  validation {
    condition     = length(var.vpc_subnet_ids) <= 16 && alltrue([for id in var.vpc_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "vpc_subnet_ids must list at most 16 subnet ids (subnet-...)."
  }
}

variable "vpc_security_group_ids" {
  type        = list(string)
  description = "Security groups of the function's network interfaces when vpc_subnet_ids is set; empty (the default) outside a VPC."
  default     = []
  nullable    = false

  # Lambda API Reference, VpcConfig: SecurityGroupIds "Maximum number of 5 items"
  # (https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html).
  validation {
    condition     = length(var.vpc_security_group_ids) <= 5 && alltrue([for id in var.vpc_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "vpc_security_group_ids must list at most 5 security group ids (sg-...)."
  }

  # A function in a VPC needs both (Lambda Developer Guide, "Giving Lambda functions access to resources in an
  # Amazon VPC": https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html); either alone is a
  # half-made placement Lambda refuses or silently ignores.
  validation {
    condition     = (length(var.vpc_subnet_ids) == 0) == (length(var.vpc_security_group_ids) == 0)
    error_message = "vpc_subnet_ids and vpc_security_group_ids go together: set both to place the function in a VPC, or neither."
  }
}
