# Security module with the mocked aws provider: key rotation, who may use the tokens key, least-privilege roles,
# the SP-API principal on the data key, and input validation.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

# Distinct ARNs for the two keys, so a statement on one cannot pass for the other.
override_resource {
  target          = aws_kms_key.tokens
  override_during = plan
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    key_id = "99999999-8888-7777-6666-555555555555"
  }
}

variables {
  name_prefix             = "acme-test"
  tokens_table_arn        = "arn:aws:dynamodb:us-east-1:123456789012:table/acme-test-tokens"
  reports_table_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/acme-test-reports"
  reports_bucket_arn      = "arn:aws:s3:::acme-test-reports"
  notifications_queue_arn = "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications"
  spapi_queue_arns        = ["arn:aws:sqs:us-east-1:123456789012:acme-test-notifications", "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications-dlq"]
  state_machine_arn       = "arn:aws:states:us-east-1:123456789012:stateMachine:acme-test-report-workflow"
  notifications_topic_arn = "arn:aws:sns:us-east-1:123456789012:acme-test-report-notifications"
  api_execution_arn       = "arn:aws:execute-api:us-east-1:123456789012:abc123defg"
}

run "both_keys_rotate_and_are_aliased_with_the_prefix" {
  command = plan

  assert {
    condition     = aws_kms_key.data.enable_key_rotation && aws_kms_key.tokens.enable_key_rotation
    error_message = "Both customer-managed keys must rotate."
  }

  assert {
    condition     = aws_kms_alias.data.name == "alias/acme-test-data" && aws_kms_alias.tokens.name == "alias/acme-test-tokens"
    error_message = "Key aliases must carry the prefix."
  }
}

run "only_token_storage_encrypts_and_only_token_readers_decrypt_with_the_tokens_key" {
  command = plan

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_kms_key.tokens.policy).Statement : s.Principal.AWS
      if contains(flatten([s.Action]), "kms:Encrypt")
    ])) == toset(["arn:aws:iam::123456789012:role/acme-test-token-storage"])
    error_message = "Only the token_storage role may kms:Encrypt with the tokens key."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_kms_key.tokens.policy).Statement : s.Principal.AWS
      if contains(flatten([s.Action]), "kms:Decrypt")
      ])) == toset([
      "arn:aws:iam::123456789012:role/acme-test-notifications-subscriber",
      "arn:aws:iam::123456789012:role/acme-test-report-creator",
      "arn:aws:iam::123456789012:role/acme-test-report-storer",
    ])
    error_message = "Only the token readers may kms:Decrypt with the tokens key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.tokens.policy).Statement : alltrue([
        for a in flatten([s.Action]) : !contains(["kms:*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:GenerateDataKey"], a)
      ])
    ])
    error_message = "Nobody may get wildcard, re-encrypt or data-key use of the tokens key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.tokens.policy).Statement :
      jsonencode(s.Condition["ForAllValues:StringEquals"]) == jsonencode({ "kms:EncryptionContextKeys" = ["SellerId"] })
      if contains(flatten([s.Action]), "kms:Encrypt") || contains(flatten([s.Action]), "kms:Decrypt")
    ])
    error_message = "Cryptographic use of the tokens key must require the SellerId encryption context."
  }
}

run "spapi_may_use_the_data_key_only_through_sqs" {
  command = plan

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.data.policy).Statement : s
      if try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
      && toset(flatten([s.Action])) == toset(["kms:GenerateDataKey", "kms:Decrypt"])
      && try(s.Condition.StringEquals["kms:ViaService"], "") == "sqs.us-east-1.amazonaws.com"
    ]) == 1
    error_message = "SP-API's account must get GenerateDataKey and Decrypt on the data key through SQS only."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.data.policy).Statement : s
      if try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
      && try(toset(s.Condition.StringEquals["kms:EncryptionContext:aws:sqs:arn"]), toset([])) == toset(var.spapi_queue_arns)
    ]) == 1
    error_message = "SP-API's use of the data key must be bound to our queues' ARNs (the SQS encryption context)."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.data.policy).Statement : can(s.Condition.StringEquals["kms:EncryptionContext:aws:sqs:arn"])
      if try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
    ])
    error_message = "No statement may let SP-API's account use the data key for any queue."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.data.policy).Statement : s
      if try(s.Principal.Service, "") == "logs.us-east-1.amazonaws.com"
      && alltrue([for arn in try(s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"], [""]) : strcontains(arn, "acme-test-")])
    ]) == 1
    error_message = "CloudWatch Logs may use the data key for this stack's log groups only."
  }
}

run "lambda_roles_grant_no_wildcards_and_only_their_own_resources" {
  command = plan

  assert {
    condition     = length(aws_iam_role.lambda) == 7 && alltrue([for r in aws_iam_role.lambda : startswith(r.name, "acme-test-")])
    error_message = "There must be one prefixed role per function."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : [
          for a in flatten([s.Action]) : !strcontains(a, "*")
        ]
      ]
    ]))
    error_message = "No Lambda role may be granted a wildcard action."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : [for r in flatten([s.Resource]) : r != "*"]
      ]
    ]))
    error_message = "No Lambda role policy may use Resource \"*\" (logs and X-Ray come from the lambda_function module)."
  }

  assert {
    condition = toset([
      for f, p in aws_iam_role_policy.lambda : f
      if anytrue([for s in jsondecode(p.policy).Statement : contains(flatten([s.Action]), "kms:Encrypt") && s.Resource == aws_kms_key.tokens.arn])
    ]) == toset(["token_storage"])
    error_message = "Only token_storage's role may encrypt with the tokens key."
  }

  assert {
    condition = toset([
      for f, p in aws_iam_role_policy.lambda : f
      if anytrue([for s in jsondecode(p.policy).Statement : contains(flatten([s.Action]), "kms:Decrypt") && s.Resource == aws_kms_key.tokens.arn])
    ]) == toset(["notifications_subscriber", "report_creator", "report_storer"])
    error_message = "Only the token readers' roles may decrypt with the tokens key."
  }

  assert {
    condition = toset([
      for f, p in aws_iam_role_policy.lambda : f
      if anytrue([for s in jsondecode(p.policy).Statement : contains(flatten([s.Action]), "states:StartExecution")])
    ]) == toset(["notifications_processor"])
    error_message = "Only the processor may start workflow executions."
  }

  assert {
    condition = toset(flatten([
      for f, p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : "${f} ${s.Resource}" if contains(flatten([s.Action]), "states:DescribeExecution")
      ]
    ])) == toset(["notifications_processor arn:aws:states:us-east-1:123456789012:execution:acme-test-report-workflow:*"])
    error_message = "Only the processor may describe executions, and only those of the report workflow."
  }

  assert {
    condition = toset([
      for f, p in aws_iam_role_policy.lambda : f
      if anytrue([for s in jsondecode(p.policy).Statement : contains(flatten([s.Action]), "s3:PutObject")])
    ]) == toset(["report_storer"])
    error_message = "Only report_storer may write report objects."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.lambda["report_notifier"].policy).Statement :
      s.Resource == "arn:aws:sns:us-east-1:123456789012:acme-test-report-notifications"
      if contains(flatten([s.Action]), "sns:Publish")
    ])
    error_message = "report_notifier may publish to its topic only."
  }

  assert {
    condition = toset(flatten([
      for f, p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : "${f} ${s.Resource}" if contains(flatten([s.Action]), "sns:ListSubscriptionsByTopic")
      ]
    ])) == toset(["report_notifier arn:aws:sns:us-east-1:123456789012:acme-test-report-notifications"])
    error_message = "Only report_notifier may list subscriptions, and only of its topic (to count confirmed recipients)."
  }

  assert {
    condition = alltrue([
      for r in aws_iam_role.lambda : jsondecode(r.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    ])
    error_message = "Only Lambda may assume the function roles."
  }
}

run "the_secret_is_encrypted_with_the_data_key_and_named_with_the_prefix" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.lwa.kms_key_id == aws_kms_key.data.arn
    error_message = "The LWA credentials secret must be encrypted with the data key."
  }

  assert {
    condition     = aws_secretsmanager_secret.lwa.name == "acme-test/lwa-app-credentials"
    error_message = "The secret name must carry the prefix."
  }

  assert {
    condition     = length(aws_secretsmanager_secret_version.lwa) == 0
    error_message = "Without lwa_client_id, the secret value is left to be set out of band."
  }
}

run "the_secret_value_is_written_when_credentials_are_given" {
  command = plan

  variables {
    lwa_client_id     = "amzn1.application-oa2-client.test"
    lwa_client_secret = "canary-client-secret"
  }

  assert {
    condition     = length(aws_secretsmanager_secret_version.lwa) == 1 && aws_secretsmanager_secret_version.lwa[0].secret_string_wo_version == 1
    error_message = "With credentials given, the secret value must be written (write-only)."
  }
}

run "the_invoke_role_may_call_only_the_api_methods" {
  command = plan

  assert {
    condition = toset(jsondecode(aws_iam_role_policy.api_invoke.policy).Statement[0].Resource) == toset([
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/POST/tokens",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/POST/notifications",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/POST/reports",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/reports/*",
    ])
    error_message = "The invoke role must be limited to the API's four methods."
  }

  assert {
    condition     = jsondecode(aws_iam_role.api_invoke.assume_role_policy).Statement[0].Principal.AWS == ["arn:aws:iam::123456789012:root"]
    error_message = "Without trusted principals, the account root is trusted (IAM policies decide)."
  }

  assert {
    condition     = length(aws_iam_user.api_invoke) == 0
    error_message = "No IAM user unless asked."
  }
}

run "the_quick_start_user_is_created_when_asked" {
  command = plan

  variables {
    create_api_invoke_user            = true
    api_invoke_trusted_principal_arns = ["arn:aws:iam::123456789012:role/ci"]
  }

  assert {
    condition     = aws_iam_user.api_invoke[0].name == "acme-test-api-invoke"
    error_message = "The optional user must be created with the prefix."
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role.api_invoke.assume_role_policy).Statement[0].Principal.AWS, "arn:aws:iam::123456789012:role/ci")
    error_message = "Given trusted principals must be trusted."
  }
}

run "a_wildcard_trusted_principal_is_rejected" {
  command = plan

  variables {
    api_invoke_trusted_principal_arns = ["*"]
  }

  expect_failures = [var.api_invoke_trusted_principal_arns]
}

run "a_table_arn_that_is_not_an_arn_is_rejected" {
  command = plan

  variables {
    tokens_table_arn = "acme-test-tokens"
  }

  expect_failures = [var.tokens_table_arn]
}

run "a_too_short_key_deletion_window_is_rejected" {
  command = plan

  variables {
    kms_deletion_window_days = 3
  }

  expect_failures = [var.kms_deletion_window_days]
}

run "a_wildcard_key_administrator_is_rejected" {
  command = plan

  variables {
    key_administrator_arns = ["*"]
  }

  expect_failures = [var.key_administrator_arns]
}

run "a_wildcard_spapi_queue_arn_is_rejected" {
  command = plan

  variables {
    spapi_queue_arns = ["arn:aws:sqs:us-east-1:123456789012:*"]
  }

  expect_failures = [var.spapi_queue_arns]
}
