variable "region" {
  type        = string
  description = "AWS region of the acceptance deployment (the stack and the emulator)."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name of the run, unique per run (make acceptance uses spacc-<8 hex>)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "lambda_package_dir" {
  type        = string
  description = "Directory with the stack's zips and spapi_emulator.zip (`scripts/package_lambdas.py`, with `--emulator` for the latter)."
}

variable "lwa_client_id" {
  type        = string
  description = "LWA client id the stack stores in its secret; the emulator accepts the one the acceptance run registers with it."
  default     = null
}

variable "lwa_client_secret" {
  type        = string
  description = "LWA client secret stored in the stack's secret; ephemeral and write-only (pass with TF_VAR_lwa_client_secret)."
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "notification_email" {
  type        = string
  description = "Address subscribed to the stack's notifications topic; null subscribes nobody (the run reads emails through an SQS subscription of its own)."
  default     = null
}

variable "account_cloudwatch_role_arn" {
  type        = string
  description = "The account's API Gateway CloudWatch role in the run's region before the run, as `aws apigateway get-account` answers it (make acceptance reads it): \"\" when none is set, and the run sets one for itself (modules/account_settings, role <name_prefix>-apigw-cloudwatch) that its destroy resets; a role ARN is left alone and the stage logs with it. Required: no default could be right for every account."
  nullable    = false

  validation {
    condition     = var.account_cloudwatch_role_arn == "" || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", var.account_cloudwatch_role_arn))
    error_message = "account_cloudwatch_role_arn must be \"\" (the account has no API Gateway CloudWatch role in the region) or a role ARN."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "The permissions boundary of every role the run creates (the stack's, the emulator's, the run's API Gateway CloudWatch role): the managed policy docs/acceptance-permissions-boundary.json, which make acceptance finds (or, with local AWS as the account, creates) as sp-reports-acceptance-boundary. docs/acceptance-iam-policy.json lets the run create roles only with it, so a role the run creates can never do more than the stack's services allow."
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be the ARN of a managed policy (arn:aws:iam::<account>:policy/sp-reports-acceptance-boundary)."
  }
}

variable "spapi_emulator" {
  type        = bool
  description = "Deploy our SP-API emulator and point the stack at it (the default). false: the stack calls real SP-API and LWA, for a run with a real seller's LWA credentials and refresh token (no emulator, test-only inputs off)."
  default     = true
}

variable "spapi_endpoint_url" {
  type        = string
  description = "Only with spapi_emulator = false: the SP-API endpoint the stack calls instead of SP-API's regional one (null, the default). make acceptance sets it when local AWS stands in for the account, for the emulator standing in for SP-API there."
  default     = null

  validation {
    condition     = var.spapi_endpoint_url == null || !var.spapi_emulator
    error_message = "spapi_endpoint_url applies only with spapi_emulator = false (the emulator sets the endpoints itself)."
  }
}

variable "lwa_endpoint_url" {
  type        = string
  description = "Only with spapi_emulator = false: the LWA token URL the stack calls instead of LWA's own (null, the default); set with spapi_endpoint_url."
  default     = null

  validation {
    condition     = var.lwa_endpoint_url == null || !var.spapi_emulator
    error_message = "lwa_endpoint_url applies only with spapi_emulator = false (the emulator sets the endpoints itself)."
  }
}

variable "emulator_environment" {
  type        = map(string)
  description = "Further environment of the emulator, e.g. SPAPI_EMULATOR_IN_QUEUE_SECONDS / SPAPI_EMULATOR_IN_PROGRESS_SECONDS."
  default     = {}
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every taggable resource of the run."
  default     = {}
}

variable "report_reader_principal_arns" {
  type        = list(string)
  description = "Who the run reads the stored documents as (the root module's report_reader_principal_arns); null: the principal running Terraform (its role, for an assumed-role session). make acceptance with local AWS as the account passes the account root, which local AWS's root credentials are."
  default     = null
}
