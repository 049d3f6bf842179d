mock_provider "aws" {
  source          = "/work/wt-onboard/terraform/tests/mocks"
  override_during = plan
}

variables {
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  lambda_package_dir = "/work/wt-onboard/.build/terraform-test-packages"
}

run "plan" {
  command = plan
}
