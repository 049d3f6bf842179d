# Optional Lambda code signing with the mocked aws provider: no code signing configuration by default, the one
# given reaches every function of the stack, and anything but a code signing configuration ARN is refused.
# Nested modules' resources are out of a root test's reach: tests/terraform/test_code_signing.py checks every
# aws_lambda_function in the plan.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name_prefix        = "acme-test"
  lambda_package_dir = "../.build/terraform-test-packages"
  # The account's API Gateway CloudWatch role, as an estate passes it (api_gateway_account.tf's check).
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
}

run "by_default_no_function_has_a_code_signing_configuration" {
  command = plan

  assert {
    condition     = length(local.function_settings) == 12 && alltrue([for settings in values(local.function_settings) : settings.code_signing_config_arn == null])
    error_message = "Without lambda_code_signing_config_arn no function may name a code signing configuration."
  }
}

run "the_code_signing_configuration_reaches_every_function" {
  command = plan

  variables {
    lambda_code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f67890"
  }

  assert {
    condition = length(local.function_settings) == 12 && alltrue([
      for settings in values(local.function_settings) : settings.code_signing_config_arn == var.lambda_code_signing_config_arn
    ])
    error_message = "Every function of the stack must be given lambda_code_signing_config_arn."
  }
}

run "a_signing_profile_arn_is_refused" {
  command = plan

  variables {
    lambda_code_signing_config_arn = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/sp_reports_release"
  }

  expect_failures = [var.lambda_code_signing_config_arn]
}

run "a_code_signing_config_id_without_its_arn_is_refused" {
  command = plan

  variables {
    lambda_code_signing_config_arn = "csc-0a1b2c3d4e5f67890"
  }

  expect_failures = [var.lambda_code_signing_config_arn]
}

run "a_malformed_code_signing_config_arn_is_refused" {
  command = plan

  variables {
    lambda_code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-short"
  }

  expect_failures = [var.lambda_code_signing_config_arn]
}
