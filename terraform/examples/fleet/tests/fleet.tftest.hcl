# The fleet planned with the mocked aws provider: two stacks from one module call with for_each, in one
# account and region. tests/terraform/test_examples.py checks every name of every example for collisions.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  lambda_package_dir = "../../../.build/terraform-test-packages"

  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/landing-zone/apigateway-cloudwatch-logs"
}

run "each_stack_of_the_fleet_has_its_own_names" {
  command = plan

  assert {
    condition     = length(module.sp_reports) == 2
    error_message = "The fleet must plan one stack per entry of var.stacks."
  }

  assert {
    condition     = module.sp_reports["sp-reports-retail"].reports_bucket_name != module.sp_reports["sp-reports-brands"].reports_bucket_name
    error_message = "Two stacks of one account must not share a bucket name."
  }

  assert {
    condition     = length(setintersection(values(module.sp_reports["sp-reports-retail"].function_names), values(module.sp_reports["sp-reports-brands"].function_names))) == 0
    error_message = "Two stacks of one region must not share a function name."
  }
}

run "a_prefix_that_extends_another_is_refused" {
  command = plan

  variables {
    stacks = {
      "acme"    = {}
      "acme-eu" = {}
    }
  }

  expect_failures = [var.stacks]
}
