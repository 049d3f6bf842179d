variable "name_prefix" {
  type        = string
  description = "Prefix of every name this module creates (tables, bucket), so several stacks fit in one account."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'."
  }

  # The derived reports bucket name (bucket_name = null) starts with "<name_prefix>-", and S3 refuses bucket
  # names that start with xn--, sthree- (which covers sthree-configurator) or amzn-s3-demo- (S3 User Guide,
  # "General purpose bucket naming rules": https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
  # The prefix is checked with its dash, so "sthree" (bucket "sthree-reports-...") is refused too. The prefix
  # never ends a bucket name (the account id and region follow it), so the reserved suffixes cannot apply.
  validation {
    condition     = !anytrue([for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith("${var.name_prefix}-", reserved)])
    error_message = "name_prefix must not make bucket names start with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-): the bucket names start with \"<name_prefix>-\"."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource of the module."
  default     = {}
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key that encrypts every table and the bucket (SSE-KMS with bucket keys)."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "bucket_name" {
  type        = string
  description = "Name of the reports bucket; null derives `<name_prefix>-reports-<account id>-<region>` (bucket names are global)."
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-')."
  }

  # S3 User Guide, "General purpose bucket naming rules"
  # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): no two adjacent periods, not
  # an IP address, none of the reserved prefixes (xn--, sthree-, amzn-s3-demo-) and none of the suffixes reserved
  # for access point aliases (-s3alias), Object Lambda access point aliases (--ol-s3), Multi-Region Access
  # Points (.mrap) and directory buckets (--x-s3).
  validation {
    condition = var.bucket_name == null || (
      !strcontains(coalesce(var.bucket_name, "-"), "..") &&
      !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", coalesce(var.bucket_name, "-"))) &&
      !anytrue([for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith(coalesce(var.bucket_name, "-"), reserved)]) &&
      !anytrue([for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3"] : endswith(coalesce(var.bucket_name, "-"), reserved)])
    )
    error_message = "bucket_name must follow S3's naming rules: no '..', not an IP address, not starting with xn--, sthree- or amzn-s3-demo-, not ending with -s3alias, --ol-s3, .mrap or --x-s3."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect every table from deletion and keep the bucket from being destroyed while it holds objects (force_destroy = !deletion_protection)."
  default     = true
}

variable "point_in_time_recovery" {
  type        = bool
  description = "Enable point-in-time recovery on every table."
  default     = true
}

variable "report_expiration_days" {
  type        = number
  description = "Days after which stored reports expire; null keeps them."
  default     = null

  validation {
    condition     = var.report_expiration_days == null || try(var.report_expiration_days >= 1 && floor(var.report_expiration_days) == var.report_expiration_days, false)
    error_message = "report_expiration_days must be null or a whole number of days, at least 1."
  }
}

variable "restricted_report_expiration_days" {
  type        = number
  description = "Days after which stored documents of restricted report types (objects tagged data_class_tag_key = restricted_data_class, which the report storer sets) expire; their noncurrent versions go one day after they become noncurrent. At most 30: Amazon's Data Protection Policy has PII kept no longer than 30 days after order delivery."
  default     = 30
  nullable    = false

  # Amazon Selling Partner API Data Protection Policy, Additional Security Requirements, Data Retention:
  # "Developers will retain PII for no longer than 30 days after order delivery" (Policies and Agreements:
  # https://developer-docs.amazon.com/sp-api/docs/policies-and-agreements; Key Security Control Guidance:
  # https://developer-docs.amazon.com/sp-api/docs/guidance-to-address-key-security-controls-in-sp-api-integration).
  validation {
    condition     = var.restricted_report_expiration_days >= 1 && var.restricted_report_expiration_days <= 30 && floor(var.restricted_report_expiration_days) == var.restricted_report_expiration_days
    error_message = "restricted_report_expiration_days must be a whole number of days between 1 and 30 (Amazon's Data Protection Policy keeps PII at most 30 days)."
  }
}

variable "data_class_tag_key" {
  type        = string
  description = "Key of the object tag that gives a stored document's data class (src/sp_reports/pipeline/report_storage.py DATA_CLASS_TAG)."
  default     = "data-class"
  nullable    = false
}

variable "restricted_data_class" {
  type        = string
  description = "Value of data_class_tag_key on documents of restricted (PII) report types (report_storage.py RESTRICTED_DATA_CLASS)."
  default     = "restricted"
  nullable    = false
}

variable "transition_to_infrequent_access_days" {
  type        = number
  description = "Days after which stored reports move to STANDARD_IA; null never moves them."
  default     = 30

  validation {
    condition     = var.transition_to_infrequent_access_days == null || try(var.transition_to_infrequent_access_days >= 30, false)
    error_message = "transition_to_infrequent_access_days must be null or at least 30 (S3 minimum for STANDARD_IA)."
  }
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days after which overwritten or deleted report versions are removed (restricted documents' go after one day)."
  default     = 7

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  type        = number
  description = "Days after which abandoned multipart uploads are cleaned up."
  default     = 1

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1
    error_message = "abort_incomplete_multipart_upload_days must be at least 1."
  }
}

variable "access_log_bucket" {
  type        = string
  description = "Name of an existing bucket that receives the reports bucket's S3 server access logs (same account and Region; its policy must let logging.s3.amazonaws.com put objects); null disables access logging."
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be a bucket name (3-63 lowercase letters, digits, '.' or '-'), not an ARN."
  }
}

variable "access_log_prefix" {
  type        = string
  description = "Key prefix of the access logs in access_log_bucket; the reports bucket's name and '/' follow it, so buckets that log to the same bucket stay apart."
  default     = ""
  nullable    = false

  validation {
    condition     = var.access_log_prefix == "" || can(regex("^[A-Za-z0-9!_.*'()/-]{0,900}/$", var.access_log_prefix))
    error_message = "access_log_prefix must be empty or end with '/', in S3's safe key characters."
  }
}

variable "object_reader_principal_arns" {
  type        = list(string)
  description = "The only IAM principals (roles, users or an account root, by ARN; no wildcards) that may read the reports bucket's objects (s3:GetObject*): the bucket policy denies every other principal, whatever its IAM policies allow. Each still needs an IAM policy that allows the read. Empty: no such Deny (every principal whose IAM policy allows it may read)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.object_reader_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "object_reader_principal_arns must hold IAM role, user or account-root ARNs without wildcards (no assumed-role session ARNs: aws:PrincipalArn of a session is its role's ARN)."
  }
}

variable "tenant_map" {
  type        = bool
  description = "Create the tenant map table (`<name_prefix>-tenants`, hash key PrincipalArn, range key SellerId): which sellers each principal may act for."
  default     = false
  nullable    = false
}

variable "curated_prefix" {
  type        = string
  description = "Prefix of the report converter's Parquet tables (the analytics module's curated_prefix); curated readers may read only under it and query_results_prefix."
  default     = "curated/"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*/$", var.curated_prefix))
    error_message = "curated_prefix must be lowercase letters, digits and '-' ending with '/'."
  }
}

variable "curated_staging_prefix" {
  type        = string
  description = "Prefix the report converter stages Parquet files under before moving them to curated_prefix; a lifecycle rule expires what is left there after a day."
  default     = "curated-staging/"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*/$", var.curated_staging_prefix))
    error_message = "curated_staging_prefix must be lowercase letters, digits and '-' ending with '/'."
  }
}

variable "query_results_prefix" {
  type        = string
  description = "Prefix Athena writes query results under (the analytics module's), expired after query_results_expiration_days; null: no results are written here, no rule."
  default     = null

  validation {
    condition     = var.query_results_prefix == null || can(regex("^[a-z0-9][a-z0-9-]*/$", coalesce(var.query_results_prefix, "-")))
    error_message = "query_results_prefix must be lowercase letters, digits and '-' ending with '/'."
  }
}

variable "query_results_expiration_days" {
  type        = number
  description = "Days Athena query results are kept under query_results_prefix."
  default     = 7
  nullable    = false

  validation {
    condition     = var.query_results_expiration_days >= 1 && floor(var.query_results_expiration_days) == var.query_results_expiration_days
    error_message = "query_results_expiration_days must be a whole number of days, at least 1."
  }
}

variable "curated_reader_principal_arns" {
  type        = list(string)
  description = "IAM roles or users (or an account root), by ARN, that may read the curated tables and query results only (analysts querying with Athena): the bucket policy lets them past the report readers' Deny and denies them every other object. Each still needs an IAM policy allowing the read (the analytics module's analyst_policy_json). No wildcards."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.curated_reader_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "curated_reader_principal_arns must hold IAM role, user or account-root ARNs without wildcards (aws:PrincipalArn of an assumed-role session is its role's ARN: name the role)."
  }
}
