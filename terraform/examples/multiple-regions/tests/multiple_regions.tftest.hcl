# Two stacks with the same name_prefix in two regions, through a provider alias, planned with mocked
# providers that report their own regions. tests/terraform/test_examples.py checks every name for collisions.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "secondary"
  source          = "../../tests/mocks"
  override_during = plan

  mock_data "aws_region" {
    defaults = {
      id   = "eu-west-1"
      name = "eu-west-1"
    }
  }
}

variables {
  lambda_package_dir = "../../../.build/terraform-test-packages"

  primary_api_gateway_cloudwatch_role_arn   = "arn:aws:iam::123456789012:role/landing-zone/apigateway-cloudwatch-logs-us-east-1"
  secondary_api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/landing-zone/apigateway-cloudwatch-logs-eu-west-1"
}

run "the_second_stack_takes_its_region_from_its_provider" {
  command = plan

  assert {
    condition     = endswith(module.secondary.reports_bucket_name, "-eu-west-1") && endswith(module.primary.reports_bucket_name, "-us-east-1")
    error_message = "Each stack's bucket must be named after the region of the provider it was given."
  }
}
