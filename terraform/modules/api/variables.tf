variable "name_prefix" {
  type        = string
  description = "Prefix of every name this module creates (API, functions, log group), so several stacks fit in one account."

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
  description = "Customer-managed KMS key for the access log group and the functions' logs and environment."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "functions" {
  type = map(object({
    route                          = string
    description                    = optional(string, "")
    package                        = object({ filename = optional(string), s3_bucket = optional(string), s3_key = optional(string), s3_version = optional(string), source_sha256 = string })
    runtime                        = optional(string, "python3.13")
    architecture                   = optional(string, "x86_64")
    memory_size                    = optional(number, 256)
    timeout                        = optional(number, 29)
    reserved_concurrent_executions = optional(number, -1)
    log_retention_days             = optional(number, 365)
    environment_variables          = optional(map(string), {})
    role_name                      = optional(string)
    vpc_subnet_ids                 = optional(list(string), [])
    vpc_security_group_ids         = optional(list(string), [])
    code_signing_config_arn        = optional(string)
  }))
  description = "The functions behind the API, keyed by function name (the Lambda is `<name_prefix>-<key with dashes>`, its handler `sp_reports.handlers.<key>.handler`): the route each serves (create_token: POST /tokens, create_subscription: POST /notifications, create_report: POST /reports, get_report: GET /reports/{reportId}, delete_seller: DELETE /sellers/{sellerId}; optionally plans: POST and GET /plans, GET, PATCH and DELETE /plans/{planId} and GET /plans/{planId}/coverage, all served by one function, and authorization_login: GET /authorization/login and authorization_redirect: GET /authorization/redirect, served without IAM authorisation), its code package and settings (the lambda_function module's arguments of the same names; vpc_subnet_ids and vpc_security_group_ids place it in a VPC; code_signing_config_arn checks its code against a code signing configuration). Each function gets an execution role of its own, named role_name (null: like the function), in role_path with role_permissions_boundary, holding policy_statements[<key>]."

  validation {
    # The five routes always; the seller authorization pair both or neither; plans optional.
    condition = contains([
      sort(["create_token", "create_subscription", "create_report", "get_report", "delete_seller"]),
      sort(["create_token", "create_subscription", "create_report", "get_report", "delete_seller", "authorization_login", "authorization_redirect"]),
      sort(["create_token", "create_subscription", "create_report", "get_report", "delete_seller", "plans"]),
      sort(["create_token", "create_subscription", "create_report", "get_report", "delete_seller", "plans", "authorization_login", "authorization_redirect"]),
    ], sort([for f in values(var.functions) : f.route]))
    error_message = "functions must serve each route (create_token, create_subscription, create_report, get_report, delete_seller) exactly once, plans at most once, and authorization_login and authorization_redirect both or neither."
  }

  validation {
    # API Gateway gives up on an integration after 29 seconds by default.
    condition     = alltrue([for f in values(var.functions) : f.timeout <= 29])
    error_message = "API function timeouts must be at most 29 seconds (the API Gateway integration timeout)."
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

variable "stage_name" {
  type        = string
  description = "Name of the deployed stage."
  default     = "prod"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 letters, digits, '-' or '_'."
  }
}

variable "throttling_rate_limit" {
  type        = number
  description = "Steady-state requests per second allowed on every method of the stage."
  default     = 10

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  type        = number
  description = "Burst of requests allowed on every method of the stage."
  default     = 20

  validation {
    condition     = var.throttling_burst_limit >= 1
    error_message = "throttling_burst_limit must be at least 1."
  }
}

variable "reports_throttling_rate_limit" {
  type        = number
  description = "Steady-state requests per second allowed on POST /reports (across all callers), at most the stage's."
  default     = 1

  validation {
    condition     = var.reports_throttling_rate_limit > 0 && var.reports_throttling_rate_limit <= var.throttling_rate_limit
    error_message = "reports_throttling_rate_limit must be positive and at most throttling_rate_limit."
  }
}

variable "reports_throttling_burst_limit" {
  type        = number
  description = "Burst of requests allowed on POST /reports (across all callers), at most the stage's."
  default     = 5

  validation {
    condition     = var.reports_throttling_burst_limit >= 1 && var.reports_throttling_burst_limit <= var.throttling_burst_limit
    error_message = "reports_throttling_burst_limit must be at least 1 and at most throttling_burst_limit."
  }
}

variable "access_log_retention_days" {
  type        = number
  description = "Retention of the access log group, in days."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_days)
    error_message = "access_log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "execution_logging_level" {
  type        = string
  description = "Execution logging of the stage's methods (OFF, ERROR or INFO), to the API-Gateway-Execution-Logs_<api id>/<stage> log group API Gateway creates. Anything but OFF needs the account-wide API Gateway CloudWatch role (see account_cloudwatch_role_arn). Data tracing (full request and response logging) is always off: request bodies carry sellers' refresh tokens."
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "account_cloudwatch_role_arn" {
  type        = string
  description = "The role the account's API Gateway CloudWatch setting names in this region (account-wide: this module never sets it; modules/account_settings does). Informational, and an ordering: the stage waits for whatever produced the value, e.g. modules/account_settings' output. null: the account is assumed to have the setting already."
  default     = null
}

variable "web_acl_arn" {
  type        = string
  description = "ARN of a regional AWS WAF (WAFv2) web ACL, in the stage's Region, to associate with the stage; null associates none."
  default     = null

  # A WAFv2 web ACL's ARN is arn:<partition>:wafv2:<region>:<account>:<scope>/webacl/<name>/<id> (Service
  # Authorization Reference, "Actions, resources, and condition keys for AWS WAF V2":
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awswafv2.html); an API Gateway REST API
  # stage takes a REGIONAL web ACL of its own Region, scope "global" is CloudFront's (AWS WAF Developer Guide,
  # "Associating or disassociating protection with an AWS resource":
  # https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html). Name 1-128 of
  # letters, digits, '_' and '-', id a UUID (AWS WAFV2 API Reference, "WebACL":
  # https://docs.aws.amazon.com/waf/latest/APIReference/API_WebACL.html).
  validation {
    condition     = var.web_acl_arn == null || can(regex("^arn:aws[a-zA-Z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.web_acl_arn))
    error_message = "web_acl_arn must be a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>); a global (CloudFront) web ACL or a WAF Classic one cannot be associated with an API Gateway stage."
  }
}

variable "role_path" {
  type        = string
  description = "Path of the functions' execution roles (e.g. `/sp-reports/`, where an estate's SCPs or permission sets expect its workloads' roles); their ARNs include it."
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
  description = "ARN of the managed policy set as the permissions boundary of the functions' execution roles (an estate whose SCPs require iam:PermissionsBoundary); null sets none."
  default     = null

  # IAM User Guide, "Permissions boundaries for IAM entities": the boundary is a managed policy, AWS managed
  # (arn:aws:iam::aws:policy/...) or customer managed (arn:aws:iam::<account>:policy/...)
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be null or a managed policy ARN (arn:aws:iam::<account or aws>:policy/<path><name>)."
  }
}

variable "invoke_principal_arns" {
  type        = list(string)
  description = "The only IAM principals (roles, users or an account root, by ARN; no wildcards) that may invoke the API: its resource policy allows them execute-api:Invoke and denies every other principal, whatever that principal's IAM policies allow. A role's sessions count as the role. Each still signs its requests (AWS_IAM). Empty: the API gets no resource policy (IAM policies alone decide)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.invoke_principal_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|role/[^*?]+|user/[^*?]+)$", arn))])
    error_message = "invoke_principal_arns must hold IAM role, user or account-root ARNs without wildcards (no assumed-role session ARNs: aws:PrincipalArn of a session is its role's ARN)."
  }
}
