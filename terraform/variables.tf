variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, so several stacks fit in one account."
  default     = "sp-reports"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'."
  }

  # The reports and artifacts bucket names start with "<name_prefix>-", and S3 refuses bucket
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
  description = "Tags applied to every taggable resource."
  default     = {}
}

variable "notification_email" {
  type        = string
  description = "Address that receives report emails and alarms (it must confirm the SNS subscription); null subscribes nobody."
  default     = null

  validation {
    condition     = var.notification_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "notification_email must be an email address."
  }
}

variable "presigned_url_ttl_seconds" {
  type        = number
  description = "Lifetime of the report download links, at most one hour: a link dies with the session that signed it, and the signer role's session, assumed from a Lambda's role, lasts at most an hour (IAM role chaining). GET /reports/{reportId} hands out a fresh link at any time."
  default     = 3600

  validation {
    condition     = var.presigned_url_ttl_seconds >= 60 && var.presigned_url_ttl_seconds <= 3600
    error_message = "presigned_url_ttl_seconds must be between 60 and 3600: links are signed by an assumed role session, which role chaining limits to one hour; longer links would die before the time the email states."
  }
}

variable "report_record_ttl_days" {
  type        = number
  description = "Days a report record stays in the reports table before DynamoDB's TTL removes it."
  default     = 90

  validation {
    condition     = var.report_record_ttl_days >= 1 && var.report_record_ttl_days <= 3650
    error_message = "report_record_ttl_days must be between 1 and 3650."
  }
}

variable "process_unrequested_reports" {
  type        = bool
  description = "Also store reports the application did not request (SP-API announces scheduled reports too)."
  default     = false
}

variable "transcode_reports_to_utf8" {
  type        = bool
  description = "Store report documents as UTF-8, decoded from the charset SP-API served them in (windows-1252, Windows-31J, ...) as they stream; off: stored byte for byte. Either way the object's Content-Type names the charset and the report record keeps the source's."
  default     = false
}

variable "sweep_schedule_expression" {
  type        = string
  description = "How often the report sweep runs (an EventBridge Scheduler rate() or cron() expression, UTC): it finds with getReports the finished reports no notification brought in and starts their workflow."
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.sweep_schedule_expression))
    error_message = "sweep_schedule_expression must be rate(<n> minute(s)|hour(s)|day(s)) or cron(...)."
  }
}

variable "sweep_stuck_after_hours" {
  type        = number
  description = "Hours after its request from which a report still IN_QUEUE or IN_PROGRESS is reported by the sweep (log line naming seller and report, metric SweepReportsStuck) instead of waited for."
  default     = 6

  validation {
    condition     = var.sweep_stuck_after_hours >= 1 && var.sweep_stuck_after_hours <= 2160 && floor(var.sweep_stuck_after_hours) == var.sweep_stuck_after_hours
    error_message = "sweep_stuck_after_hours must be a whole number of hours, 1-2160 (SP-API keeps reports 90 days)."
  }
}

variable "sweep_amazon_generated_report_types" {
  type        = list(string)
  description = "Amazon-generated report types (e.g. GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE) the sweep also stores for every seller with a stored token, in the regions where the seller uses our API: they cannot be requested, only found with getReports. Empty (the default) stores none: listing a type here is how a deployment opts its sellers in."
  default     = []

  validation {
    condition     = alltrue([for t in var.sweep_amazon_generated_report_types : can(regex("^[A-Z0-9_]{1,100}$", t))])
    error_message = "sweep_amazon_generated_report_types must hold report type names such as GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of every log group (functions, state machine, API access logs), in days."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every function (Powertools Logger)."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "metrics_namespace" {
  type        = string
  description = "CloudWatch namespace of the functions' custom metrics (POWERTOOLS_METRICS_NAMESPACE)."
  default     = "SpReports"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters of letters, digits and . _ / # : - and must not start with AWS/."
  }
}

variable "lambda_runtime" {
  type        = string
  description = "Runtime of every function; scripts/package_lambdas.py reads this default to build dependencies for it, and the plan refuses zips whose manifest.json names another runtime (rebuild with package_lambdas.py --runtime)."
  default     = "python3.13"

  validation {
    condition     = can(regex("^python3\\.(1[1-9]|[2-9][0-9])$", var.lambda_runtime))
    error_message = "lambda_runtime must be a Python 3.11+ Lambda runtime such as python3.13."
  }
}

variable "lambda_architecture" {
  type        = string
  description = "Architecture of every function; scripts/package_lambdas.py reads this default to pick binary wheels, and the plan refuses zips whose manifest.json names another architecture (rebuild with package_lambdas.py --architecture)."
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_memory_sizes" {
  type        = map(number)
  description = "Memory (MB) per function, keyed by function name, overriding the defaults (memory_size in the root's local.functions: 256 MB, 512 MB for the report storer)."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_memory_sizes : contains(keys(local.functions), k) && v >= 128 && v <= 10240])
    error_message = "lambda_memory_sizes keys must be function names (${join(", ", keys(local.functions))}) and values 128-10240."
  }
}

variable "lambda_timeouts" {
  type        = map(number)
  description = "Timeout (seconds) per function, keyed by function name, overriding the defaults (timeout in the root's local.functions: 29 s for API functions, 60 s for the processor, 300 s for the report storer, 60 s for the report notifier)."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_timeouts : contains(keys(local.functions), k) && v >= 1 && v <= 900])
    error_message = "lambda_timeouts keys must be function names (${join(", ", keys(local.functions))}) and values 1-900."
  }
}

variable "lambda_reserved_concurrency" {
  type        = map(number)
  description = "Reserved (and capped) concurrency per function; functions not listed stay unreserved. E.g. 20 for the report storer bounds how many reports are stored at once. To slow the SQS-triggered processor (group processor in local.functions), use processor_maximum_concurrency: its event source mapping does not account for reserved concurrency, so a reservation alone throttles notifications back to the queue and, after max_receive_count, into the DLQ. Reserving concurrency for the processor therefore requires processor_maximum_concurrency <= the reservation."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_reserved_concurrency : contains(keys(local.functions), k) && v >= 0])
    error_message = "lambda_reserved_concurrency keys must be function names (${join(", ", keys(local.functions))}) and values at least 0."
  }

  # Lambda's SQS event source mapping polls regardless of the function's reserved concurrency ("Event source
  # mappings don't account for reserved concurrency", AWS re:Post knowledge center "lambda-sqs-scaling"); batches
  # it cannot invoke are throttled, return to the queue and count as receives, so they end in the DLQ. Its
  # ScalingConfig.MaximumConcurrency is the cap that stops polling instead (Lambda Developer Guide, "Configuring
  # maximum concurrency for Amazon SQS event sources": https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
  validation {
    condition = !contains(keys(var.lambda_reserved_concurrency), local.processor_function) || (
      var.processor_maximum_concurrency != null &&
      try(var.processor_maximum_concurrency <= var.lambda_reserved_concurrency[local.processor_function], false)
    )
    error_message = "Reserved concurrency for ${local.processor_function} alone throttles SP-API notifications into the DLQ: also set processor_maximum_concurrency (2-1000) to at most that reservation, or cap the processor with processor_maximum_concurrency only."
  }
}

variable "processor_maximum_concurrency" {
  type        = number
  description = "Cap on concurrent processor invocations by the SQS event source mapping (ScalingConfig.MaximumConcurrency, 2-1000); null leaves it to Lambda. This, not reserved concurrency, is how to bound how fast SP-API notifications start workflows: the mapping stops polling at the cap, so notifications wait in the queue instead of being throttled into the DLQ."
  default     = null

  # Lambda API reference, ScalingConfig: MaximumConcurrency "Minimum value of 2. Maximum value of 1000."
  # (https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html)
  validation {
    condition     = var.processor_maximum_concurrency == null || try(var.processor_maximum_concurrency >= 2 && var.processor_maximum_concurrency <= 1000 && floor(var.processor_maximum_concurrency) == var.processor_maximum_concurrency, false)
    error_message = "processor_maximum_concurrency must be null or a whole number between 2 and 1000 (Lambda's ScalingConfig range)."
  }
}

variable "lambda_package_dir" {
  type        = string
  description = "Directory with the zips built by `scripts/package_lambdas.py` (`<function>.zip`); null means `../.build/lambda` next to this module, where `make package` writes them."
  default     = null
}

variable "spapi_endpoint_url" {
  type        = string
  description = "Override of the SP-API endpoint (SPAPI_ENDPOINT_URL), e.g. an emulator for offline runs; null uses the region's real endpoint."
  default     = null

  validation {
    condition     = var.spapi_endpoint_url == null || can(regex("^https?://", var.spapi_endpoint_url))
    error_message = "spapi_endpoint_url must be an http(s) URL."
  }
}

variable "lwa_endpoint_url" {
  type        = string
  description = "Override of the LWA token endpoint (LWA_ENDPOINT_URL); null uses https://api.amazon.com/auth/o2/token."
  default     = null

  validation {
    condition     = var.lwa_endpoint_url == null || can(regex("^https?://", var.lwa_endpoint_url))
    error_message = "lwa_endpoint_url must be an http(s) URL."
  }
}

variable "spapi_destination_name" {
  type        = string
  description = "Name of the SP-API notification destination created for the queue; null uses `<name_prefix>-notifications`."
  default     = null
}

variable "api_invoke_trusted_principal_arns" {
  type        = list(string)
  description = "IAM principals allowed to assume the API invoke role; empty means this account's root (any principal of the account whose own policy allows it)."
  default     = []
}

variable "create_api_invoke_user" {
  type        = bool
  description = "Create an IAM user that may assume the API invoke role (reference Quick Start parity; keys are created out of band)."
  default     = false
}

variable "api_throttling_rate_limit" {
  type        = number
  description = "Steady-state requests per second allowed on every API method."
  default     = 10
}

variable "api_throttling_burst_limit" {
  type        = number
  description = "Burst of requests allowed on every API method."
  default     = 20
}

variable "lwa_client_id" {
  type        = string
  description = "LWA client id of the SP-API application; null leaves the secret's value to be set out of band."
  default     = null
}

variable "lwa_client_secret" {
  type        = string
  description = "LWA client secret; ephemeral and write-only, never stored in plan or state (pass with TF_VAR_lwa_client_secret)."
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "lwa_credentials_version" {
  type        = number
  description = "Bump to push new LWA credentials into the secret."
  default     = 1
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the tables from deletion and keep non-empty buckets from being destroyed. Set false for throwaway stacks."
  default     = true
}

# Test-only inputs: `make acceptance` on a real account sets them (terraform/acceptance) to run our SP-API
# emulator in the account. A production deployment leaves both at their defaults.

variable "test_notification_sender_role_arns" {
  type        = list(string)
  description = "TEST ONLY, off by default ([]): IAM roles of this same account the notifications queue's policy also lets send messages (sqs:SendMessage), beside SP-API's account; `make acceptance` names the SP-API emulator's role so it can deliver REPORT_PROCESSING_FINISHED. Anything but a role ARN of the deployment's account is rejected. Leave empty in production."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.test_notification_sender_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", arn))])
    error_message = "test_notification_sender_role_arns must list IAM role ARNs (arn:aws:iam::<account>:role/<name>), nothing else: no users, accounts, services or wildcards."
  }
}

variable "test_spapi_emulator_function_arn" {
  type        = string
  description = "TEST ONLY, off by default (null): the ARN of an SP-API emulator Lambda of this same account, reached through its function URL (AWS_IAM auth; set spapi_endpoint_url and lwa_endpoint_url to that URL). Every function that calls SP-API, LWA or the Tokens API then signs its calls (SPAPI_ENDPOINT_AUTH = aws_iam) and may invoke that function's URL. Leave null in production."
  default     = null

  validation {
    condition     = var.test_spapi_emulator_function_arn == null || can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}$", var.test_spapi_emulator_function_arn))
    error_message = "test_spapi_emulator_function_arn must be null or an unqualified Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)."
  }
}

variable "api_gateway_cloudwatch_role_arn" {
  type        = string
  description = "The role this account's API Gateway CloudWatch setting names in this region: `aws apigateway get-account --query cloudwatchRoleArn`, or modules/account_settings' cloudwatch_role_arn output. The setting is account-wide and this module never sets it, but the stage's access logs need it (AWS refuses the stage otherwise: \"CloudWatch Logs role ARN must be set in account settings to enable logging\"). Given, the stage waits for it (apply modules/account_settings in the same configuration and pass its output) and the plan's check stays quiet; null: the plan warns that the account must have the setting."
  default     = null

  validation {
    condition     = var.api_gateway_cloudwatch_role_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", var.api_gateway_cloudwatch_role_arn))
    error_message = "api_gateway_cloudwatch_role_arn must be an IAM role ARN (the cloudwatchRoleArn of aws apigateway get-account)."
  }
}
