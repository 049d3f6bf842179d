# The denial-of-wallet limits' root inputs with the mocked aws provider: POST /reports' own throttle within the
# stage-wide one (modules/api/tests checks the method settings; tests/terraform/test_root_wiring.py the whole
# plan), and each seller's daily report budget reaching the report creator (docs/security.md, Limits).
# Run by scripts/terraform_checks.py, which builds the stand-in zips this test hashes.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name_prefix                     = "acme-test"
  lambda_package_dir              = "../.build/terraform-test-packages"
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
}

run "a_reports_throttle_above_the_stages_is_rejected" {
  command = plan

  variables {
    api_throttling_rate_limit         = 10
    api_reports_throttling_rate_limit = 11
  }

  expect_failures = [var.api_reports_throttling_rate_limit]
}

run "a_reports_burst_above_the_stages_is_rejected" {
  command = plan

  variables {
    api_throttling_burst_limit         = 20
    api_reports_throttling_burst_limit = 21
  }

  expect_failures = [var.api_reports_throttling_burst_limit]
}

run "the_seller_daily_report_budget_reaches_the_report_creator" {
  command = plan

  variables {
    seller_daily_report_budget = 37
  }

  assert {
    condition     = local.function_environment["report_creator"]["SELLER_DAILY_REPORT_BUDGET"] == "37"
    error_message = "The report creator must get seller_daily_report_budget as SELLER_DAILY_REPORT_BUDGET."
  }

  assert {
    condition     = alltrue([for f, environment in local.function_environment : f == "report_creator" || !contains(keys(environment), "SELLER_DAILY_REPORT_BUDGET")])
    error_message = "Only the report creator spends the budget."
  }
}

run "a_budget_below_one_is_rejected" {
  command = plan

  variables {
    seller_daily_report_budget = 0
  }

  expect_failures = [var.seller_daily_report_budget]
}

run "a_fractional_budget_is_rejected" {
  command = plan

  variables {
    seller_daily_report_budget = 2.5
  }

  expect_failures = [var.seller_daily_report_budget]
}
