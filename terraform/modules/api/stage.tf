resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Deployment of ${var.name_prefix}-api"

  # A new deployment whenever anything the stage serves changes; without it, edits would never go live. Only
  # configuration goes into the hash (not attributes read back from AWS), so an unchanged API stays unchanged.
  triggers = {
    redeployment = sha1(jsonencode({
      resources         = local.resource_ids
      routes            = local.routes
      models            = local.models
      gateway_responses = local.gateway_responses
      validators = {
        body       = [aws_api_gateway_request_validator.body.id, aws_api_gateway_request_validator.body.validate_request_body]
        parameters = [aws_api_gateway_request_validator.parameters.id, aws_api_gateway_request_validator.parameters.validate_request_parameters]
      }
      methods      = { for k, m in aws_api_gateway_method.this : k => [m.id, m.authorization] }
      integrations = { for k, i in aws_api_gateway_integration.this : k => [i.id, i.type, i.uri] }
    }))
    # The resource policy is enforced as of the next deployment: a changed policy redeploys the API.
    resource_policy = local.invoke_policy == null ? "" : sha1(local.invoke_policy)
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.this, aws_api_gateway_gateway_response.this, aws_api_gateway_rest_api_policy.this]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name_prefix}-api"
  retention_in_days = var.access_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120:Answers are per-caller and carry fresh presigned URLs: caching them would serve stale or foreign links.
  # checkov:skip=CKV2_AWS_51:Callers authenticate with SigV4 (AWS_IAM); client certificates authenticate API Gateway to a backend, and the backend here is Lambda.
  # checkov:skip=CKV2_AWS_29:A WAF web ACL is the caller's choice: root input api_waf_web_acl_arn associates one (checkov cannot see the optional association); every method already requires SigV4 and is throttled.
  # checkov:skip=CKV2_AWS_77:The web ACL and its rule groups (Log4j included) are the estate's, associated through root input api_waf_web_acl_arn.
  # checkov:skip=CKV2_AWS_4:Execution logging is root input api_execution_logging_level (OFF by default: anything else needs the account-wide API Gateway CloudWatch role); access logs are always on.
  deployment_id        = aws_api_gateway_deployment.this.id
  rest_api_id          = aws_api_gateway_rest_api.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    # No request bodies, query strings or headers: nothing secret reaches the log.
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      sourceIp           = "$context.identity.sourceIp"
      caller             = "$context.identity.caller"
      userArn            = "$context.identity.userArn"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      errorType          = "$context.error.responseType"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  tags = var.tags

  # API Gateway refuses access logging ("CloudWatch Logs role ARN must be set in account settings to enable
  # logging") until the account has a CloudWatch role (API Gateway Developer Guide, "Set up CloudWatch logging
  # for REST APIs in API Gateway": https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
  # The setting is account-wide and never made here (modules/account_settings makes it). A condition that reads
  # var.account_cloudwatch_role_arn makes the stage wait for whatever produced that ARN, e.g. that module's
  # output in the same configuration.
  lifecycle {
    precondition {
      condition     = var.account_cloudwatch_role_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", var.account_cloudwatch_role_arn))
      error_message = "account_cloudwatch_role_arn must be the ARN of the IAM role the account's API Gateway CloudWatch setting names (aws apigateway get-account: cloudwatchRoleArn)."
    }
  }
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225:Answers are per-caller and carry fresh presigned URLs: caching them would serve stale or foreign links.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled = true
    logging_level   = var.execution_logging_level
    # Never on, whatever the logging level: data trace logs full requests and responses, and request bodies
    # carry sellers' LWA refresh tokens (POST /tokens), which must not reach any log.
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    caching_enabled        = false
  }

  # Execution logging (logging_level ERROR or INFO) needs the account's CloudWatch role too; these settings are
  # made on the stage, which already waits for it.
}

# POST /reports is the expensive route: one request becomes up to 15 SP-API reports, each a workflow, a store
# and a month of S3. It gets its own, lower limits (API Gateway Developer Guide, "Throttle requests to your REST
# APIs for better throughput in API Gateway": method-level throttling overrides the stage's for that method;
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html). A method's
# entry replaces the stage's settings for it, so it repeats them beside its own throttle.
resource "aws_api_gateway_method_settings" "create_report" {
  # checkov:skip=CKV_AWS_225:Answers are per-caller and carry fresh presigned URLs: caching them would serve stale or foreign links.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "${trimprefix(local.routes.create_report.path, "/")}/${local.routes.create_report.http_method}"

  settings {
    metrics_enabled        = true
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.reports_throttling_rate_limit
    throttling_burst_limit = var.reports_throttling_burst_limit
    caching_enabled        = false
  }

  # The stage-wide entry first: the method's entry overrides it.
  depends_on = [aws_api_gateway_method_settings.all]
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.web_acl_arn == null ? 0 : 1

  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.web_acl_arn
}

# The seller authorization routes carry OAuth states and LWA authorization codes in their query strings, which
# execution logging at INFO writes out ("Method request query string"): their execution logging is off,
# whatever api_execution_logging_level says. Access logs record the resource path only.
resource "aws_api_gateway_method_settings" "authorization" {
  # checkov:skip=CKV_AWS_225:Answers are per-caller redirects and one-time outcomes: caching them would replay a state or an outcome.
  for_each = local.public_routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "${trimprefix(each.value.path, "/")}/${each.value.http_method}"

  settings {
    metrics_enabled        = true
    logging_level          = "OFF"
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    caching_enabled        = false
  }

  depends_on = [aws_api_gateway_method_settings.all]
}
