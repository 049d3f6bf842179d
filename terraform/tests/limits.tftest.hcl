# The denial-of-wallet limits' root inputs with the mocked aws provider: POST /reports' own throttle within the
# stage-wide one (modules/api/tests checks the method settings; tests/terraform/test_root_wiring.py the whole
# plan), each seller's daily report budget reaching the report creator, and the largest document the storer
# takes on, derived from its timeout and memory (docs/security.md, Limits).
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

run "the_caller_daily_report_budget_reaches_the_report_creator" {
  command = plan

  variables {
    caller_daily_report_budget = 41
  }

  assert {
    condition     = local.function_environment["report_creator"]["CALLER_DAILY_REPORT_BUDGET"] == "41"
    error_message = "The report creator must get caller_daily_report_budget as CALLER_DAILY_REPORT_BUDGET."
  }

  assert {
    condition     = alltrue([for f, environment in local.function_environment : f == "report_creator" || !contains(keys(environment), "CALLER_DAILY_REPORT_BUDGET")])
    error_message = "Only the report creator spends the callers' budgets."
  }
}

run "a_caller_daily_report_budget_below_one_is_rejected" {
  command = plan

  variables {
    caller_daily_report_budget = 0
  }

  expect_failures = [var.caller_daily_report_budget]
}

run "the_seller_daily_report_budget_reaches_the_report_creator_and_the_plans_api" {
  command = plan

  variables {
    seller_daily_report_budget = 37
  }

  assert {
    condition     = local.function_environment["report_creator"]["SELLER_DAILY_REPORT_BUDGET"] == "37" && local.function_environment["plans_api"]["SELLER_DAILY_REPORT_BUDGET"] == "37"
    error_message = "The report creator and the plans API must get seller_daily_report_budget as SELLER_DAILY_REPORT_BUDGET."
  }

  assert {
    condition     = alltrue([for f, environment in local.function_environment : contains(["report_creator", "plans_api"], f) || !contains(keys(environment), "SELLER_DAILY_REPORT_BUDGET")])
    error_message = "Only the report creator spends the budget, and the plans API checks plans against it."
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

run "the_storer_takes_on_what_it_can_store_in_half_its_timeout_by_default" {
  command = plan

  assert {
    # 300 s x 512 MB: 300 / 2 x 512/1769 vCPU / 4.61 CPU s per GiB (docs/benchmarks.md) = 9.4 GiB;
    # sp_reports.pipeline.report_storage.DEFAULT_MAX_DOCUMENT_BYTES is the same number.
    condition     = local.function_environment["report_storer"]["MAX_DOCUMENT_BYTES"] == "10111889885"
    error_message = "The storer's default max_document_bytes must follow from its 300 s and 512 MB."
  }

  assert {
    condition     = alltrue([for f, environment in local.function_environment : f == "report_storer" || !contains(keys(environment), "MAX_DOCUMENT_BYTES")])
    error_message = "Only the storer stores documents."
  }
}

run "a_longer_storer_timeout_raises_the_derived_limit" {
  command = plan

  variables {
    lambda_timeouts = { report_storer = 600 }
  }

  assert {
    condition     = local.function_environment["report_storer"]["MAX_DOCUMENT_BYTES"] == "20223779770"
    error_message = "Twice the storer's timeout must take on twice the document."
  }
}

run "a_given_max_document_bytes_is_used_as_given" {
  command = plan

  variables {
    max_document_bytes = 1073741824
  }

  assert {
    condition     = local.function_environment["report_storer"]["MAX_DOCUMENT_BYTES"] == "1073741824"
    error_message = "max_document_bytes must reach the storer as MAX_DOCUMENT_BYTES."
  }
}

run "a_fractional_max_document_bytes_is_rejected" {
  command = plan

  variables {
    max_document_bytes = 1.5
  }

  expect_failures = [var.max_document_bytes]
}

run "a_max_document_bytes_below_one_is_rejected" {
  command = plan

  variables {
    max_document_bytes = 0
  }

  expect_failures = [var.max_document_bytes]
}
