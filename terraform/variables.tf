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

variable "notification_subscription_protocols" {
  type        = list(string)
  description = "The only protocols the notifications topic accepts subscriptions with (its policy denies sns:Subscribe for any other sns:Protocol). Default email. Every subscriber receives every outcome (with email_download_links, a report's download link too). Plain http is never accepted."
  default     = ["email"]
  nullable    = false

  validation {
    condition     = length(var.notification_subscription_protocols) > 0 && alltrue([for p in var.notification_subscription_protocols : contains(["email", "email-json", "https", "sqs", "lambda", "firehose", "sms", "application"], p)])
    error_message = "notification_subscription_protocols must list SNS protocols among email, email-json, https, sqs, lambda, firehose, sms and application (not http: the messages carry download links)."
  }
}

variable "notification_subscription_endpoints" {
  type        = list(string)
  description = "Patterns a subscription's endpoint must match to subscribe to the notifications topic (its policy denies sns:Subscribe when sns:Endpoint matches none; StringLike, `*` and `?`), e.g. `*@example.com` for the team's addresses or an SQS queue's ARN. Empty (the default): any endpoint of notification_subscription_protocols."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.notification_subscription_endpoints : trimspace(e) != "" && replace(e, "*", "") != ""])
    error_message = "notification_subscription_endpoints must hold endpoint patterns, not empty strings or a bare '*' (leave the list empty to allow any endpoint)."
  }
}

variable "notification_subscriber_principal_arns" {
  type        = list(string)
  description = "The only IAM principals (roles, users or an account root, by ARN; no wildcards) that may subscribe to the notifications topic; empty (the default): any principal of the stack's account whose IAM policy allows it. Principals of other accounts never may. Include the principal that runs Terraform when notification_email is set: it creates the email subscription."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.notification_subscriber_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "notification_subscriber_principal_arns must hold IAM role, user or account-root ARNs without wildcards (a session matches its role's ARN: name the role)."
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

variable "seller_daily_report_budget" {
  type        = number
  description = "SP-API reports POST /reports may create per seller and UTC day, counted after the catalogue splits a request into windows and marketplaces; over it the API answers 429 SellerReportBudgetExhausted with Retry-After to the next UTC midnight (docs/security.md, Limits). POST /plans and a plan's resumption or change are refused (400 PlanOverReportBudget) when the reports a day of the seller's active pull plans would exceed it."
  default     = 200

  validation {
    condition     = var.seller_daily_report_budget >= 1 && floor(var.seller_daily_report_budget) == var.seller_daily_report_budget
    error_message = "seller_daily_report_budget must be a whole number of at least 1."
  }
}

variable "caller_daily_report_budget" {
  type        = number
  description = "SP-API reports POST /reports may create per caller (the IAM principal that signed the request, a role's sessions counted as the role) and UTC day, across every seller it acts for, counted as seller_daily_report_budget is; over it the API answers 429 CallerReportBudgetExhausted with Retry-After to the next UTC midnight. API Gateway throttles per client only by API key, which an AWS_IAM API does not use: this is the per-caller limit (docs/security.md, Limits)."
  default     = 2000

  validation {
    condition     = var.caller_daily_report_budget >= 1 && floor(var.caller_daily_report_budget) == var.caller_daily_report_budget
    error_message = "caller_daily_report_budget must be a whole number of at least 1."
  }
}

variable "report_expiration_days" {
  type        = number
  description = "Days after which stored report documents expire from the reports bucket; null (the default) keeps them. Restricted (PII) documents expire after restricted_report_expiration_days whatever this says (the shorter of the two applies)."
  default     = null

  validation {
    condition     = var.report_expiration_days == null || try(var.report_expiration_days >= 1 && floor(var.report_expiration_days) == var.report_expiration_days, false)
    error_message = "report_expiration_days must be null or a whole number of days, at least 1."
  }
}

variable "restricted_report_expiration_days" {
  type        = number
  description = "Days after which stored documents of restricted report types (PII; tagged data-class=restricted by the report storer) expire, 1-30; their noncurrent versions go a day after. Amazon's Data Protection Policy keeps PII no longer than 30 days after order delivery: choose a value that fits how long after delivery the deployment requests the reports."
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

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days after which overwritten or deleted (expired) versions of stored documents are removed from the versioned reports bucket; restricted documents' noncurrent versions go after one day."
  default     = 7
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "process_unrequested_reports" {
  type        = bool
  description = "Also store reports the application did not request (SP-API announces scheduled reports too)."
  default     = false
}

variable "allow_restricted_report_types" {
  type        = bool
  description = "Let POST /reports request restricted report types (the catalogue's restricted ones, src/sp_reports/spapi/report_types.json: their documents hold buyers' personal information, PII). Off (the default), such a request is answered 403 naming this setting, and restricted reports nobody requested (process_unrequested_reports, sweep_amazon_generated_report_types) are recorded SKIPPED, never stored. Turn it on only when the SP-API application holds the restricted roles and the deployment meets Amazon's Data Protection Policy (encryption, access limited to those who need it, and PII deleted within 30 days of delivery: restricted_report_expiration_days)."
  default     = false
  nullable    = false
}

variable "email_download_links" {
  type        = bool
  description = "Put a presigned download link (a bearer credential for the document, valid presigned_url_ttl_seconds) in the email of a ready report. Off (the default), the email names the seller, report type, report id and S3 location and the command that fetches the report (`sp-reports reports get <reportId>`), which signs as its caller and so passes the API's checks; the report notifier then gets no link signer and may not assume it. Whoever receives the topic's messages (every subscription notification_subscription_protocols admits) receives the links when on."
  default     = false
  nullable    = false
}

variable "tenant_isolation" {
  type        = bool
  description = "Per-tenant boundary inside the API: every route (POST /tokens, POST /notifications, POST /reports, GET /reports/{reportId}) acts only for the sellers the tenant map grants to the calling principal, and answers anything else 403 TenantBoundary. Creates the tenant map table (output tenant_map_table_name, encrypted with the data key, point-in-time recovery as the other tables), filled by operators: one item {PrincipalArn, SellerId} per grant, PrincipalArn being the principal's IAM ARN without its path (an assumed role's sessions map as arn:<partition>:iam::<account>:role/<name>). Off (the default), every caller the API's resource policy admits may act for every seller."
  default     = false
  nullable    = false
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

variable "pull_planner_schedule_expression" {
  type        = string
  description = "How often the pull planner ticks (an EventBridge Scheduler rate() or cron() expression, UTC): each tick requests the due windows of every pull plan. A window is requested at most one tick after it is due (plus the seller's jitter of up to 15 minutes)."
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.pull_planner_schedule_expression))
    error_message = "pull_planner_schedule_expression must be rate(<n> minute(s)|hour(s)|day(s)) or cron(...)."
  }
}

variable "pull_planner_max_reports_per_tick" {
  type        = number
  description = "The most reports one pull planner tick requests, over all plans; what is left waits for the next tick. Each seller's createReport quota and each report type's cooldown are respected besides."
  default     = 200

  validation {
    condition     = var.pull_planner_max_reports_per_tick >= 1 && var.pull_planner_max_reports_per_tick <= 10000 && floor(var.pull_planner_max_reports_per_tick) == var.pull_planner_max_reports_per_tick
    error_message = "pull_planner_max_reports_per_tick must be a whole number, 1-10000."
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
  description = "Memory (MB) per function, keyed by function name, overriding the defaults (memory_size in the root's local.functions: 256 MB, 512 MB for the report storer, 2048 MB for the report converter)."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_memory_sizes : contains(keys(local.functions), k) && v >= 128 && v <= 10240])
    error_message = "lambda_memory_sizes keys must be function names (${join(", ", keys(local.functions))}) and values 128-10240."
  }
}

variable "lambda_timeouts" {
  type        = map(number)
  description = "Timeout (seconds) per function, keyed by function name, overriding the defaults (timeout in the root's local.functions: 29 s for API functions, 60 s for the processor, 300 s for the report storer, 900 s for the report converter, 60 s for the report notifier)."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_timeouts : contains(keys(local.functions), k) && v >= 1 && v <= 900])
    error_message = "lambda_timeouts keys must be function names (${join(", ", keys(local.functions))}) and values 1-900."
  }
}

variable "lambda_ephemeral_storage_sizes" {
  type        = map(number)
  description = "Ephemeral storage (/tmp, MB) per report workflow function (group workflow in the root's local.functions), keyed by function name, overriding the defaults: 1024 MB for the report converter, whose Parquet writer may spool there, 512 MB (Lambda's default, free) for the others."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_ephemeral_storage_sizes : contains([for f, function in local.functions : f if function.group == "workflow"], k) && v >= 512 && v <= 10240 && floor(v) == v])
    error_message = "lambda_ephemeral_storage_sizes keys must be workflow function names (${join(", ", [for f, function in local.functions : f if function.group == "workflow"])}) and values whole MB, 512-10240."
  }
}

variable "max_document_bytes" {
  type        = number
  description = "Largest report document (bytes stored) the report storer takes on; a larger one fails once with ReportDocumentTooLargeError, recorded and emailed, instead of timing out on every retry. null: what the storer's timeout and memory (lambda_timeouts, lambda_memory_sizes) can store in half its timeout at the throughput `make bench` measured, 9.4 GiB at the defaults (docs/security.md, Limits). Raise it only with the storer's timeout or memory."
  default     = null

  validation {
    condition     = var.max_document_bytes == null || try(var.max_document_bytes >= 1 && floor(var.max_document_bytes) == var.max_document_bytes, false)
    error_message = "max_document_bytes must be null or a whole number of bytes, at least 1."
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
      try(var.processor_maximum_concurrency <= var.lambda_reserved_concurrency[local.processor_function], false)
    )
    error_message = "Reserved concurrency for ${local.processor_function} below processor_maximum_concurrency throttles SP-API notifications into the DLQ: set processor_maximum_concurrency (2-1000) to at most that reservation, or cap the processor with processor_maximum_concurrency only."
  }
}

variable "processor_maximum_concurrency" {
  type        = number
  description = "Cap on concurrent processor invocations by the SQS event source mapping (ScalingConfig.MaximumConcurrency, 2-1000; default 10). This, not reserved concurrency, is how to bound how fast SP-API notifications start workflows: the mapping stops polling at the cap, so notifications wait in the queue instead of being throttled into the DLQ, and a burst of notifications cannot take the account's whole Lambda concurrency."
  default     = 10
  nullable    = false

  # Lambda API reference, ScalingConfig: MaximumConcurrency "Minimum value of 2. Maximum value of 1000."
  # (https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html). Always set: without a cap the mapping
  # scales the processor up to the account's unreserved concurrency ("Configuring maximum concurrency for Amazon
  # SQS event sources": https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
  validation {
    condition     = var.processor_maximum_concurrency >= 2 && var.processor_maximum_concurrency <= 1000 && floor(var.processor_maximum_concurrency) == var.processor_maximum_concurrency
    error_message = "processor_maximum_concurrency must be a whole number between 2 and 1000 (Lambda's ScalingConfig range)."
  }
}

variable "lambda_package_dir" {
  type        = string
  description = "Directory with the zips built by `scripts/package_lambdas.py` (`<function>.zip`) and their manifest.json, uploaded to the stack's artifacts bucket; null means `../.build/lambda` next to this module, where `make package` writes them. Unused (leave null) when the code comes from a release in S3 (lambda_artifacts_s3_bucket)."
  default     = null
}

# The functions send LWA credentials and sellers' refresh tokens to these two endpoints, so only a test
# deployment may name any but Amazon's own (SP-API endpoints: https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints;
# LWA: https://api.amazon.com/auth/o2/token, "Connecting to the Selling Partner API",
# https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api). The code refuses
# an override at runtime as well unless test_endpoint_overrides set SP_REPORTS_TEST_ENDPOINTS on the function.

variable "spapi_endpoint_url" {
  type        = string
  description = "TEST ONLY, with test_endpoint_overrides = true: the SP-API endpoint the functions call instead of the region's (SPAPI_ENDPOINT_URL), e.g. our emulator; null (the default, and the only value a production stack may have) uses SP-API's regional endpoint."
  default     = null

  validation {
    condition     = var.spapi_endpoint_url == null || var.test_endpoint_overrides
    error_message = "spapi_endpoint_url is test-only: it is accepted only with test_endpoint_overrides = true. A production stack leaves it null and calls SP-API's own regional endpoints."
  }

  validation {
    condition     = var.spapi_endpoint_url == null || can(regex("^https://[^/?#@\\s]+(/[^?#\\s]*)?$", var.spapi_endpoint_url)) || (var.test_endpoint_overrides && can(regex("^http://[^/?#@\\s]+(/[^?#\\s]*)?$", var.spapi_endpoint_url)))
    error_message = "spapi_endpoint_url must be an https URL (http only with test_endpoint_overrides = true), without credentials, query or fragment."
  }
}

variable "lwa_endpoint_url" {
  type        = string
  description = "TEST ONLY, with test_endpoint_overrides = true: the LWA token URL the functions call instead of https://api.amazon.com/auth/o2/token (LWA_ENDPOINT_URL), e.g. our emulator's; null (the default, and the only value a production stack may have) uses LWA's own."
  default     = null

  validation {
    condition     = var.lwa_endpoint_url == null || var.test_endpoint_overrides
    error_message = "lwa_endpoint_url is test-only: it is accepted only with test_endpoint_overrides = true. A production stack leaves it null and calls https://api.amazon.com/auth/o2/token."
  }

  validation {
    condition     = var.lwa_endpoint_url == null || can(regex("^https://[^/?#@\\s]+(/[^?#\\s]*)?$", var.lwa_endpoint_url)) || (var.test_endpoint_overrides && can(regex("^http://[^/?#@\\s]+(/[^?#\\s]*)?$", var.lwa_endpoint_url)))
    error_message = "lwa_endpoint_url must be an https URL (http only with test_endpoint_overrides = true), without credentials, query or fragment."
  }
}

variable "spapi_application_id" {
  type        = string
  description = "Our SP-API application's id (Solution Provider Portal / Developer Central: amzn1.sellerapps.app.<uuid> or amzn1.sp.solution.<uuid>), not the LWA client id. Set, the notifications processor drops (and counts, metric ForeignApplicationNotifications) every notification whose notificationMetadata.applicationId is another, before reading or writing anything: the queue's policy lets SP-API's account send for any application. null (the default) checks nothing, and the processor logs a warning at each cold start."
  default     = null

  # SP-API notifications carry the application's id in notificationMetadata.applicationId (Notifications API
  # v1 use case guide, "Notification structure":
  # https://developer-docs.amazon.com/sp-api/docs/notifications-api-v1-use-case-guide).
  validation {
    condition     = var.spapi_application_id == null || can(regex("^amzn1\\.(sellerapps\\.app|sp\\.solution)\\.[A-Za-z0-9-]{1,64}$", var.spapi_application_id))
    error_message = "spapi_application_id must be an SP-API application id (amzn1.sellerapps.app.<id> or amzn1.sp.solution.<id>), not the LWA client id (amzn1.application-oa2-client...)."
  }
}

variable "seller_authorization_redirect_uri" {
  type        = string
  description = "Seller onboarding through Amazon's OAuth authorization workflow (https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow): the redirect URI registered for the SP-API application, which must reach this API's GET /authorization/redirect (the stage URL's /authorization/redirect, output seller_authorization_uris, or a custom domain mapped to it). Set, the API serves GET /authorization/login (the application's log-in URI) and GET /authorization/redirect without IAM authorisation, since sellers' browsers call them, and its resource policy admits anyone on those two methods only; the log-in URI issues single-use states (10 minutes), the redirect exchanges Amazon's spapi_oauth_code with LWA and stores the seller's refresh token, bound. null (the default): neither route exists and POST /tokens is the only way to store a token."
  default     = null

  validation {
    # LWA sends the code only to an https redirect URI registered for the application; no query or fragment,
    # which Amazon would append to.
    condition     = var.seller_authorization_redirect_uri == null || can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?/[^?#[:space:]]*$", var.seller_authorization_redirect_uri))
    error_message = "seller_authorization_redirect_uri must be an https URI without query or fragment, e.g. https://<api-id>.execute-api.<region>.amazonaws.com/prod/authorization/redirect."
  }
}

variable "spapi_destination_name" {
  type        = string
  description = "Name of the SP-API notification destination created for the queue; null uses `<name_prefix>-notifications`."
  default     = null
}

variable "spapi_notifications_account_id" {
  type        = string
  description = "AWS account SP-API publishes notifications from: the notifications queue's policy lets it send (sqs:SendMessage, sqs:GetQueueAttributes) and the data key's policy lets it encrypt for the stack's queues through SQS. The default is the account Amazon documents in the Notifications API v1 use case guide (\"Step 1. Grant Selling Partner API permission\": https://developer-docs.amazon.com/sp-api/docs/notifications-api-v1-use-case-guide); change it only if Amazon does."
  default     = "437568002678"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.spapi_notifications_account_id))
    error_message = "spapi_notifications_account_id must be a 12-digit AWS account id."
  }
}

variable "api_invoke_trusted_principal_arns" {
  type        = list(string)
  description = "IAM principals allowed to assume the API invoke role; empty means this account's root (any principal of the account whose own policy allows it)."
  default     = []
}

variable "report_reader_principal_arns" {
  type        = list(string)
  description = "IAM roles or users (or an account root), by ARN, that may read the stored report documents besides the stack's own readers (the report storer, which checks what it stored, the report converter, which reads the stored reports and copies its staged Parquet files, and the link signer, whose presigned URLs are the download links). The reports bucket's policy denies object reads (s3:GetObject*) to every other principal of any account, whatever its IAM policies allow; a principal listed here still needs an IAM policy allowing the read (and kms:Decrypt of the data key through S3). No wildcards, no assumed-role session ARNs (a session matches its role's ARN)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.report_reader_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "report_reader_principal_arns must hold IAM role, user or account-root ARNs without wildcards (aws:PrincipalArn of an assumed-role session is its role's ARN: name the role)."
  }
}

variable "analytics_enabled" {
  type        = bool
  description = "Catalogue the curated Parquet tables in Glue (one table per schema, partition projection, \"latest\" views) with an Athena workgroup to query them (modules/analytics). False creates none of it; the converter still writes curated/."
  default     = true
  nullable    = false
}

variable "report_conversion_enabled" {
  type        = bool
  description = "Convert each stored DONE report into typed Parquet under curated/ (the report workflow's ConvertReport, the report converter). False leaves the workflow without ConvertReport: reports are stored and announced, and nothing is written under curated/ (the converter function is still deployed, never invoked)."
  default     = true
  nullable    = false
}

variable "analytics_database_name" {
  type        = string
  description = "Name of the Glue database of the curated tables; null (the default) derives `<name_prefix with _ for ->_reports`. Lowercase letters, digits and underscores, unique in the account and region."
  default     = null
}

variable "athena_bytes_scanned_cutoff_per_query" {
  type        = number
  description = "Bytes an Athena query of the curated tables may scan before the workgroup cancels it (at least 10,000,000)."
  default     = 10737418240 # 10 GiB
  nullable    = false
}

variable "analytics_projection_start_date" {
  type        = string
  description = "First day (yyyy-MM-dd) the curated tables' dt partition projection covers; the range ends at the query's day. Earlier data is not queryable."
  default     = "2020-01-01"
  nullable    = false
}

variable "athena_query_results_expiration_days" {
  type        = number
  description = "Days the Athena workgroup's query results are kept in the reports bucket (athena-results/<workgroup>/) before a lifecycle rule expires them."
  default     = 7
  nullable    = false
}

variable "analyst_principal_arns" {
  type        = list(string)
  description = "IAM roles or users (or an account root), by ARN, that query the curated tables with Athena: the reports bucket's policy lets them read curated/ and their query results and denies them every other object. Each still needs the analyst_policy_json output attached. No wildcards, no assumed-role session ARNs (a session matches its role's ARN)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.analyst_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "analyst_principal_arns must hold IAM role, user or account-root ARNs without wildcards (aws:PrincipalArn of an assumed-role session is its role's ARN: name the role)."
  }
}

variable "api_invoke_principal_arns" {
  type        = list(string)
  description = "IAM roles or users (or an account root), by ARN, that may call the API directly besides the API invoke role the stack creates. The API's resource policy allows execute-api:Invoke to these and the invoke role only and denies every other principal, whatever its IAM policies allow; each still needs an IAM policy allowing execute-api:Invoke on the API (and must sign with SigV4). No wildcards, no assumed-role session ARNs (a session matches its role's ARN). Empty (the default): only the invoke role, which the principals in api_invoke_trusted_principal_arns assume."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.api_invoke_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "api_invoke_principal_arns must hold IAM role, user or account-root ARNs without wildcards (aws:PrincipalArn of an assumed-role session is its role's ARN: name the role)."
  }
}

variable "create_api_invoke_user" {
  type        = bool
  description = "Create an IAM user that may assume the API invoke role (reference Quick Start parity; keys are created out of band)."
  default     = false
  nullable    = false
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

variable "api_reports_throttling_rate_limit" {
  type        = number
  description = "Steady-state requests per second allowed on POST /reports, across all callers (a method-level override of api_throttling_rate_limit; at most it). One request may become up to 15 SP-API reports."
  default     = 1

  validation {
    condition     = var.api_reports_throttling_rate_limit > 0 && var.api_reports_throttling_rate_limit <= var.api_throttling_rate_limit
    error_message = "api_reports_throttling_rate_limit must be positive and at most api_throttling_rate_limit."
  }
}

variable "api_reports_throttling_burst_limit" {
  type        = number
  description = "Burst of requests allowed on POST /reports, across all callers (a method-level override of api_throttling_burst_limit; at most it)."
  default     = 5

  validation {
    condition     = var.api_reports_throttling_burst_limit >= 1 && var.api_reports_throttling_burst_limit <= var.api_throttling_burst_limit
    error_message = "api_reports_throttling_burst_limit must be at least 1 and at most api_throttling_burst_limit."
  }
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
  nullable    = false

  validation {
    condition     = var.lwa_credentials_version >= 1 && floor(var.lwa_credentials_version) == var.lwa_credentials_version
    error_message = "lwa_credentials_version must be a whole number of at least 1."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the tables from deletion and keep the non-empty reports bucket from being destroyed. Set false for throwaway stacks."
  default     = true
  nullable    = false
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

variable "test_endpoint_overrides" {
  type        = bool
  description = "TEST ONLY, off by default (false): lets spapi_endpoint_url and lwa_endpoint_url point every function at a stand-in for SP-API and LWA (our emulator, local or in the account), over http as well as https, and lets the functions download report documents from that stand-in. Every function then gets SP_REPORTS_TEST_ENDPOINTS = true, without which the code calls Amazon's SP-API and LWA hosts only and downloads documents over https from Amazon's S3 only. Leave false in production."
  default     = false
  nullable    = false
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

variable "lambda_artifacts_s3_bucket" {
  type        = string
  description = "Bucket holding a release of the Lambda code (`make release`, docs/releases.md) at lambda_artifacts_s3_prefix. Set, the functions are deployed from the release's objects with the hashes its manifest.json gives: nothing is read from a local directory and no Python runs, so the machine running Terraform needs Terraform only, and the stack creates no artifacts bucket. Lambda takes code only from a bucket in the function's own region (Lambda API reference, FunctionCode: \"An Amazon S3 bucket in the same AWS Region as your function. The bucket can be in a different AWS account.\"; https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html), so publish the release to a bucket in each region you deploy to; whoever runs Terraform needs s3:GetObject on the release's objects. Null (the default) deploys the zips of lambda_package_dir; setting both is refused."
  default     = null

  # General purpose bucket naming rules (Amazon S3 User Guide; https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
  # 3-63 characters, lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit,
  # no two adjacent dots.
  validation {
    condition     = var.lambda_artifacts_s3_bucket == null || (can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lambda_artifacts_s3_bucket)) && !strcontains(coalesce(var.lambda_artifacts_s3_bucket, "-"), ".."))
    error_message = "lambda_artifacts_s3_bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit."
  }

  validation {
    condition     = var.lambda_artifacts_s3_bucket == null || var.lambda_package_dir == null
    error_message = "Set either lambda_artifacts_s3_bucket (a release in S3) or lambda_package_dir (zips on this machine), not both."
  }

  validation {
    condition     = (var.lambda_artifacts_s3_bucket == null) == (var.lambda_artifacts_s3_prefix == null)
    error_message = "lambda_artifacts_s3_bucket and lambda_artifacts_s3_prefix go together: the release is at s3://<bucket>/<prefix>/manifest.json."
  }
}

variable "lambda_artifacts_s3_prefix" {
  type        = string
  description = "Key prefix of the release in lambda_artifacts_s3_bucket, e.g. sp-reports/1.2.0 for the release built from this module's v1.2.0 (use the release of the module version you call): its manifest is <prefix>/manifest.json and each zip <prefix>/<the file its manifest names>. Only with lambda_artifacts_s3_bucket."
  default     = null

  # Safe characters for object key names (Amazon S3 User Guide, "Naming Amazon S3 objects";
  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html), "/"-separated, no leading "/".
  validation {
    condition     = var.lambda_artifacts_s3_prefix == null || can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/?$", var.lambda_artifacts_s3_prefix))
    error_message = "lambda_artifacts_s3_prefix must be a key prefix such as sp-reports/1.2.0: segments of letters, digits and ! _ . * ' ( ) - separated by /, without a leading /."
  }

  # An object key is at most 1,024 bytes (same page); the prefix leaves room for "/<function>.zip".
  validation {
    condition     = var.lambda_artifacts_s3_prefix == null || length(coalesce(var.lambda_artifacts_s3_prefix, "-")) <= 960
    error_message = "lambda_artifacts_s3_prefix must be at most 960 characters (S3 keys are at most 1,024 bytes)."
  }
}

variable "artifact_object_tags" {
  type        = map(string)
  description = "Tags of the Lambda zips the stack uploads to its artifacts bucket (code from lambda_package_dir), given apart from `tags` because S3 allows at most 10 tags per object, keys of up to 128 and values of up to 256 characters (Amazon S3 User Guide, \"Categorizing your storage using tags\"; https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html), and an estate's tags are often more. The provider's default_tags are added to these and count toward the same 10."
  default     = {}
  nullable    = false

  validation {
    condition     = length(var.artifact_object_tags) <= 10
    error_message = "artifact_object_tags may hold at most 10 tags: S3 allows 10 per object."
  }

  validation {
    condition     = alltrue([for key, value in var.artifact_object_tags : length(key) >= 1 && length(key) <= 128 && length(value) <= 256 && !startswith(lower(key), "aws:")])
    error_message = "artifact_object_tags keys must be 1-128 characters and not start with aws:, values at most 256 characters (S3 object tag limits)."
  }
}

# Compliance settings an estate sets at the root; each reaches the module that owns the resource.

variable "api_waf_web_acl_arn" {
  type        = string
  description = "ARN of a regional AWS WAF (WAFv2) web ACL, in the stack's Region, to associate with the API's stage; null associates none. The estate owns the web ACL and its rules."
  default     = null

  # arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>: an API Gateway stage takes a REGIONAL
  # web ACL of its own Region (the api module's web_acl_arn cites the AWS pages).
  validation {
    condition     = var.api_waf_web_acl_arn == null || can(regex("^arn:aws[a-zA-Z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.api_waf_web_acl_arn))
    error_message = "api_waf_web_acl_arn must be a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>); a global (CloudFront) or WAF Classic web ACL cannot protect an API Gateway stage."
  }

  validation {
    condition     = var.api_waf_web_acl_arn == null || try(split(":", var.api_waf_web_acl_arn)[1] == data.aws_partition.current.partition && split(":", var.api_waf_web_acl_arn)[3] == data.aws_region.current.id, false)
    error_message = "api_waf_web_acl_arn must be a web ACL of the stack's partition and Region."
  }
}

variable "api_execution_logging_level" {
  type        = string
  description = "Execution logging of every API method (OFF, ERROR or INFO), to the log group API Gateway creates (API-Gateway-Execution-Logs_<api id>/<stage>). Anything but OFF needs the account's API Gateway CloudWatch role setting. Data tracing (full request and response logging) stays off whatever the level: request bodies carry sellers' refresh tokens."
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api_execution_logging_level)
    error_message = "api_execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "s3_access_log_bucket" {
  type        = string
  description = "Name of an existing bucket that receives the S3 server access logs of the reports and artifacts buckets; null (the default) logs none. S3 delivers to a bucket of the same account and Region only, whose policy lets the logging.s3.amazonaws.com service put objects (and that is encrypted with SSE-S3, not SSE-KMS)."
  default     = null

  validation {
    condition     = var.s3_access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_access_log_bucket))
    error_message = "s3_access_log_bucket must be a bucket name (3-63 lowercase letters, digits, '.' or '-'), not an ARN."
  }
}

variable "s3_access_log_prefix" {
  type        = string
  description = "Key prefix of the access logs in s3_access_log_bucket, e.g. \"s3-access/\"; each bucket's name and '/' follow it, so the stack's buckets (and other stacks') stay apart."
  default     = ""
  nullable    = false

  validation {
    condition     = var.s3_access_log_prefix == "" || can(regex("^[A-Za-z0-9!_.*'()/-]{0,900}/$", var.s3_access_log_prefix))
    error_message = "s3_access_log_prefix must be empty or end with '/', in S3's safe key characters."
  }
}

variable "dynamodb_point_in_time_recovery" {
  type        = bool
  description = "Point-in-time recovery (continuous backups) on the tokens and reports tables; on by default."
  default     = true
  nullable    = false
}

variable "kms_key_administrator_arns" {
  type        = list(string)
  description = "IAM roles or users (or an account root) that administer the KMS keys the stack creates, without cryptographic use. Empty (the default) names this account's root: IAM policies then decide, and any principal whose IAM policy allows kms:PutKeyPolicy can rewrite the key policies. Given, only these principals can, and the data key's policy lets IAM policies grant its use but not its administration. Include the principal that runs Terraform (the plan refuses a list without it: KMS would refuse a key policy that locks its creator out)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.kms_key_administrator_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "kms_key_administrator_arns must contain IAM role, user or account-root ARNs only (no '*', no assumed-role session ARNs)."
  }
}

variable "kms_deletion_window_days" {
  type        = number
  description = "Days between scheduling the deletion of a KMS key the stack creates (e.g. on destroy) and the deletion, during which it can be cancelled: 7-30."
  default     = 30
  nullable    = false

  # KMS API Reference, ScheduleKeyDeletion: PendingWindowInDays "must be between 7 and 30, inclusive"
  # (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html).
  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be a whole number of days between 7 and 30 (KMS ScheduleKeyDeletion's PendingWindowInDays)."
  }
}

# Bring your own keys (docs/bring-your-own-keys.md). A key is named by its key ARN: an IAM policy statement
# identifies a KMS key by its key ARN only, never by an alias ARN (KMS Developer Guide, "Specifying KMS keys in
# IAM policy statements": https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html), and
# the functions' statements name these keys. A key is used in its own Region only.
variable "existing_data_kms_key_arn" {
  type        = string
  description = "Key ARN of an existing symmetric KMS key (this partition and Region) to use as the data key instead of creating one: queues, topic, buckets and Lambda zips, tables, log groups, the LWA credentials secret and the functions' environment. null (the default) creates the key. Its policy must hold the statements in the kms_key_policy_statements_required output's `data` before the first apply."
  default     = null

  validation {
    condition     = var.existing_data_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-)?[0-9a-f-]{32,36}$", var.existing_data_kms_key_arn))
    error_message = "existing_data_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); an alias ARN or a key id does not identify a key in a policy statement."
  }

  validation {
    condition     = var.existing_data_kms_key_arn == null || try(split(":", var.existing_data_kms_key_arn)[1] == data.aws_partition.current.partition && split(":", var.existing_data_kms_key_arn)[3] == data.aws_region.current.id, false)
    error_message = "existing_data_kms_key_arn must be a key of the stack's partition and Region (a KMS key is used in its own Region only)."
  }
}

variable "existing_tokens_kms_key_arn" {
  type        = string
  description = "Key ARN of an existing symmetric KMS key (this partition and Region, not the data key) to encrypt the sellers' refresh tokens with instead of creating one; null (the default) creates the key. Its policy must hold the statements in the kms_key_policy_statements_required output's `tokens` and give nobody else cryptographic use (no statement letting IAM policies grant it)."
  default     = null

  validation {
    condition     = var.existing_tokens_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-)?[0-9a-f-]{32,36}$", var.existing_tokens_kms_key_arn))
    error_message = "existing_tokens_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); an alias ARN or a key id does not identify a key in a policy statement."
  }

  validation {
    condition     = var.existing_tokens_kms_key_arn == null || try(split(":", var.existing_tokens_kms_key_arn)[1] == data.aws_partition.current.partition && split(":", var.existing_tokens_kms_key_arn)[3] == data.aws_region.current.id, false)
    error_message = "existing_tokens_kms_key_arn must be a key of the stack's partition and Region (a KMS key is used in its own Region only)."
  }

  validation {
    condition     = var.existing_tokens_kms_key_arn == null || var.existing_tokens_kms_key_arn != var.existing_data_kms_key_arn
    error_message = "existing_tokens_kms_key_arn must not be the data key: only the token functions may use the tokens key, while IAM policies grant use of the data key."
  }
}

variable "iam_name_prefix" {
  type        = string
  description = "Prefix of every IAM name the stack creates (the functions', state machine's, schedule's, link signer's and API invoke roles, and the optional API invoke user). IAM names are global to the account, unlike the stack's other names: null (the default) uses `<name_prefix>-<region>`, so one prefix deploys in several regions of an account. Set it to fit an estate's naming rules or to keep the roles' names of an earlier release (renaming a role replaces it). The longest name it makes must fit IAM's 64 characters."
  default     = null

  # IAM User Guide, "IAM and AWS STS quotas": role and user names are letters, digits and +=,.@_-, at most 64
  # characters, unique in the account whatever the region
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
  validation {
    condition     = var.iam_name_prefix == null || can(regex("^[A-Za-z0-9+=,.@_-]+$", var.iam_name_prefix))
    error_message = "iam_name_prefix must be letters, digits and +=,.@_- only (IAM's name characters)."
  }

  # Checked on the longest name the stack builds (the prefix, the default's with its region, and the longest of
  # local.iam_role_suffixes), so a long name_prefix in a long region code is refused at plan time too, not by
  # CreateRole halfway through an apply.
  validation {
    condition     = length("${coalesce(var.iam_name_prefix, "${var.name_prefix}-${data.aws_region.current.id}")}-${local.iam_longest_role_suffix}") <= 64
    error_message = "IAM role names are at most 64 characters (IAM User Guide, \"IAM and AWS STS quotas\"), and the longest role name this stack would create, \"${coalesce(var.iam_name_prefix, "${var.name_prefix}-${data.aws_region.current.id}")}-${local.iam_longest_role_suffix}\", has ${length("${coalesce(var.iam_name_prefix, "${var.name_prefix}-${data.aws_region.current.id}")}-${local.iam_longest_role_suffix}")}: set a shorter iam_name_prefix (or name_prefix)."
  }
}

variable "iam_role_path" {
  type        = string
  description = "Path of every IAM role the stack creates and of the optional API invoke user (e.g. `/sp-reports/`, where an estate's SCPs or permission sets expect its workloads' roles); the ARNs the stack builds for its policies include it."
  default     = "/"
  nullable    = false

  # IAM API Reference, CreateRole, Path: 1-512 characters, "/" alone or beginning and ending with "/", of ASCII
  # "!" (U+0021) through DEL (U+007F) (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
  validation {
    condition     = length(var.iam_role_path) <= 512 && can(regex("^/([\\x{21}-\\x{7F}]+/)?$", var.iam_role_path))
    error_message = "iam_role_path must be \"/\" or begin and end with \"/\", at most 512 characters of ASCII '!' through DEL (IAM's path rules)."
  }
}

variable "iam_permissions_boundary_arn" {
  type        = string
  description = "ARN of the managed policy set as the permissions boundary of every IAM role the stack creates and of the optional API invoke user, for estates whose SCPs require iam:PermissionsBoundary; null sets none. The boundary must allow what the roles' own policies grant, or the functions fail at run time."
  default     = null

  # IAM User Guide, "Permissions boundaries for IAM entities": the boundary is a managed policy, AWS managed
  # (arn:aws:iam::aws:policy/...) or customer managed (arn:aws:iam::<account>:policy/...)
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  validation {
    condition     = var.iam_permissions_boundary_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.iam_permissions_boundary_arn))
    error_message = "iam_permissions_boundary_arn must be null or a managed policy ARN (arn:aws:iam::<account or aws>:policy/<path><name>)."
  }
}

variable "lambda_code_signing_config_arn" {
  type        = string
  description = "ARN of a Lambda code signing configuration every function's code is checked against (code_signing_config_arn): it names the AWS Signer signing profiles allowed and whether an unsigned or otherwise signed zip is refused (Enforce) or only logged (Warn). Signed zips come from a release signed with an allowed profile (docs/releases.md, \"Signing a release\"); zips built locally (lambda_package_dir) are unsigned, so use Warn, or none, with them. null (the default) checks nothing."
  default     = null

  # arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<17 characters>, the form Lambda's API
  # (CodeSigningConfigArn) accepts.
  validation {
    condition     = var.lambda_code_signing_config_arn == null || can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.lambda_code_signing_config_arn))
    error_message = "lambda_code_signing_config_arn must be a Lambda code signing configuration ARN (arn:aws:lambda:<region>:<account>:code-signing-config:csc-<id>)."
  }
}

variable "lambda_vpc_subnet_ids" {
  type        = list(string)
  description = "Subnets every function of the stack runs in; empty (the default) keeps the functions outside any VPC. Set together with lambda_vpc_security_group_ids. In a VPC the functions reach SP-API and LWA only through a NAT gateway or other egress, and AWS services (Secrets Manager, KMS, DynamoDB, S3, STS, SQS, SNS, Step Functions) through VPC endpoints or that NAT; their roles get the network-interface permissions Lambda needs."
  default     = []
  nullable    = false

  # Lambda API Reference, VpcConfig: SubnetIds "Maximum number of 16 items"
  # (https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html).
  validation {
    condition     = length(var.lambda_vpc_subnet_ids) <= 16 && alltrue([for id in var.lambda_vpc_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "lambda_vpc_subnet_ids must list at most 16 subnet ids (subnet-...)."
  }
}

variable "lambda_vpc_security_group_ids" {
  type        = list(string)
  description = "Security groups of the functions' network interfaces when lambda_vpc_subnet_ids places them in a VPC (their egress rules must let the functions reach SP-API, LWA and the AWS services they call); empty (the default) outside a VPC."
  default     = []
  nullable    = false

  # Lambda API Reference, VpcConfig: SecurityGroupIds "Maximum number of 5 items"
  # (https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html).
  validation {
    condition     = length(var.lambda_vpc_security_group_ids) <= 5 && alltrue([for id in var.lambda_vpc_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "lambda_vpc_security_group_ids must list at most 5 security group ids (sg-...)."
  }

  # A function in a VPC needs both subnets and security groups (Lambda Developer Guide, "Giving Lambda functions
  # access to resources in an Amazon VPC": https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
  validation {
    condition     = (length(var.lambda_vpc_subnet_ids) == 0) == (length(var.lambda_vpc_security_group_ids) == 0)
    error_message = "lambda_vpc_subnet_ids and lambda_vpc_security_group_ids go together: set both to place the functions in a VPC, or neither."
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
