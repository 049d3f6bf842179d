mock_provider "aws" {
  source          = "/work/wt-onboard/terraform/tests/mocks"
  override_during = plan
}

variables {
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  api_reports_throttling_burst_limit = 3
  api_reports_throttling_rate_limit = 0.25
  api_throttling_burst_limit = 16
  api_throttling_rate_limit = 8
  lambda_package_dir = "/work/wt-onboard/.build/terraform-test-packages"
  name_prefix = "wiring-test"
}

run "plan" {
  command = plan
}
