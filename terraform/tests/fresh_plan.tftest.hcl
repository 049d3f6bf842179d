# A fresh stack's plan, as AWS gives it: the mocked values come at apply (no override_during = plan), so every
# ARN is unknown while planning, as on a first deployment. Nothing whose count or for_each decides how many
# resources exist may wait for them (e.g. whether a function's role gets its statements).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix        = "acme-test"
  lambda_package_dir = "../.build/terraform-test-packages"
  # The account's API Gateway CloudWatch role, as an estate passes it (api_gateway_account.tf's check).
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
}

run "a_first_deployment_plans_with_every_arn_unknown" {
  command = plan

  assert {
    condition     = length(output.function_names) == 12
    error_message = "Every function must be planned before any ARN is known."
  }
}
