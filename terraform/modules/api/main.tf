# API: one REST API with AWS_IAM on every method but the seller authorization routes (below), request validation against JSON-schema models, Lambda proxy
# integrations, and a `prod` stage with access logs, X-Ray and throttling. Redeploys whenever the API changes.
# Part of this stack, not a general-purpose module: its routes and request models are the sp-reports API's. The
# caller says which of its functions serves which route (functions[*].route).

locals {
  # One entry per method, keyed by method; `route` is the route a function serves (functions[*].route): a
  # route is one method, except `plans`, whose six methods one function serves. `path` is the resource path as
  # it appears in execute-api ARNs.
  # `public` routes are the seller authorization workflow's (GET /authorization/login and /redirect): a
  # seller's browser calls them, so they have no IAM authorisation, and they exist only when a function serves
  # them (the root's seller_authorization_redirect_uri).
  all_routes = {
    create_token           = { route = "create_token", http_method = "POST", resource = "tokens", path = "/tokens", model = "TokenRequest", public = false }
    create_subscription    = { route = "create_subscription", http_method = "POST", resource = "notifications", path = "/notifications", model = "SubscriptionRequest", public = false }
    create_report          = { route = "create_report", http_method = "POST", resource = "reports", path = "/reports", model = "ReportRequest", public = false }
    get_report             = { route = "get_report", http_method = "GET", resource = "report", path = "/reports/*", model = null, public = false }
    authorization_login    = { route = "authorization_login", http_method = "GET", resource = "authorization_login", path = "/authorization/login", model = null, public = true }
    authorization_redirect = { route = "authorization_redirect", http_method = "GET", resource = "authorization_redirect", path = "/authorization/redirect", model = null, public = true }
    delete_seller          = { route = "delete_seller", http_method = "DELETE", resource = "seller", path = "/sellers/*", model = null, public = false }
    create_plan            = { route = "plans", http_method = "POST", resource = "plans", path = "/plans", model = "PlanRequest", public = false }
    list_plans             = { route = "plans", http_method = "GET", resource = "plans", path = "/plans", model = null, public = false }
    get_plan               = { route = "plans", http_method = "GET", resource = "plan", path = "/plans/*", model = null, public = false }
    update_plan            = { route = "plans", http_method = "PATCH", resource = "plan", path = "/plans/*", model = "PlanUpdate", public = false }
    delete_plan            = { route = "plans", http_method = "DELETE", resource = "plan", path = "/plans/*", model = null, public = false }
    get_plan_coverage      = { route = "plans", http_method = "GET", resource = "plan_coverage", path = "/plans/*/coverage", model = null, public = false }
  }
  # The query string parameters each method reads (none required: the function's 400 names what is missing).
  query_parameters = {
    list_plans        = ["sellerId", "nextToken", "limit"]
    get_plan_coverage = ["from", "to"]
  }
  # The path and query string parameters of each method (null: none).
  method_parameter_maps = { for r, route in local.all_routes : r => merge(
    lookup(local.path_parameters, route.resource, {}),
    { for name in lookup(local.query_parameters, r, []) : "method.request.querystring.${name}" => false },
  ) }
  method_parameters = { for r, parameters in local.method_parameter_maps : r => length(parameters) == 0 ? null : parameters }
  path_parameters = {
    report        = { "method.request.path.reportId" = true }
    seller        = { "method.request.path.sellerId" = true }
    plan          = { "method.request.path.planId" = true }
    plan_coverage = { "method.request.path.planId" = true }
  }
  # The function serving each route.
  route_functions = { for f, function in var.functions : function.route => f }
  routes          = { for r, route in local.all_routes : r => route if contains(keys(local.route_functions), route.route) }
  serves_plans    = contains(keys(local.route_functions), "plans")
  public_routes   = { for r, route in local.routes : r => route if route.public }
  # Method ARNs of the public routes in every stage (execute-api ARNs: <api>/<stage>/<method>/<path>).
  public_method_arns = [for route in values(local.public_routes) : "${aws_api_gateway_rest_api.this.execution_arn}/*/${route.http_method}${route.path}"]

  gateway_responses = {
    DEFAULT_4XX      = "{\"error\":{\"code\":\"$context.error.responseType\",\"message\":$context.error.messageString}}"
    DEFAULT_5XX      = "{\"error\":{\"code\":\"$context.error.responseType\",\"message\":$context.error.messageString}}"
    BAD_REQUEST_BODY = "{\"error\":{\"code\":\"$context.error.responseType\",\"message\":\"The request body must be a JSON object whose fields have the documented JSON types\"}}"
  }

  resource_ids = merge(
    {
      tokens        = aws_api_gateway_resource.tokens.id
      notifications = aws_api_gateway_resource.notifications.id
      reports       = aws_api_gateway_resource.reports.id
      report        = aws_api_gateway_resource.report.id
      seller        = aws_api_gateway_resource.seller.id
    },
    { for r, resource in aws_api_gateway_resource.authorization_step : r => resource.id },
    local.serves_plans ? {
      plans         = aws_api_gateway_resource.plans[0].id
      plan          = aws_api_gateway_resource.plan[0].id
      plan_coverage = aws_api_gateway_resource.plan_coverage[0].id
    } : {},
  )

  # JSON schemas (draft-04, what API Gateway supports). They check the shape of a body; the handlers check
  # values and answer with messages naming the field.
  models = {
    TokenRequest = {
      description = "POST /tokens body"
      schema = {
        "$schema"  = "http://json-schema.org/draft-04/schema#"
        title      = "TokenRequest"
        type       = "object"
        properties = { SellerId = { type = "string" }, RefreshToken = { type = "string" } }
      }
    }
    SubscriptionRequest = {
      description = "POST /notifications body"
      schema = {
        "$schema" = "http://json-schema.org/draft-04/schema#"
        title     = "SubscriptionRequest"
        type      = "object"
        properties = {
          SellerId         = { type = "string" }
          RegionCode       = { type = "string" }
          NotificationType = { type = "string" }
        }
      }
    }
    ReportRequest = {
      description = "POST /reports body"
      schema = {
        "$schema" = "http://json-schema.org/draft-04/schema#"
        title     = "ReportRequest"
        type      = "object"
        properties = {
          SellerId            = { type = "string" }
          RegionCode          = { type = "string" }
          ReportType          = { type = "string" }
          MarketplaceIds      = { type = ["string", "array"], items = { type = "string" } }
          ReportDataStartTime = { type = "string" }
          ReportDataEndTime   = { type = "string" }
          ReportOptions       = { type = ["string", "object"] }
          SplitRange          = { type = ["boolean", "string"] }
        }
      }
    }
    PlanRequest = {
      description = "POST /plans body"
      schema = {
        "$schema" = "http://json-schema.org/draft-04/schema#"
        title     = "PlanRequest"
        type      = "object"
        properties = {
          sellerId       = { type = "string" }
          marketplaceIds = { type = "array", items = { type = "string" } }
          reportType     = { type = "string" }
          cadence        = { type = "string" }
          lookBackDays   = { type = "array", items = { type = "integer" } }
          reportOptions  = { type = "object" }
          startDate      = { type = "string" }
          mode           = { type = "string" }
        }
      }
    }
    PlanUpdate = {
      description = "PATCH /plans/{planId} body"
      schema = {
        "$schema" = "http://json-schema.org/draft-04/schema#"
        title     = "PlanUpdate"
        type      = "object"
        properties = {
          paused       = { type = "boolean" }
          cadence      = { type = "string" }
          lookBackDays = { type = "array", items = { type = "integer" } }
        }
      }
    }
  }
}

resource "aws_api_gateway_rest_api" "this" {
  name        = "${var.name_prefix}-api"
  description = "SP-API reports: store seller tokens, subscribe to notifications, request reports"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Who may invoke the API, whatever their IAM policies say. With AWS_IAM methods in the API's own account, an Allow
# from either the caller's IAM policy or the resource policy is enough, so an Allow for the invoke principals
# alone would narrow nothing: the explicit Deny of every other principal is the boundary (API Gateway Developer
# Guide, "How API Gateway resource policies affect authorization workflow":
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html).
# aws:PrincipalArn of an assumed-role session is its role's ARN (IAM User Guide, "AWS global condition context
# keys": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
# The public routes (seller authorization) are admitted to anyone, on their two method ARNs only: the Deny
# leaves them out (NotResource), as a browser's request carries no principal at all.
locals {
  invoke_policy = length(var.invoke_principal_arns) == 0 && length(local.public_method_arns) == 0 ? null : jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      length(var.invoke_principal_arns) == 0 ? [] : [{
        Sid       = "InvokePrincipalsMayInvoke"
        Effect    = "Allow"
        Principal = { AWS = var.invoke_principal_arns }
        Action    = "execute-api:Invoke"
        Resource  = "${aws_api_gateway_rest_api.this.execution_arn}/*"
      }],
      length(local.public_method_arns) == 0 ? [] : [{
        Sid       = "SellersBrowsersMayCallTheAuthorizationRoutes"
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = local.public_method_arns
      }],
      # Without invoke principals nothing is denied: IAM policies alone decide, as without a resource policy.
      # With public routes the Deny leaves their methods out (NotResource); without, it covers every method.
      length(var.invoke_principal_arns) == 0 || length(local.public_method_arns) > 0 ? [] : [{
        Sid       = "DenyEveryOtherPrincipal"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone but the invoke principals
        Action    = "execute-api:Invoke"
        Resource  = "${aws_api_gateway_rest_api.this.execution_arn}/*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = var.invoke_principal_arns } }
      }],
      length(var.invoke_principal_arns) == 0 || length(local.public_method_arns) == 0 ? [] : [{
        Sid         = "DenyEveryOtherPrincipal"
        Effect      = "Deny"
        Principal   = "*"
        Action      = "execute-api:Invoke"
        NotResource = local.public_method_arns
        Condition   = { ArnNotLike = { "aws:PrincipalArn" = var.invoke_principal_arns } }
      }],
    )
  })
}

# A policy of its own, not the API's policy argument: the policy names the API's execution ARN. A changed policy
# takes effect once the API is deployed again ("Create and attach an API Gateway resource policy to an API":
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html),
# so the deployment's trigger hashes it (stage.tf).
resource "aws_api_gateway_rest_api_policy" "this" {
  count = local.invoke_policy == null ? 0 : 1

  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = local.invoke_policy
}

resource "aws_api_gateway_resource" "tokens" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "tokens"
}

resource "aws_api_gateway_resource" "notifications" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "notifications"
}

resource "aws_api_gateway_resource" "reports" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "reports"
}

resource "aws_api_gateway_resource" "report" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.reports.id
  path_part   = "{reportId}"
}

# /authorization/{login,redirect}, for the public routes that are served.
resource "aws_api_gateway_resource" "authorization" {
  count = length(local.public_routes) == 0 ? 0 : 1

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "authorization"
}

resource "aws_api_gateway_resource" "authorization_step" {
  for_each = local.public_routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.authorization[0].id
  path_part   = trimprefix(each.value.path, "/authorization/")
}

resource "aws_api_gateway_resource" "sellers" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "sellers"
}

resource "aws_api_gateway_resource" "seller" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.sellers.id
  path_part   = "{sellerId}"
}

# /plans, /plans/{planId} and /plans/{planId}/coverage, when a function serves the plans route.
resource "aws_api_gateway_resource" "plans" {
  count = local.serves_plans ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "plans"
}

resource "aws_api_gateway_resource" "plan" {
  count = local.serves_plans ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.plans[0].id
  path_part   = "{planId}"
}

resource "aws_api_gateway_resource" "plan_coverage" {
  count = local.serves_plans ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.plan[0].id
  path_part   = "coverage"
}

resource "aws_api_gateway_model" "this" {
  for_each = local.models

  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = each.key
  description  = each.value.description
  content_type = "application/json"
  schema       = jsonencode(each.value.schema)
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "${var.name_prefix}-body-and-parameters"
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_request_validator" "parameters" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "${var.name_prefix}-parameters"
  validate_request_body       = false
  validate_request_parameters = true
}

resource "aws_api_gateway_method" "this" {
  # checkov:skip=CKV_AWS_59:Only the seller authorization routes (public = true, off unless the root's seller_authorization_redirect_uri is set) have no IAM authorisation: Amazon sends sellers' browsers to them, which cannot sign; each checks its single-use state.
  for_each = local.routes

  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = local.resource_ids[each.value.resource]
  http_method   = each.value.http_method
  authorization = each.value.public ? "NONE" : "AWS_IAM"

  request_validator_id = each.value.model == null ? aws_api_gateway_request_validator.parameters.id : aws_api_gateway_request_validator.body.id
  request_models       = each.value.model == null ? null : { "application/json" = aws_api_gateway_model.this[each.value.model].name }
  request_parameters   = local.method_parameters[each.key]
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST" # Lambda is always invoked with POST
  uri                     = module.function[local.route_functions[each.value.route]].function_invoke_arn
}

# Errors API Gateway answers itself follow the API's error shape {"error": {"code", "message"}}. Templates of
# gateway responses get simple variable substitution only (no VTL), so only variables that are already quoted
# JSON strings ($context.error.messageString) or plain words ($context.error.responseType) may appear.
resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_responses

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key
  response_templates = {
    "application/json" = each.value
  }
}

module "function" {
  source   = "../lambda_function"
  for_each = var.functions

  function_name                  = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description                    = each.value.description
  handler                        = "sp_reports.handlers.${each.key}.handler"
  runtime                        = each.value.runtime
  architecture                   = each.value.architecture
  attach_policy_statements       = contains(keys(var.policy_statements), each.key)
  policy_statements              = try(var.policy_statements[each.key], [])
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = each.value.reserved_concurrent_executions
  log_retention_days             = each.value.log_retention_days
  environment_variables          = each.value.environment_variables
  role_name                      = each.value.role_name
  role_path                      = var.role_path
  role_permissions_boundary      = var.role_permissions_boundary
  vpc_subnet_ids                 = each.value.vpc_subnet_ids
  vpc_security_group_ids         = each.value.vpc_security_group_ids
  code_signing_config_arn        = each.value.code_signing_config_arn
  kms_key_arn                    = var.kms_key_arn
  package                        = each.value.package
  tags                           = var.tags
}

resource "aws_lambda_permission" "api" {
  for_each = local.routes

  statement_id  = "AllowApiGateway-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = module.function[local.route_functions[each.value.route]].function_name
  principal     = "apigateway.amazonaws.com"
  # Only this method of this API's stage may invoke the function.
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/${each.value.http_method}${each.value.path}"
}
