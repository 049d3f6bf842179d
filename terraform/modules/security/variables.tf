variable "name_prefix" {
  type        = string
  description = "Prefix of every name this module creates (roles, keys' aliases, the secret), so several stacks fit in one account."

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

variable "reports_bucket_arn" {
  type        = string
  description = "ARN of the S3 bucket the reports are stored in."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9.-]{3,63}$", var.reports_bucket_arn))
    error_message = "reports_bucket_arn must be an S3 bucket ARN."
  }
}

variable "reports_key_prefix" {
  type        = string
  description = "Key prefix under which report objects live; the report Lambdas may touch only objects below it (\"\" = the whole bucket)."
  default     = ""

  validation {
    condition     = var.reports_key_prefix == "" || can(regex("^[^*?]+/$", var.reports_key_prefix))
    error_message = "reports_key_prefix must be empty or end with '/' and contain no wildcards."
  }
}

variable "token_encrypter_role_arns" {
  type        = list(string)
  description = "Roles that may encrypt refresh tokens with the tokens key (the token store), with the encryption context {\"SellerId\": <id>} only. The key policy names them and KMS refuses a role that does not exist yet, so pass ARNs that wait for the roles (e.g. the lambda_function module's function_role_arn)."

  validation {
    condition     = length(var.token_encrypter_role_arns) > 0 && alltrue([for arn in var.token_encrypter_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "token_encrypter_role_arns must list one or more IAM role ARNs."
  }
}

variable "token_decrypter_role_arns" {
  type        = list(string)
  description = "Roles that may decrypt refresh tokens with the tokens key (the token readers), with the encryption context {\"SellerId\": <id>} only. Like token_encrypter_role_arns, ARNs that wait for the roles."

  validation {
    condition     = length(var.token_decrypter_role_arns) > 0 && alltrue([for arn in var.token_decrypter_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "token_decrypter_role_arns must list one or more IAM role ARNs."
  }
}

variable "download_link_signer_trusted_role_arns" {
  type        = list(string)
  description = "Roles that may assume the download-link signer (the functions that hand out report links). IAM refuses a trust policy naming a role that does not exist yet, so pass ARNs that wait for the roles."

  validation {
    condition     = length(var.download_link_signer_trusted_role_arns) > 0 && alltrue([for arn in var.download_link_signer_trusted_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "download_link_signer_trusted_role_arns must list one or more IAM role ARNs."
  }
}

variable "spapi_queue_arns" {
  type        = list(string)
  description = "ARNs of the queues SP-API's account may use the data key for (the notifications queue and its DLQ); the key policy binds its grant to them with kms:EncryptionContext:aws:sqs:arn. The queues are encrypted with this key, so pass ARNs built from the queue names (the queue module's queue_arns_from_names) rather than the queues' arn attributes, which would be a dependency cycle."

  validation {
    condition     = length(var.spapi_queue_arns) > 0 && alltrue([for arn in var.spapi_queue_arns : can(regex("^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$", arn))])
    error_message = "spapi_queue_arns must list one or more SQS queue ARNs, without wildcards."
  }
}

variable "api_execution_arn" {
  type        = string
  description = "Execution ARN of the REST API (`arn:aws:execute-api:region:account:api-id`); the invoke role may call its methods only."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:execute-api:[a-z0-9-]+:[0-9]{12}:[a-z0-9]+$", var.api_execution_arn))
    error_message = "api_execution_arn must be an execute-api ARN without stage or method."
  }
}

variable "api_stage_name" {
  type        = string
  description = "Stage of the REST API the invoke role may call."
  default     = "prod"
}

variable "api_invoke_trusted_principal_arns" {
  type        = list(string)
  description = "IAM principals (roles, users or account roots) allowed to assume the API invoke role; empty means this account's root, i.e. any principal of the account whose own policy allows it."
  default     = []

  validation {
    condition     = alltrue([for arn in var.api_invoke_trusted_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:(iam|sts)::[0-9]{12}:.+$", arn))])
    error_message = "api_invoke_trusted_principal_arns must contain IAM principal ARNs only (no '*')."
  }
}

variable "create_api_invoke_user" {
  type        = bool
  description = "Create an IAM user allowed to assume the API invoke role, like the reference Quick Start does. Access keys are not created here (they would land in the state): create them out of band."
  default     = false
}

variable "spapi_notifications_account_id" {
  type        = string
  description = "AWS account SP-API sends notifications from; it must be able to use the data key to write to the encrypted queue. No default: the root module holds the documented account (its spapi_notifications_account_id) and passes it here and to the queue module."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.spapi_notifications_account_id))
    error_message = "spapi_notifications_account_id must be a 12-digit AWS account id."
  }
}

variable "key_administrator_arns" {
  type        = list(string)
  description = "Principals that administer the keys this module creates (administrative actions only, no cryptographic use). Empty (the default) names this account's root: IAM policies then decide who administers the keys, and any principal whose IAM policy allows kms:PutKeyPolicy can rewrite their policies. Given, only these principals can; they must include the principal that runs Terraform (KMS refuses a key policy that locks its creator out), and the data key's policy lets IAM policies of the account grant its use but not its administration."
  default     = []

  validation {
    condition     = alltrue([for arn in var.key_administrator_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "key_administrator_arns must contain IAM role, user or account-root ARNs only (no '*', no assumed-role session ARNs)."
  }
}

variable "kms_deletion_window_days" {
  type        = number
  description = "Waiting period, in days, before a scheduled deletion of a key this module creates takes effect (7-30)."
  default     = 30

  # KMS API Reference, ScheduleKeyDeletion: PendingWindowInDays "must be between 7 and 30, inclusive"
  # (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html).
  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be a whole number of days between 7 and 30 (KMS ScheduleKeyDeletion's PendingWindowInDays)."
  }
}

variable "secret_recovery_window_days" {
  type        = number
  description = "Days a deleted LWA credentials secret can be restored (0 deletes it at once)."
  default     = 30

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "lwa_client_id" {
  type        = string
  description = "LWA client id of the SP-API application. When null, the secret is created empty and its value set out of band (`aws secretsmanager put-secret-value`)."
  default     = null
}

variable "lwa_client_secret" {
  type        = string
  description = "LWA client secret; ephemeral and written through the write-only `secret_string_wo`, so it never lands in plan or state. Required when lwa_client_id is set."
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "lwa_credentials_version" {
  type        = number
  description = "Bump to push a new lwa_client_id/lwa_client_secret into the secret (write-only values cannot be diffed)."
  default     = 1

  validation {
    condition     = var.lwa_credentials_version >= 1
    error_message = "lwa_credentials_version must be a positive number."
  }
}

# A key the caller brings is named by its key ARN: an IAM policy statement identifies a KMS key by its key ARN
# only ("You cannot use a key id, alias name, or alias ARN to identify a KMS key in an IAM policy statement"; KMS
# Developer Guide, "Specifying KMS keys in IAM policy statements":
# https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html), and the functions' statements
# name these keys as their Resource. A KMS key is used in its own Region only (KMS Developer Guide, "Multi-Region
# keys in AWS KMS": https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html; a
# multi-Region key is named by its replica's ARN in this Region), and ARNs never cross partitions.
variable "existing_data_kms_key_arn" {
  type        = string
  description = "Key ARN of an existing symmetric KMS key to use as the data key (queues, topic, bucket, tables, log groups, the LWA credentials secret, Lambda environments) instead of creating one; null creates it. Its policy must hold the statements of the key_policy_statements_required output's `data`."
  default     = null

  validation {
    condition     = var.existing_data_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-)?[0-9a-f-]{32,36}$", var.existing_data_kms_key_arn))
    error_message = "existing_data_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); an alias ARN or a key id does not identify a key in a policy statement."
  }

  validation {
    condition     = var.existing_data_kms_key_arn == null || try(split(":", var.existing_data_kms_key_arn)[1] == data.aws_partition.current.partition && split(":", var.existing_data_kms_key_arn)[3] == data.aws_region.current.id, false)
    error_message = "existing_data_kms_key_arn must be a key of this partition and Region (a KMS key is used in its own Region only)."
  }
}

variable "existing_tokens_kms_key_arn" {
  type        = string
  description = "Key ARN of an existing symmetric KMS key to encrypt the sellers' refresh tokens with instead of creating one; null creates it. It must not be the data key, and its policy must hold the statements of the key_policy_statements_required output's `tokens` and give no other principal (nor IAM policies of the account) cryptographic use."
  default     = null

  validation {
    condition     = var.existing_tokens_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-)?[0-9a-f-]{32,36}$", var.existing_tokens_kms_key_arn))
    error_message = "existing_tokens_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); an alias ARN or a key id does not identify a key in a policy statement."
  }

  validation {
    condition     = var.existing_tokens_kms_key_arn == null || try(split(":", var.existing_tokens_kms_key_arn)[1] == data.aws_partition.current.partition && split(":", var.existing_tokens_kms_key_arn)[3] == data.aws_region.current.id, false)
    error_message = "existing_tokens_kms_key_arn must be a key of this partition and Region (a KMS key is used in its own Region only)."
  }

  # The data key's policy lets IAM policies of the account grant its use; the tokens key's must not.
  validation {
    condition     = var.existing_tokens_kms_key_arn == null || var.existing_tokens_kms_key_arn != var.existing_data_kms_key_arn
    error_message = "existing_tokens_kms_key_arn must not be the data key: only the token functions may use the tokens key, while IAM policies grant use of the data key."
  }
}

variable "iam_name_prefix" {
  type        = string
  description = "Prefix of the IAM names this module creates (`<iam_name_prefix>-download-link-signer`, `<iam_name_prefix>-api-invoke` for the role and the optional user); null uses name_prefix. IAM names are global to the account, unlike the keys' aliases and the secret: a stack deployed in several regions needs the region in it (the root passes `<name_prefix>-<region>`)."
  default     = null

  # IAM User Guide, "IAM and AWS STS quotas": role and user names are at most 64 characters of letters, digits
  # and +=,.@_- (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); the longest name
  # here adds 21 characters ("-download-link-signer").
  validation {
    condition     = var.iam_name_prefix == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,43}$", var.iam_name_prefix))
    error_message = "iam_name_prefix must be 1-43 characters of letters, digits and +=,.@_- (IAM names are at most 64 characters, and \"-download-link-signer\" adds 21)."
  }
}

variable "role_path" {
  type        = string
  description = "Path of the IAM roles this module creates (the download-link signer and the API invoke role) and of the optional API invoke user (e.g. `/sp-reports/`, where an estate's SCPs or permission sets expect its workloads' roles); their ARNs include it."
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
  description = "ARN of the managed policy set as the permissions boundary of the IAM roles this module creates and of the optional API invoke user (an estate whose SCPs require iam:PermissionsBoundary); null sets none."
  default     = null

  # IAM User Guide, "Permissions boundaries for IAM entities": the boundary is a managed policy, AWS managed
  # (arn:aws:iam::aws:policy/...) or customer managed (arn:aws:iam::<account>:policy/...)
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be null or a managed policy ARN (arn:aws:iam::<account or aws>:policy/<path><name>)."
  }
}
