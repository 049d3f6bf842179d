mock_provider "aws" {
  source          = "/work/wt-onboard/terraform/tests/mocks"
  override_during = plan
}

variables {
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  kms_key_administrator_arns = ["arn:aws:iam::123456789012:role/break-glass"]
  lambda_package_dir = "/work/wt-onboard/.build/terraform-test-packages"
  name_prefix = "compliance-test"
}

run "plan" {
  command = plan
}
