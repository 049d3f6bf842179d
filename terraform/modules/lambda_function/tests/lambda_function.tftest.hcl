# The shared function module with the mocked aws provider: encrypted log group with retention, tracing,
# encrypted environment, the runtime policy, and package validation.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  function_name      = "acme-test-report-storer"
  handler            = "handlers.report_storer.handler"
  create_role        = false
  role_arn           = "arn:aws:iam::123456789012:role/service/acme-test-report-storer"
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  log_retention_days = 30
  environment_variables = {
    LOG_LEVEL = "INFO"
  }
  package = {
    s3_bucket     = "acme-test-artifacts"
    s3_key        = "lambda/report_storer/0000.zip"
    source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }
}

run "logs_are_encrypted_retained_and_exist_before_the_function" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/acme-test-report-storer"
    error_message = "The log group must be the one Lambda writes to."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "The log group must be KMS-encrypted with the configured retention."
  }
}

run "function_is_traced_with_encrypted_environment_and_declared_runtime" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active."
  }

  assert {
    condition     = aws_lambda_function.this.kms_key_arn == var.kms_key_arn
    error_message = "Environment variables must be encrypted with the customer-managed key."
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "python3.13" && aws_lambda_function.this.architectures[0] == "x86_64"
    error_message = "Runtime and architecture must default to python3.13 on x86_64 (what the zips are built for)."
  }

  assert {
    condition     = aws_lambda_function.this.s3_key == "lambda/report_storer/0000.zip" && aws_lambda_function.this.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    error_message = "The code must come from the given S3 object, tracked by its hash."
  }
}

run "runtime_policy_covers_only_its_log_group_and_xray" {
  command = plan

  assert {
    condition     = aws_iam_role_policy.runtime.role == "acme-test-report-storer"
    error_message = "The policy must attach to the role named by the role ARN (path stripped)."
  }

  assert {
    condition = toset([
      for s in jsondecode(aws_iam_role_policy.runtime.policy).Statement : s.Sid if s.Resource == "*"
    ]) == toset(["SendTraces"])
    error_message = "Only X-Ray (no resource-level permissions) may use Resource \"*\"."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.runtime.policy).Statement : s.Resource if s.Sid == "WriteOwnLogGroup"
    ]) == "${aws_cloudwatch_log_group.this.arn}:*"
    error_message = "Log writes must be limited to the function's own log group."
  }
}

run "a_dead_letter_queue_gets_its_send_permission" {
  command = plan

  variables {
    dead_letter_target_arn = "arn:aws:sqs:us-east-1:123456789012:acme-test-async-dlq"
  }

  assert {
    condition     = aws_lambda_function.this.dead_letter_config[0].target_arn == var.dead_letter_target_arn
    error_message = "The DLQ must be configured on the function."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.runtime.policy).Statement : s
      if s.Action == "sqs:SendMessage" && s.Resource == var.dead_letter_target_arn
    ]) == 1
    error_message = "The role must be allowed to send to the DLQ, and only to it."
  }
}

run "a_package_with_both_a_file_and_an_s3_object_is_rejected" {
  command = plan

  variables {
    package = {
      filename      = "build/report_storer.zip"
      s3_bucket     = "acme-test-artifacts"
      s3_key        = "lambda/report_storer/0000.zip"
      source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    }
  }

  expect_failures = [var.package]
}

run "a_hex_digest_instead_of_base64_is_rejected" {
  command = plan

  variables {
    package = {
      s3_bucket     = "acme-test-artifacts"
      s3_key        = "lambda/report_storer/0000.zip"
      source_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    }
  }

  expect_failures = [var.package]
}

run "a_non_python_runtime_is_rejected" {
  command = plan

  variables {
    runtime = "nodejs20.x"
  }

  expect_failures = [var.runtime]
}

run "an_unlisted_log_retention_is_rejected" {
  command = plan

  variables {
    log_retention_days = 42
  }

  expect_failures = [var.log_retention_days]
}

run "a_created_role_is_assumed_by_lambda_of_this_account_and_holds_the_given_statements" {
  command = plan

  variables {
    create_role = true
    role_arn    = null
    policy_statements = [{
      Sid      = "ReadReportRecords"
      Effect   = "Allow"
      Action   = "dynamodb:GetItem"
      Resource = "arn:aws:dynamodb:us-east-1:123456789012:table/acme-test-reports"
    }]
  }

  assert {
    condition     = aws_iam_role.this[0].name == "acme-test-report-storer" && aws_iam_role_policy.this[0].name == "acme-test-report-storer-access"
    error_message = "The role is named after the function and its policy after the role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012" && jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "Only Lambda, on behalf of this account, may assume the role."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this[0].policy).Statement == var.policy_statements
    error_message = "The role's access policy must hold exactly the given statements."
  }

  assert {
    condition     = aws_iam_role_policy.runtime.role == "acme-test-report-storer"
    error_message = "The runtime policy must attach to the created role."
  }
}

run "no_role_and_no_role_arn_is_rejected" {
  command = plan

  variables {
    create_role = false
    role_arn    = null
  }

  expect_failures = [var.role_arn]
}
