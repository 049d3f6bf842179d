# The account's API Gateway CloudWatch role is account-wide (one setting per account and region, shared by every
# REST API there), so this module never sets it; the stage's access logs need it all the same: "CloudWatch Logs
# role ARN must be set in account settings to enable logging" (API Gateway Developer Guide, "Set up CloudWatch
# logging for REST APIs in API Gateway", "Permissions for CloudWatch logging":
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html). No data source of the AWS
# provider reads the setting, so the plan cannot look for itself: the caller says it is there by passing the
# role's ARN, and until then every plan carries this warning with what to do.

check "api_gateway_account_has_a_cloudwatch_role" {
  assert {
    condition     = var.api_gateway_cloudwatch_role_arn != null
    error_message = "The API stage's access logs need this account's API Gateway CloudWatch role in ${data.aws_region.current.id}; AWS refuses the stage without it (\"CloudWatch Logs role ARN must be set in account settings to enable logging\"). Check with: aws apigateway get-account --region ${data.aws_region.current.id} --query cloudwatchRoleArn. If it names a role, pass that ARN as api_gateway_cloudwatch_role_arn. If it is empty, apply modules/account_settings once for this account and region (or set the account setting yourself) and pass its role's ARN (module.<name>.cloudwatch_role_arn) as api_gateway_cloudwatch_role_arn."
  }
}
