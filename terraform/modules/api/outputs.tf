output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_execution_arn" {
  description = "Execution ARN of the REST API (for execute-api:Invoke policies)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_invoke_url" {
  description = "Base URL of the stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "endpoint_urls" {
  description = "Invoke URL per endpoint: tokens, notifications, reports (POST) and report (GET, append the report id)."
  value = {
    tokens        = "${aws_api_gateway_stage.this.invoke_url}/tokens"
    notifications = "${aws_api_gateway_stage.this.invoke_url}/notifications"
    reports       = "${aws_api_gateway_stage.this.invoke_url}/reports"
    report        = "${aws_api_gateway_stage.this.invoke_url}/reports/{reportId}"
  }
}

output "authorization_uris" {
  description = "The seller authorization workflow's URIs on the stage, to register for the SP-API application: login_uri (its log-in URI) and redirect_uri; null when no function serves them."
  value = length(local.public_routes) == 0 ? null : {
    login_uri    = "${aws_api_gateway_stage.this.invoke_url}/authorization/login"
    redirect_uri = "${aws_api_gateway_stage.this.invoke_url}/authorization/redirect"
  }
}

output "method_authorizations" {
  description = "Authorization type per method key (create_token, ..., create_plan, list_plans, get_plan, update_plan, delete_plan, get_plan_coverage: AWS_IAM; NONE for the seller authorization routes)."
  value       = { for k, m in aws_api_gateway_method.this : k => m.authorization }
}

output "resource_policy" {
  description = "The API's resource policy document (JSON), null when it has none."
  value       = local.invoke_policy
}

output "function_names" {
  description = "Lambda function name per function key (the keys of var.functions)."
  value       = { for k, f in module.function : k => f.function_name }
}

output "function_arns" {
  description = "Lambda function ARN per function key (the keys of var.functions)."
  value       = { for k, f in module.function : k => f.function_arn }
}

output "access_log_group_name" {
  description = "Log group of the stage's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "function_role_arns" {
  description = "Execution role ARN per function key; known at plan time and waiting for the role (see the lambda_function module's function_role_arn)."
  value       = { for k, f in module.function : k => f.function_role_arn }
}
