# The acceptance composition with the mocked aws provider. The stack (module.sp_reports) is stood in for by
# override_module here: this test covers the composition's wiring and the emulator under the run's prefix; the
# stack's side of the test-only inputs is proven by terraform/tests/test_inputs.tftest.hcl, the whole
# composition planned by tests/terraform/test_acceptance_composition.py, and applied by `make acceptance`. Run by scripts/terraform_checks.py, which writes the stand-in zips (.build/terraform-test-packages).

mock_provider "aws" {
  source          = "../tests/mocks"
  override_during = plan
}

override_module {
  target = module.sp_reports
  outputs = {
    data_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    function_names   = { report_creator = "spacc-0123abcd-report-creator" }
    queue_arn        = "arn:aws:sqs:us-east-1:123456789012:spacc-0123abcd-notifications"
    # The Athena query of the assertions (deployed_stack/test_analytics_query.py) names both.
    analytics_database_name = "spacc_0123abcd_reports"
    athena_workgroup_name   = "spacc-0123abcd-analytics"
  }
}

override_resource {
  target          = module.spapi_emulator[0].aws_lambda_function_url.this
  override_during = plan
  values = {
    function_url = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/"
  }
}

variables {
  region             = "us-east-1"
  name_prefix        = "spacc-0123abcd"
  lambda_package_dir = "../../.build/terraform-test-packages"
  # An account with no API Gateway CloudWatch role yet: the run sets its own.
  account_cloudwatch_role_arn = ""
  permissions_boundary_arn    = "arn:aws:iam::123456789012:policy/sp-reports-acceptance-boundary"
}

run "the_emulator_serves_the_runs_stack" {
  command = plan

  assert {
    condition     = output.spapi_emulator_function_name == "spacc-0123abcd-spapi-emulator" && output.spapi_emulator_state_bucket_name == "spacc-0123abcd-spapi-emu-123456789012-us-east-1"
    error_message = "The emulator must carry the run's prefix (its role may send to <prefix>-* queues only)."
  }

  assert {
    condition     = output.spapi_emulator_function_url == "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/"
    error_message = "The emulator's URL must be an output."
  }

  # SP-API paths are appended to the endpoint, and the emulator serves LWA at /auth/o2/token.
  assert {
    condition     = local.emulator_base_url == "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
    error_message = "The SP-API endpoint must be the function URL without its trailing slash."
  }
}

run "the_stacks_outputs_pass_through" {
  command = plan

  assert {
    condition     = output.function_names == { report_creator = "spacc-0123abcd-report-creator" } && output.queue_arn == "arn:aws:sqs:us-east-1:123456789012:spacc-0123abcd-notifications" && output.data_kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The root's outputs must pass through unchanged: the acceptance assertions read them."
  }

  assert {
    condition     = output.analytics_database_name == "spacc_0123abcd_reports" && output.athena_workgroup_name == "spacc-0123abcd-analytics"
    error_message = "The analytics database and workgroup must pass through: the assertions query the curated tables with them."
  }
}

run "a_bad_prefix_is_rejected" {
  command = plan

  variables {
    name_prefix = "Not_A_Prefix"
  }

  expect_failures = [var.name_prefix]
}

run "without_the_emulator_the_stack_calls_real_spapi_with_the_test_inputs_off" {
  command = plan

  variables {
    spapi_emulator = false
  }

  assert {
    condition     = length(module.spapi_emulator) == 0 && output.spapi_emulator_function_url == null && output.spapi_emulator_role_arn == null
    error_message = "Without the emulator nothing of it may be deployed."
  }

  assert {
    condition     = local.emulator_base_url == null
    error_message = "Without the emulator the stack keeps the root's SP-API and LWA endpoints (null: the defaults)."
  }
}

run "without_the_emulator_a_stand_in_of_spapi_may_be_named" {
  command = plan

  variables {
    spapi_emulator     = false
    spapi_endpoint_url = "http://127.0.0.1:8123"
    lwa_endpoint_url   = "http://127.0.0.1:8123/auth/o2/token"
  }

  assert {
    condition     = length(module.spapi_emulator) == 0
    error_message = "A stand-in of SP-API replaces only the endpoints: still no emulator."
  }
}

run "endpoints_are_refused_beside_the_emulator" {
  command = plan

  variables {
    spapi_endpoint_url = "http://127.0.0.1:8123"
    lwa_endpoint_url   = "http://127.0.0.1:8123/auth/o2/token"
  }

  expect_failures = [var.spapi_endpoint_url, var.lwa_endpoint_url]
}

run "an_account_without_a_cloudwatch_role_gets_the_runs_own" {
  command = plan

  assert {
    condition     = length(module.account_settings) == 1 && output.account_settings_role_arn == "arn:aws:iam::123456789012:role/mock-role"
    error_message = "Where the account has no API Gateway CloudWatch role, the run must set its own (modules/account_settings)."
  }
}

run "a_role_already_set_is_left_alone" {
  command = plan

  variables {
    account_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/landing-zone/ApiGatewayCloudWatchLogs"
  }

  assert {
    condition     = length(module.account_settings) == 0 && output.account_settings_role_arn == null
    error_message = "A role already set must be left alone: the run makes no account settings of its own."
  }
}

run "the_account_setting_must_be_read_first" {
  command = plan

  variables {
    account_cloudwatch_role_arn = "None"
  }

  expect_failures = [var.account_cloudwatch_role_arn]
}

