# The test-only inputs (variables.tf: test_notification_sender_role_arns, test_spapi_emulator_function_arn,
# test_endpoint_overrides with spapi_endpoint_url and lwa_endpoint_url) with the mocked aws provider (account
# 123456789012): off by default, what they open when set, and the refusals of anything but this account's
# roles and functions, and of endpoint overrides outside a test deployment. Run by
# scripts/terraform_checks.py.

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

run "by_default_nothing_is_opened_to_an_emulator_or_a_test_sender" {
  command = plan

  assert {
    condition     = alltrue([for f, environment in local.function_environment : !contains(keys(environment), "SPAPI_ENDPOINT_AUTH")]) && alltrue([for f, settings in local.function_settings : !contains(keys(settings.environment_variables), "SPAPI_ENDPOINT_AUTH")])
    error_message = "Without test_spapi_emulator_function_arn no function may get SPAPI_ENDPOINT_AUTH."
  }

  assert {
    condition     = alltrue(flatten([for f, statements in local.function_policy_statements : [for s in statements : !contains(["TestOnlyCallTheSpApiEmulatorUrl", "TestOnlyInvokeTheSpApiEmulator"], s.Sid) && !startswith(jsonencode(s.Action), "\"lambda:")]]))
    error_message = "Without test_spapi_emulator_function_arn no function may invoke any Lambda function or URL."
  }

  assert {
    condition     = [for s in jsondecode(module.queue.queue_policy).Statement : s.Sid] == ["SpApiSendsNotifications", "DenyRequestsWithoutTls"]
    error_message = "Without test_notification_sender_role_arns the queue policy admits SP-API's account only."
  }
}

run "the_emulator_input_opens_its_url_to_every_spapi_caller_and_no_other_function" {
  command = plan

  variables {
    test_spapi_emulator_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-test-spapi-emulator"
  }

  # The functions that call SP-API, LWA or the Tokens API, by name: a function added to them must be added here.
  assert {
    condition     = toset(local.spapi_callers) == toset(["token_storage", "notifications_subscriber", "report_creator", "report_storer", "report_sweeper", "seller_eraser", "pull_planner"])
    error_message = "The SP-API callers must be the functions that read the LWA credentials."
  }

  assert {
    condition     = alltrue([for f in local.spapi_callers : local.function_settings[f].environment_variables["SPAPI_ENDPOINT_AUTH"] == "aws_iam"])
    error_message = "Every SP-API caller must sign its calls to the emulator (SPAPI_ENDPOINT_AUTH = aws_iam)."
  }

  assert {
    condition = alltrue([
      for f in local.spapi_callers : length([
        for s in local.function_policy_statements[f] : s
        if s.Action == "lambda:InvokeFunctionUrl" && s.Resource == "arn:aws:lambda:us-east-1:123456789012:function:acme-test-spapi-emulator" && try(s.Condition.StringEquals["lambda:FunctionUrlAuthType"], null) == "AWS_IAM"
        ]) == 1 && length([
        for s in local.function_policy_statements[f] : s
        if s.Action == "lambda:InvokeFunction" && s.Resource == "arn:aws:lambda:us-east-1:123456789012:function:acme-test-spapi-emulator"
      ]) == 1
    ])
    error_message = "Every SP-API caller needs both lambda:InvokeFunctionUrl (AWS_IAM) and lambda:InvokeFunction on the emulator."
  }

  assert {
    condition     = alltrue([for f, statements in local.function_policy_statements : statements[length(statements) - 1].Sid == "UseDataKeyOnlyThroughItsServices"])
    error_message = "The data key statement stays every function's last."
  }

  assert {
    condition = alltrue([
      for f, statements in local.function_policy_statements : contains(local.spapi_callers, f) || (
        !contains(keys(local.function_settings[f].environment_variables), "SPAPI_ENDPOINT_AUTH") && alltrue([for s in statements : !startswith(jsonencode(s.Action), "\"lambda:")])
      )
    ])
    error_message = "Functions that do not call SP-API must get neither the variable nor the permissions."
  }
}

run "a_role_of_this_account_may_send_to_the_queue" {
  command = plan

  variables {
    test_notification_sender_role_arns = ["arn:aws:iam::123456789012:role/acme-test-spapi-emulator"]
  }

  assert {
    condition = one([
      for s in jsondecode(module.queue.queue_policy).Statement : s
      if s.Sid == "TestSendersSendNotifications"
      ]).Principal.AWS == ["arn:aws:iam::123456789012:role/acme-test-spapi-emulator"] && one([
      for s in jsondecode(module.queue.queue_policy).Statement : s.Action if s.Sid == "TestSendersSendNotifications"
    ]) == "sqs:SendMessage"
    error_message = "The named role must be allowed sqs:SendMessage on the queue, and nothing more."
  }
}

run "a_sender_that_is_not_a_role_is_rejected" {
  command = plan

  variables {
    test_notification_sender_role_arns = ["arn:aws:iam::123456789012:user/someone"]
  }

  expect_failures = [var.test_notification_sender_role_arns]
}

run "a_sender_wildcard_is_rejected" {
  command = plan

  variables {
    test_notification_sender_role_arns = ["*"]
  }

  expect_failures = [var.test_notification_sender_role_arns]
}

run "a_sender_role_of_another_account_is_rejected" {
  command = plan

  variables {
    test_notification_sender_role_arns = ["arn:aws:iam::210987654321:role/acme-test-spapi-emulator"]
  }

  expect_failures = [data.aws_caller_identity.current]
}

run "an_emulator_that_is_not_a_function_arn_is_rejected" {
  command = plan

  variables {
    test_spapi_emulator_function_arn = "https://abc.lambda-url.us-east-1.on.aws/"
  }

  expect_failures = [var.test_spapi_emulator_function_arn]
}

run "an_emulator_of_another_account_is_rejected" {
  command = plan

  variables {
    test_spapi_emulator_function_arn = "arn:aws:lambda:us-east-1:210987654321:function:acme-test-spapi-emulator"
  }

  expect_failures = [data.aws_caller_identity.current]
}

# Endpoint overrides: the functions send LWA credentials and refresh tokens to them, so a production stack
# (test_endpoint_overrides = false, the default) may name none, not even an https one.

run "by_default_every_function_calls_amazon_and_records_no_exception_object_in_traces" {
  command = plan

  assert {
    condition     = alltrue([for f, settings in local.function_settings : !contains(keys(settings.environment_variables), "SP_REPORTS_TEST_ENDPOINTS") && !contains(keys(settings.environment_variables), "SPAPI_ENDPOINT_URL") && !contains(keys(settings.environment_variables), "LWA_ENDPOINT_URL")])
    error_message = "Without test_endpoint_overrides no function may get endpoint overrides or the test flag."
  }

  assert {
    condition     = alltrue([for f, settings in local.function_settings : settings.environment_variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"])
    error_message = "Every function must keep exception objects out of X-Ray metadata (POWERTOOLS_TRACER_CAPTURE_ERROR = false)."
  }
}

run "an_spapi_endpoint_override_without_the_test_flag_is_refused" {
  command = plan

  variables {
    spapi_endpoint_url = "https://sellingpartnerapi.example.net"
  }

  expect_failures = [var.spapi_endpoint_url]
}

run "an_lwa_endpoint_override_without_the_test_flag_is_refused" {
  command = plan

  variables {
    lwa_endpoint_url = "https://lwa.example.net/auth/o2/token"
  }

  expect_failures = [var.lwa_endpoint_url]
}

run "an_http_override_without_the_test_flag_is_refused" {
  command = plan

  variables {
    spapi_endpoint_url = "http://127.0.0.1:8080"
    lwa_endpoint_url   = "http://127.0.0.1:8080/auth/o2/token"
  }

  expect_failures = [var.spapi_endpoint_url, var.lwa_endpoint_url]
}

run "the_test_flag_admits_https_and_http_overrides_and_tells_every_function" {
  command = plan

  variables {
    test_endpoint_overrides = true
    spapi_endpoint_url      = "https://abc.lambda-url.us-east-1.on.aws"
    lwa_endpoint_url        = "http://127.0.0.1:8080/auth/o2/token"
  }

  assert {
    condition     = alltrue([for f, settings in local.function_settings : settings.environment_variables["SP_REPORTS_TEST_ENDPOINTS"] == "true" && settings.environment_variables["SPAPI_ENDPOINT_URL"] == "https://abc.lambda-url.us-east-1.on.aws" && settings.environment_variables["LWA_ENDPOINT_URL"] == "http://127.0.0.1:8080/auth/o2/token"])
    error_message = "With test_endpoint_overrides every function gets the overrides and the test flag."
  }
}

run "the_test_flag_alone_overrides_nothing" {
  command = plan

  variables {
    test_endpoint_overrides = true
  }

  assert {
    condition     = alltrue([for f, settings in local.function_settings : !contains(keys(settings.environment_variables), "SPAPI_ENDPOINT_URL") && !contains(keys(settings.environment_variables), "LWA_ENDPOINT_URL")])
    error_message = "test_endpoint_overrides alone must not point the functions anywhere."
  }
}

run "an_override_that_is_not_a_plain_http_url_is_refused_even_in_a_test_deployment" {
  command = plan

  variables {
    test_endpoint_overrides = true
    spapi_endpoint_url      = "ftp://127.0.0.1:8080"
    lwa_endpoint_url        = "https://user:secret@lwa.example.net/auth/o2/token"
  }

  expect_failures = [var.spapi_endpoint_url, var.lwa_endpoint_url]
}

run "an_override_with_a_query_is_refused_even_in_a_test_deployment" {
  command = plan

  variables {
    test_endpoint_overrides = true
    spapi_endpoint_url      = "https://127.0.0.1:8080/?x=1"
  }

  expect_failures = [var.spapi_endpoint_url]
}
