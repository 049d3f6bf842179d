# The SP-API emulator module with the mocked aws provider (account 123456789012, us-east-1): the function and its
# AWS_IAM URL, the test bucket's protections, and the role's permissions, each on its own resources. Run by
# scripts/terraform_checks.py, which writes the stand-in zip (.build/terraform-test-packages).

mock_provider "aws" {
  source          = "../../../tests/mocks"
  override_during = plan
}

override_resource {
  target          = aws_s3_bucket.state
  override_during = plan
  values = {
    arn = "arn:aws:s3:::acme-test-spapi-emu-123456789012-us-east-1"
  }
}

override_resource {
  target          = aws_lambda_function_url.this
  override_during = plan
  values = {
    function_url = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/"
  }
}

variables {
  name_prefix        = "acme-test"
  lambda_package_dir = "../../../../.build/terraform-test-packages"
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "the_function_runs_the_emulator_behind_an_aws_iam_url" {
  command = plan

  assert {
    condition     = module.function.function_name == "acme-test-spapi-emulator"
    error_message = "The emulator function must be <prefix>-spapi-emulator."
  }

  assert {
    condition     = aws_lambda_function_url.this.authorization_type == "AWS_IAM" && aws_lambda_function_url.this.function_name == "acme-test-spapi-emulator"
    error_message = "The emulator's URL must require AWS_IAM auth: anyone could call it otherwise."
  }

  assert {
    condition     = output.function_url == "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/" && output.state_bucket_name == "acme-test-spapi-emu-123456789012-us-east-1"
    error_message = "The outputs must pass the URL and the bucket name through."
  }
}

run "the_bucket_is_test_infrastructure_yet_private_and_encrypted" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.force_destroy
    error_message = "The emulator's bucket must be emptied on destroy: acceptance leaves nothing behind."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy && aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets
    error_message = "Public access must be blocked."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "AES256"
    error_message = "The bucket must be encrypted."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.state.rule).expiration[0].days == 1
    error_message = "Objects must expire after a day."
  }

  assert {
    condition     = jsondecode(aws_s3_bucket_policy.state.policy).Statement[0].Effect == "Deny" && jsondecode(aws_s3_bucket_policy.state.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "The bucket policy must deny requests without TLS."
  }
}

run "the_role_may_do_what_the_emulator_does_and_no_more" {
  command = plan

  assert {
    condition = [for s in local.policy_statements : s.Sid] == [
      "KeepStateAndDocuments", "ListStateAndDocuments", "AdvanceReportsByInvokingItself", "DeliverNotificationsToTheStacksQueues", "EncryptNotificationsThroughSqs",
    ]
    error_message = "The emulator's statements changed: review them."
  }

  assert {
    condition     = local.policy_statements[0].Resource == "arn:aws:s3:::acme-test-spapi-emu-123456789012-us-east-1/*" && local.policy_statements[1].Resource == "arn:aws:s3:::acme-test-spapi-emu-123456789012-us-east-1"
    error_message = "S3 permissions must be on the emulator's bucket only."
  }

  assert {
    condition     = local.policy_statements[2].Action == "lambda:InvokeFunction" && local.policy_statements[2].Resource == "arn:aws:lambda:us-east-1:123456789012:function:acme-test-spapi-emulator"
    error_message = "The emulator may invoke itself and no other function."
  }

  assert {
    condition     = local.policy_statements[3].Resource == "arn:aws:sqs:us-east-1:123456789012:acme-test-*" && !contains(local.policy_statements[3].Action, "sqs:ReceiveMessage")
    error_message = "The emulator may send to its stack's queues only."
  }

  assert {
    condition     = local.policy_statements[4].Resource == var.kms_key_arn && local.policy_statements[4].Condition.StringEquals["kms:ViaService"] == "sqs.us-east-1.amazonaws.com" && toset(local.policy_statements[4].Action) == toset(["kms:GenerateDataKey", "kms:Decrypt"])
    error_message = "The emulator may use the stack's key through SQS only."
  }

  assert {
    condition     = module.function.function_role_arn == output.role_arn
    error_message = "role_arn must be the emulator's execution role."
  }
}

run "the_state_bucket_variable_cannot_be_overridden" {
  command = plan

  variables {
    environment_variables = { SPAPI_EMULATOR_STATE_BUCKET = "someone-elses-bucket" }
  }

  expect_failures = [var.environment_variables]
}
