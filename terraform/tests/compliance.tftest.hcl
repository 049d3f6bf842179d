# The compliance inputs of the root (variables.tf, end: WAF web ACL, API execution logging, S3 access logs,
# DynamoDB point-in-time recovery, KMS key administrators and deletion window, brought keys) with the mocked aws
# provider: what the root itself shows (its resources, locals and outputs), the defaults, and the refusal of bad
# values at plan. Assertions here see module outputs, not module resources: what each input does to a resource
# inside a module is asserted on the same mocked plan by tests/terraform/test_compliance_inputs.py, and in the
# module's own tests. Run by scripts/terraform_checks.py.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# Distinct ARNs for the two keys, so wiring one where the other belongs fails.
override_resource {
  target          = module.security.aws_kms_key.tokens
  override_during = plan
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    key_id = "99999999-8888-7777-6666-555555555555"
  }
}

variables {
  # The account's API Gateway CloudWatch role (account-wide, the estate's): without it the plan's check fails.
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  name_prefix                     = "acme-test"
  lambda_package_dir              = "../.build/terraform-test-packages"

  # Fixtures: a web ACL, an estate's keys and administrators of the mocked account (123456789012, us-east-1).
  fixture_web_acl_arn    = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/estate-api/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
  fixture_data_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
  fixture_tokens_key_arn = "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
}

run "by_default_no_access_logs_and_our_own_keys" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_logging.artifacts) == 0
    error_message = "The artifacts bucket logs nothing unless s3_access_log_bucket is given."
  }

  assert {
    condition     = output.data_kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" && output.tokens_kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    error_message = "By default the stack's keys are the ones it creates."
  }
}

run "a_regional_web_acl_of_the_stacks_region_is_accepted" {
  command = plan

  variables {
    api_waf_web_acl_arn = var.fixture_web_acl_arn
  }

  assert {
    condition     = output.api_base_url == "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod"
    error_message = "The stage must still be planned with a web ACL."
  }
}

run "a_cloudfront_web_acl_is_refused" {
  command = plan

  variables {
    api_waf_web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/estate-cdn/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
  }

  expect_failures = [var.api_waf_web_acl_arn]
}

run "a_web_acl_of_another_region_is_refused" {
  command = plan

  variables {
    api_waf_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/estate-api/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
  }

  expect_failures = [var.api_waf_web_acl_arn]
}

run "an_execution_logging_level_api_gateway_does_not_know_is_refused" {
  command = plan

  variables {
    api_execution_logging_level = "DEBUG"
  }

  expect_failures = [var.api_execution_logging_level]
}

run "the_artifacts_bucket_logs_to_the_estates_bucket_under_its_own_name" {
  command = plan

  variables {
    s3_access_log_bucket = "estate-s3-access-logs"
    s3_access_log_prefix = "s3-access/"
  }

  assert {
    condition     = aws_s3_bucket_logging.artifacts[0].target_bucket == "estate-s3-access-logs" && aws_s3_bucket_logging.artifacts[0].target_prefix == "s3-access/${output.artifacts_bucket_name}/"
    error_message = "The artifacts bucket must log to s3_access_log_bucket under <prefix><bucket name>/."
  }
}

run "a_log_bucket_arn_is_refused" {
  command = plan

  variables {
    s3_access_log_bucket = "arn:aws:s3:::estate-s3-access-logs"
  }

  expect_failures = [var.s3_access_log_bucket]
}

run "a_log_prefix_without_a_trailing_slash_is_refused" {
  command = plan

  variables {
    s3_access_log_bucket = "estate-s3-access-logs"
    s3_access_log_prefix = "s3-access"
  }

  expect_failures = [var.s3_access_log_prefix]
}

run "an_administrator_that_is_a_session_is_refused" {
  command = plan

  variables {
    kms_key_administrator_arns = ["arn:aws:sts::123456789012:assumed-role/admin/session"]
  }

  expect_failures = [var.kms_key_administrator_arns]
}

run "a_deletion_window_kms_does_not_accept_is_refused" {
  command = plan

  variables {
    kms_deletion_window_days = 31
  }

  expect_failures = [var.kms_deletion_window_days]
}

run "brought_keys_are_the_stacks_keys" {
  command = plan

  variables {
    existing_data_kms_key_arn   = var.fixture_data_key_arn
    existing_tokens_kms_key_arn = var.fixture_tokens_key_arn
  }

  assert {
    condition     = output.data_kms_key_arn == var.fixture_data_key_arn && output.tokens_kms_key_arn == var.fixture_tokens_key_arn
    error_message = "The brought keys must be the stack's keys."
  }

  assert {
    condition = alltrue(concat(
      [for o in aws_s3_object.lambda : o.kms_key_id == var.fixture_data_key_arn],
      [one(one(aws_s3_bucket_server_side_encryption_configuration.artifacts[0].rule).apply_server_side_encryption_by_default).kms_master_key_id == var.fixture_data_key_arn],
    ))
    error_message = "The artifacts bucket and the zips must be encrypted with the brought data key."
  }

  assert {
    condition     = alltrue([for f, statements in local.function_policy_statements : statements[length(statements) - 1].Resource == var.fixture_data_key_arn])
    error_message = "Every function's data-key statement must name the brought data key."
  }

  assert {
    condition     = local.statements.encrypt_refresh_tokens.Resource == var.fixture_tokens_key_arn && local.statements.decrypt_refresh_tokens.Resource == var.fixture_tokens_key_arn && local.function_environment["token_storage"]["TOKENS_KMS_KEY_ID"] == var.fixture_tokens_key_arn
    error_message = "The token functions must use the brought tokens key."
  }

  assert {
    condition     = local.function_environment["report_storer"]["REPORTS_KMS_KEY_ID"] == var.fixture_data_key_arn
    error_message = "The report storer must upload with the brought data key (the one the bucket policy demands)."
  }

  # What the key owner adds, as JSON: the statements our own keys carry, minus their administration.
  assert {
    condition     = [for s in jsondecode(output.kms_key_policy_statements_required.data) : s.Sid] == ["IamPoliciesOfThisAccountGrantUseOfTheKey", "IamPoliciesOfThisAccountGrantUseToAwsServices", "CloudWatchLogsEncryptsThisStacksLogGroups", "SpApiSendsEncryptedNotificationsToTheQueue", "CloudWatchAlarmsPublishToTheEncryptedTopic"]
    error_message = "kms_key_policy_statements_required.data must list the data key's statements."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(output.kms_key_policy_statements_required.tokens) : s.Principal.AWS if s.Action == "kms:Decrypt"
    ])) == toset([for f in local.token_readers : local.function_role_arns[f]])
    error_message = "kms_key_policy_statements_required.tokens must let exactly the token readers decrypt."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(output.kms_key_policy_statements_required.tokens) : s.Principal.AWS if s.Action == "kms:Encrypt"
    ])) == toset([for f in local.token_writers : local.function_role_arns[f]])
    error_message = "kms_key_policy_statements_required.tokens must let exactly token storage encrypt."
  }
}

run "a_brought_key_named_by_an_alias_is_refused" {
  command = plan

  variables {
    existing_data_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:alias/estate-data"
  }

  expect_failures = [var.existing_data_kms_key_arn]
}

run "a_brought_key_of_another_region_is_refused" {
  command = plan

  variables {
    existing_tokens_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
  }

  expect_failures = [var.existing_tokens_kms_key_arn]
}

run "a_brought_key_of_another_partition_is_refused" {
  command = plan

  variables {
    existing_data_kms_key_arn = "arn:aws-us-gov:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
  }

  expect_failures = [var.existing_data_kms_key_arn]
}

run "one_brought_key_for_data_and_tokens_is_refused" {
  command = plan

  variables {
    existing_data_kms_key_arn   = var.fixture_data_key_arn
    existing_tokens_kms_key_arn = var.fixture_data_key_arn
  }

  expect_failures = [var.existing_tokens_kms_key_arn]
}
