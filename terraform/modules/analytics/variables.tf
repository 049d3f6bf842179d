variable "enabled" {
  type        = bool
  description = "Whether to create the Glue database, tables, views and the Athena workgroup; false creates nothing."
  default     = true
}

variable "name_prefix" {
  type        = string
  description = "Prefix of the deployment's names: the workgroup is `<name_prefix>-analytics`, the default database `<name_prefix with _ for ->_reports`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource of the module that takes tags."
  default     = {}
}

variable "database_name" {
  type        = string
  description = "Name of the Glue database; null derives it from name_prefix. Must be unique in the account and region."
  default     = null

  # Athena reads lowercase names of letters, digits and underscores (Athena User Guide, "Name databases, tables,
  # and columns"); Glue allows 255 characters.
  validation {
    condition     = var.database_name == null || can(regex("^[a-z0-9_]{1,255}$", coalesce(var.database_name, "-")))
    error_message = "database_name must be 1-255 lowercase letters, digits or underscores."
  }
}

variable "bucket_name" {
  type        = string
  description = "Name of the reports bucket: the tables' data is under its curated/ prefix, query results under query_results_prefix."
}

variable "bucket_arn" {
  type        = string
  description = "ARN of the reports bucket (for the analyst policy)."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9.-]+$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the reports bucket: the workgroup encrypts query results with it (SSE_KMS)."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "query_results_prefix" {
  type        = string
  description = "Prefix of the reports bucket under which the workgroup writes query results (in a folder named after the workgroup); the storage module expires it."
  default     = "athena-results/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*/$", var.query_results_prefix)) && !contains(["curated/", "curated-staging/"], var.query_results_prefix)
    error_message = "query_results_prefix must be lowercase letters, digits and '-' ending with '/', and not a prefix the converter writes (curated/, curated-staging/)."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  type        = number
  description = "Bytes a query may scan before Athena cancels it (the workgroup's data usage control; Athena's minimum is 10,000,000)."
  default     = 10737418240 # 10 GiB

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10000000 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10000000 (Athena's minimum)."
  }
}

variable "projection_start_date" {
  type        = string
  description = "First day (yyyy-MM-dd) of the dt partition projection's range; the range ends at the query's day (NOW)."
  default     = "2020-01-01"

  validation {
    condition     = can(formatdate("YYYY-MM-DD", "${var.projection_start_date}T00:00:00Z")) && can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", var.projection_start_date))
    error_message = "projection_start_date must be a date written yyyy-MM-dd, e.g. 2020-01-01."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "When false, destroying the workgroup also deletes its saved queries and history (force_destroy)."
  default     = true
}
