# API module with the mocked aws provider: AWS_IAM on every method, validation, proxy integrations scoped by
# Lambda permissions, and the stage's logging, tracing and throttling.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

override_resource {
  target          = aws_api_gateway_request_validator.body
  override_during = plan
  values          = { id = "bodyvalidator" }
}

override_resource {
  target          = aws_api_gateway_request_validator.parameters
  override_during = plan
  values          = { id = "paramvalidator" }
}

variables {
  name_prefix = "acme-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  functions = {
    for f, route in { token_storage = "create_token", notifications_subscriber = "create_subscription", report_creator = "create_report", report_status = "get_report", seller_eraser = "delete_seller" } : f => {
      route                         = route
      package = {
        s3_bucket     = "acme-test-artifacts"
        s3_key        = "lambda/${f}/0000.zip"
        source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
      }
    }
  }
}

run "every_method_requires_aws_iam" {
  command = plan

  assert {
    condition     = length(aws_api_gateway_method.this) == 5
    error_message = "The API must have exactly the five routes."
  }

  assert {
    condition     = alltrue([for m in aws_api_gateway_method.this : m.authorization == "AWS_IAM"])
    error_message = "Every method must require AWS_IAM (SigV4) authorisation."
  }
}

run "bodies_are_validated_against_json_schema_models" {
  command = plan

  assert {
    condition = alltrue([
      for k in ["create_token", "create_subscription", "create_report"] :
      aws_api_gateway_method.this[k].request_validator_id == aws_api_gateway_request_validator.body.id
      && length(aws_api_gateway_method.this[k].request_models) == 1
    ])
    error_message = "Every POST must validate its body against a model."
  }

  assert {
    condition     = aws_api_gateway_request_validator.body.validate_request_body
    error_message = "The body validator must validate bodies."
  }

  assert {
    condition     = aws_api_gateway_method.this["get_report"].request_parameters["method.request.path.reportId"]
    error_message = "GET /reports/{reportId} must require the reportId path parameter."
  }

  assert {
    condition     = aws_api_gateway_method.this["delete_seller"].request_parameters["method.request.path.sellerId"] && aws_api_gateway_method.this["delete_seller"].http_method == "DELETE"
    error_message = "DELETE /sellers/{sellerId} must require the sellerId path parameter."
  }

  assert {
    condition     = aws_lambda_permission.api["delete_seller"].source_arn == "${aws_api_gateway_rest_api.this.execution_arn}/prod/DELETE/sellers/*"
    error_message = "Only DELETE /sellers/{sellerId} of the stage may invoke the seller eraser."
  }

  assert {
    condition = alltrue([
      for m in aws_api_gateway_model.this : jsondecode(m.schema).type == "object" && m.content_type == "application/json"
    ])
    error_message = "Every model must be a JSON object schema."
  }

  assert {
    condition     = toset(keys(jsondecode(aws_api_gateway_model.this["TokenRequest"].schema).properties)) == toset(["SellerId", "RefreshToken"])
    error_message = "The token model must describe the documented body fields."
  }

  assert {
    condition     = alltrue([for r in aws_api_gateway_gateway_response.this : can(jsondecode(replace(replace(r.response_templates["application/json"], "$context.error.messageString", "\"m\""), "$context.error.responseType", "t")))])
    error_message = "Gateway error responses must render as JSON {\"error\": {...}}."
  }
}

run "integrations_are_lambda_proxies_and_permissions_are_scoped_to_their_method" {
  command = plan

  assert {
    condition     = alltrue([for i in aws_api_gateway_integration.this : i.type == "AWS_PROXY" && i.integration_http_method == "POST"])
    error_message = "Every integration must be a Lambda proxy integration."
  }

  assert {
    condition     = aws_lambda_permission.api["create_token"].source_arn == "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/POST/tokens"
    error_message = "Each permission must allow only its own method and stage."
  }

  assert {
    condition     = aws_lambda_permission.api["get_report"].source_arn == "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/reports/*"
    error_message = "The report status permission must be limited to GET /reports/{reportId}."
  }

  assert {
    condition     = alltrue([for p in aws_lambda_permission.api : p.principal == "apigateway.amazonaws.com"])
    error_message = "Only API Gateway may invoke the API functions."
  }

  assert {
    condition     = output.function_names["token_storage"] == "acme-test-token-storage"
    error_message = "Function names must carry the prefix."
  }
}

run "prod_stage_logs_traces_and_throttles" {
  command = plan

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "prod" && aws_api_gateway_stage.this.xray_tracing_enabled
    error_message = "The prod stage must have X-Ray tracing."
  }

  assert {
    condition     = aws_api_gateway_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "Access logs must go to the stage's log group."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.access.name == "/aws/apigateway/acme-test-api"
    error_message = "The access log group must be prefixed and KMS-encrypted."
  }

  assert {
    condition = alltrue([
      aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 10,
      aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit == 20,
      !aws_api_gateway_method_settings.all.settings[0].data_trace_enabled,
    ])
    error_message = "Every method must be throttled, and request bodies (refresh tokens) never traced."
  }

  assert {
    condition     = !strcontains(aws_api_gateway_stage.this.access_log_settings[0].format, "requestBody") && !strcontains(aws_api_gateway_stage.this.access_log_settings[0].format, "querystring")
    error_message = "The access log format must not include bodies or query strings."
  }
}

run "the_deployment_follows_api_changes" {
  command = plan

  assert {
    condition     = contains(keys(aws_api_gateway_deployment.this.triggers), "redeployment")
    error_message = "The deployment must carry a hash of the API configuration as its redeployment trigger."
  }
}

run "a_missing_api_function_is_rejected" {
  command = plan

  variables {
    functions = {
      token_storage = {
        route   = "create_token"
        package = { s3_bucket = "b", s3_key = "k", source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
      }
    }
  }

  expect_failures = [var.functions]
}

run "a_timeout_beyond_the_integration_limit_is_rejected" {
  command = plan

  variables {
    functions = {
      for f, route in { token_storage = "create_token", notifications_subscriber = "create_subscription", report_creator = "create_report", report_status = "get_report", seller_eraser = "delete_seller" } : f => {
        route                         = route
        timeout                       = 60
        package                       = { s3_bucket = "b", s3_key = "k", source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
      }
    }
  }

  expect_failures = [var.functions]
}

run "an_unknown_logging_level_is_rejected" {
  command = plan

  variables {
    execution_logging_level = "DEBUG"
  }

  expect_failures = [var.execution_logging_level]
}

run "no_web_acl_and_no_execution_logging_by_default" {
  command = plan

  assert {
    condition     = length(aws_wafv2_web_acl_association.this) == 0
    error_message = "No web ACL may be associated unless one is given."
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].logging_level == "OFF"
    error_message = "Execution logging is off by default (it needs the account's CloudWatch role)."
  }
}

run "a_given_web_acl_protects_the_stage" {
  command = plan

  variables {
    web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/estate-api/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this[0].web_acl_arn == var.web_acl_arn && aws_wafv2_web_acl_association.this[0].resource_arn == aws_api_gateway_stage.this.arn
    error_message = "The given web ACL must be associated with the stage."
  }
}

run "a_cloudfront_web_acl_is_rejected" {
  command = plan

  variables {
    web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/estate-cdn/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
  }

  expect_failures = [var.web_acl_arn]
}

run "a_waf_classic_web_acl_is_rejected" {
  command = plan

  variables {
    web_acl_arn = "arn:aws:waf-regional:us-east-1:123456789012:webacl/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
  }

  expect_failures = [var.web_acl_arn]
}

run "the_execution_logging_level_reaches_every_method_without_data_trace" {
  command = plan

  variables {
    execution_logging_level = "INFO"
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.method_path == "*/*" && aws_api_gateway_method_settings.all.settings[0].logging_level == "INFO"
    error_message = "execution_logging_level must be every method's logging level."
  }

  assert {
    condition     = !aws_api_gateway_method_settings.all.settings[0].data_trace_enabled
    error_message = "Data trace must stay off at every logging level: request bodies carry refresh tokens."
  }

  assert {
    condition     = aws_api_gateway_method_settings.create_report.settings[0].logging_level == "INFO" && !aws_api_gateway_method_settings.create_report.settings[0].data_trace_enabled
    error_message = "POST /reports' own method settings must keep the stage's logging level and no data trace."
  }
}

# POST /reports may become 15 SP-API reports: a method-level throttle of its own, lower than the stage's.
run "post_reports_has_its_own_lower_throttle_beside_the_stage_wide_one" {
  command = plan

  variables {
    reports_throttling_rate_limit  = 0.5
    reports_throttling_burst_limit = 2
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.method_path == "*/*" && aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 10 && aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit == 20
    error_message = "The stage-wide throttle must stay on every other method."
  }

  assert {
    condition     = aws_api_gateway_method_settings.create_report.method_path == "reports/POST"
    error_message = "The route-level throttle must apply to POST /reports (method path reports/POST)."
  }

  assert {
    condition     = aws_api_gateway_method_settings.create_report.settings[0].throttling_rate_limit == 0.5 && aws_api_gateway_method_settings.create_report.settings[0].throttling_burst_limit == 2
    error_message = "POST /reports must be throttled by reports_throttling_rate_limit and reports_throttling_burst_limit."
  }

  assert {
    # The method's entry replaces the stage's settings for it: metrics stay on, data trace and caching off.
    condition     = aws_api_gateway_method_settings.create_report.settings[0].metrics_enabled && !aws_api_gateway_method_settings.create_report.settings[0].data_trace_enabled && !aws_api_gateway_method_settings.create_report.settings[0].caching_enabled
    error_message = "POST /reports' method settings must keep the stage's metrics, no data trace and no caching."
  }
}

run "post_reports_is_throttled_below_the_stage_by_default" {
  command = plan

  assert {
    condition     = aws_api_gateway_method_settings.create_report.settings[0].throttling_rate_limit == 1 && aws_api_gateway_method_settings.create_report.settings[0].throttling_burst_limit == 5
    error_message = "POST /reports defaults to 1 request per second, burst 5."
  }
}

run "a_reports_throttle_above_the_stages_is_rejected" {
  command = plan

  variables {
    reports_throttling_rate_limit = 11
  }

  expect_failures = [var.reports_throttling_rate_limit]
}

run "a_reports_burst_above_the_stages_is_rejected" {
  command = plan

  variables {
    reports_throttling_burst_limit = 21
  }

  expect_failures = [var.reports_throttling_burst_limit]
}

# The account's API Gateway CloudWatch setting is account-wide: this module never makes it (no resource of it
# here; tests/terraform/test_root_wiring.py checks the root's whole plan). Its role's ARN is only an input.
run "the_stage_plans_with_the_accounts_cloudwatch_role_given" {
  command = plan

  variables {
    account_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/platform/api-gateway-cloudwatch-logs-us-east-1"
  }

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "prod"
    error_message = "The stage must plan with the account's role given."
  }
}

run "an_account_cloudwatch_role_that_is_not_a_role_arn_is_refused" {
  command = plan

  variables {
    account_cloudwatch_role_arn = "api-gateway-cloudwatch-logs"
  }

  expect_failures = [aws_api_gateway_stage.this]
}

# The resource policy: an Allow for the invoke principals is not enough in the API's own account (an IAM
# policy's Allow suffices there), so every other principal is denied explicitly.
run "only_the_invoke_principals_may_invoke_every_other_principal_is_denied" {
  command = plan

  variables {
    invoke_principal_arns = ["arn:aws:iam::123456789012:role/acme-test-api-invoke", "arn:aws:iam::123456789012:role/estate-caller"]
  }

  assert {
    condition = length([
      for s in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement : s
      if s.Effect == "Deny" && s.Principal == "*" && s.Action == "execute-api:Invoke"
      && s.Resource == "${aws_api_gateway_rest_api.this.execution_arn}/*"
      && try(tolist(s.Condition.ArnNotLike["aws:PrincipalArn"]), []) == var.invoke_principal_arns
    ]) == 1
    error_message = "The resource policy must deny execute-api:Invoke to every principal whose aws:PrincipalArn is not an invoke principal."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement : s
      if s.Effect == "Allow" && try(tolist(s.Principal.AWS), []) == var.invoke_principal_arns && s.Action == "execute-api:Invoke"
    ]) == 1
    error_message = "The resource policy must allow the invoke principals."
  }

  assert {
    condition     = aws_api_gateway_rest_api_policy.this[0].rest_api_id == aws_api_gateway_rest_api.this.id
    error_message = "The policy must be the API's."
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.resource_policy == sha1(aws_api_gateway_rest_api_policy.this[0].policy)
    error_message = "A changed resource policy must redeploy the API: it is enforced as of the next deployment."
  }
}

run "without_invoke_principals_the_api_has_no_resource_policy" {
  command = plan

  assert {
    condition     = length(aws_api_gateway_rest_api_policy.this) == 0
    error_message = "No invoke principals, no resource policy."
  }
}

run "an_invoke_principal_given_as_a_wildcard_is_rejected" {
  command = plan

  variables {
    invoke_principal_arns = ["arn:aws:iam::123456789012:role/*"]
  }

  expect_failures = [var.invoke_principal_arns]
}

# Seller authorization (the root's seller_authorization_redirect_uri): two GET routes a seller's browser calls,
# without IAM authorisation, admitted to anyone by the resource policy on their two method ARNs only.
run "the_authorization_routes_are_public_and_only_they_are" {
  command = plan

  variables {
    invoke_principal_arns = ["arn:aws:iam::123456789012:role/acme-test-api-invoke"]
    functions = {
      for f, route in { token_storage = "create_token", notifications_subscriber = "create_subscription", report_creator = "create_report", report_status = "get_report", seller_eraser = "delete_seller", authorization_login = "authorization_login", authorization_redirect = "authorization_redirect" } : f => {
        route                         = route
        package = {
          s3_bucket     = "acme-test-artifacts"
          s3_key        = "lambda/${f}/0000.zip"
          source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        }
      }
    }
  }

  assert {
    condition     = { for k, m in aws_api_gateway_method.this : k => m.authorization if m.authorization != "AWS_IAM" } == { authorization_login = "NONE", authorization_redirect = "NONE" }
    error_message = "Only the two authorization routes may go without AWS_IAM."
  }

  assert {
    condition     = aws_api_gateway_method.this["authorization_login"].http_method == "GET" && aws_api_gateway_resource.authorization_step["authorization_login"].path_part == "login" && aws_api_gateway_resource.authorization_step["authorization_redirect"].path_part == "redirect"
    error_message = "The routes must be GET /authorization/login and GET /authorization/redirect."
  }

  assert {
    condition = [
      for s in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement : s.Resource
      if s.Effect == "Allow" && s.Principal == "*"
      ] == [[
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/*/GET/authorization/login",
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/*/GET/authorization/redirect",
    ]]
    error_message = "Anyone may invoke the two authorization methods, and nothing else."
  }

  assert {
    condition = [
      for s in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement : s.NotResource
      if s.Effect == "Deny"
      ] == [[
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/*/GET/authorization/login",
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/*/GET/authorization/redirect",
    ]]
    error_message = "The Deny of every other principal must cover every method but the two authorization ones."
  }

  assert {
    condition     = aws_lambda_permission.api["authorization_redirect"].source_arn == "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/authorization/redirect"
    error_message = "Each authorization function may be invoked by its own method only."
  }

  assert {
    condition     = { for k, m in aws_api_gateway_method_settings.authorization : m.method_path => m.settings[0].logging_level } == { "authorization/login/GET" = "OFF", "authorization/redirect/GET" = "OFF" }
    error_message = "Execution logging would write the states and codes in the query strings: off on the authorization routes."
  }

  assert {
    condition     = output.authorization_uris.redirect_uri == "${aws_api_gateway_stage.this.invoke_url}/authorization/redirect"
    error_message = "The module must say which URIs to register for the application."
  }
}

run "without_authorization_functions_there_are_no_public_routes" {
  command = plan

  variables {
    invoke_principal_arns = ["arn:aws:iam::123456789012:role/acme-test-api-invoke"]
  }

  assert {
    condition     = length(aws_api_gateway_resource.authorization) == 0 && output.authorization_uris == null
    error_message = "No authorization function, no authorization routes."
  }

  assert {
    condition     = length([for s in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement : s if s.Principal == "*" && s.Effect == "Allow"]) == 0
    error_message = "No authorization function, nobody admitted without being an invoke principal."
  }
}

run "one_authorization_route_without_the_other_is_rejected" {
  command = plan

  variables {
    functions = {
      for f, route in { token_storage = "create_token", notifications_subscriber = "create_subscription", report_creator = "create_report", report_status = "get_report", authorization_login = "authorization_login" } : f => {
        route                         = route
        package = {
          s3_bucket     = "acme-test-artifacts"
          s3_key        = "lambda/${f}/0000.zip"
          source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        }
      }
    }
  }

  expect_failures = [var.functions]
}

# Pull plans (optional route `plans`): one function serves /plans, /plans/{planId} and /plans/{planId}/coverage.
run "the_plans_route_is_six_signed_methods_of_one_function" {
  command = plan

  variables {
    functions = {
      for f, route in { token_storage = "create_token", notifications_subscriber = "create_subscription", report_creator = "create_report", report_status = "get_report", seller_eraser = "delete_seller", plans_api = "plans" } : f => {
        route                         = route
        package = {
          s3_bucket     = "acme-test-artifacts"
          s3_key        = "lambda/${f}/0000.zip"
          source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        }
      }
    }
  }

  assert {
    condition = { for k in ["create_plan", "list_plans", "get_plan", "update_plan", "delete_plan", "get_plan_coverage"] : k => [aws_api_gateway_method.this[k].http_method, aws_api_gateway_method.this[k].authorization] } == {
      create_plan       = ["POST", "AWS_IAM"]
      list_plans        = ["GET", "AWS_IAM"]
      get_plan          = ["GET", "AWS_IAM"]
      update_plan       = ["PATCH", "AWS_IAM"]
      delete_plan       = ["DELETE", "AWS_IAM"]
      get_plan_coverage = ["GET", "AWS_IAM"]
    }
    error_message = "The plans route must be POST and GET /plans, GET, PATCH and DELETE /plans/{planId} and GET /plans/{planId}/coverage, each with AWS_IAM."
  }

  assert {
    condition     = length(aws_api_gateway_method.this) == 11
    error_message = "The five routes and the six plans methods, nothing else."
  }

  assert {
    condition     = [aws_api_gateway_resource.plans[0].path_part, aws_api_gateway_resource.plan[0].path_part, aws_api_gateway_resource.plan_coverage[0].path_part] == ["plans", "{planId}", "coverage"]
    error_message = "The plans resources must be /plans/{planId}/coverage."
  }

  assert {
    condition = { for k, p in aws_lambda_permission.api : k => p.source_arn if strcontains(k, "plan") } == {
      create_plan       = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/POST/plans"
      list_plans        = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/plans"
      get_plan          = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/plans/*"
      update_plan       = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/PATCH/plans/*"
      delete_plan       = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/DELETE/plans/*"
      get_plan_coverage = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/plans/*/coverage"
    }
    error_message = "Each plans method must have its own permission, for its own method and stage only."
  }

  assert {
    condition     = toset([for k, p in aws_lambda_permission.api : p.function_name if strcontains(k, "plan")]) == toset(["acme-test-plans-api"])
    error_message = "One function serves every plans method."
  }

  assert {
    condition = alltrue([
      for k in ["get_plan", "update_plan", "delete_plan", "get_plan_coverage"] : aws_api_gateway_method.this[k].request_parameters["method.request.path.planId"]
    ])
    error_message = "Every /plans/{planId} method must require the planId path parameter."
  }

  assert {
    condition     = jsonencode(aws_api_gateway_method.this["get_plan_coverage"].request_parameters) == jsonencode({ "method.request.path.planId" = true, "method.request.querystring.from" = false, "method.request.querystring.to" = false })
    error_message = "The coverage reads from and to from the query string (the function's 400 names a missing one)."
  }

  assert {
    condition     = aws_api_gateway_method.this["create_plan"].request_validator_id == aws_api_gateway_request_validator.body.id && aws_api_gateway_method.this["update_plan"].request_models["application/json"] == "PlanUpdate"
    error_message = "POST /plans and PATCH /plans/{planId} must validate their bodies against their models."
  }

  assert {
    condition     = toset(keys(jsondecode(aws_api_gateway_model.this["PlanRequest"].schema).properties)) == toset(["sellerId", "marketplaceIds", "reportType", "cadence", "lookBackDays", "reportOptions", "startDate", "mode"])
    error_message = "The plan model must describe the documented body fields."
  }
}

run "without_a_plans_function_there_are_no_plans_resources" {
  command = plan

  assert {
    condition     = length(aws_api_gateway_resource.plans) == 0 && length(aws_api_gateway_resource.plan_coverage) == 0 && length([for k in keys(aws_api_gateway_method.this) : k if strcontains(k, "plan")]) == 0
    error_message = "No plans function, no plans routes."
  }
}

run "the_plans_route_served_twice_is_rejected" {
  command = plan

  variables {
    functions = {
      for f, route in { token_storage = "create_token", notifications_subscriber = "create_subscription", report_creator = "create_report", report_status = "get_report", seller_eraser = "delete_seller", plans_api = "plans", plans_api_copy = "plans" } : f => {
        route                         = route
        package                       = { s3_bucket = "b", s3_key = "k", source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
      }
    }
  }

  expect_failures = [var.functions]
}
