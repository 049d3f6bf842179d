# Security module with the mocked aws provider: key rotation, who may use the tokens key, the link signer's
# trust, the SP-API principal on the data key, and input validation. The functions' own roles are the
# lambda_function module's; what each may do is checked on the root's plan (tests/terraform/test_function_roles.py).

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

# Distinct ARNs for the two keys, so a statement on one cannot pass for the other.
override_resource {
  target          = aws_kms_key.tokens[0]
  override_during = plan
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    key_id = "99999999-8888-7777-6666-555555555555"
  }
}

variables {
  name_prefix        = "acme-test"
  reports_bucket_arn = "arn:aws:s3:::acme-test-reports"
  spapi_queue_arns   = ["arn:aws:sqs:us-east-1:123456789012:acme-test-notifications", "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications-dlq"]
  # SP-API's documented sender account, which the root module passes (the module has no default).
  spapi_notifications_account_id = "437568002678"
  api_execution_arn              = "arn:aws:execute-api:us-east-1:123456789012:abc123defg"
  token_encrypter_role_arns      = ["arn:aws:iam::123456789012:role/acme-test-token-storage"]
  token_decrypter_role_arns = [
    "arn:aws:iam::123456789012:role/acme-test-notifications-subscriber",
    "arn:aws:iam::123456789012:role/acme-test-report-creator",
    "arn:aws:iam::123456789012:role/acme-test-report-storer",
  ]
  download_link_signer_trusted_role_arns = ["arn:aws:iam::123456789012:role/acme-test-report-status", "arn:aws:iam::123456789012:role/acme-test-report-notifier"]
}

run "both_keys_rotate_and_are_aliased_with_the_prefix" {
  command = plan

  assert {
    condition     = aws_kms_key.data[0].enable_key_rotation && aws_kms_key.tokens[0].enable_key_rotation
    error_message = "Both customer-managed keys must rotate."
  }

  assert {
    condition     = aws_kms_alias.data[0].name == "alias/acme-test-data" && aws_kms_alias.tokens[0].name == "alias/acme-test-tokens"
    error_message = "Key aliases must carry the prefix."
  }
}

run "only_token_storage_encrypts_and_only_token_readers_decrypt_with_the_tokens_key" {
  command = plan

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_kms_key_policy.tokens[0].policy).Statement : s.Principal.AWS
      if contains(flatten([s.Action]), "kms:Encrypt")
    ])) == toset(["arn:aws:iam::123456789012:role/acme-test-token-storage"])
    error_message = "Only the token_storage role may kms:Encrypt with the tokens key."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_kms_key_policy.tokens[0].policy).Statement : s.Principal.AWS
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
      for s in jsondecode(aws_kms_key_policy.tokens[0].policy).Statement : alltrue([
        for a in flatten([s.Action]) : !contains(["kms:*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:GenerateDataKey"], a)
      ])
    ])
    error_message = "Nobody may get wildcard, re-encrypt or data-key use of the tokens key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key_policy.tokens[0].policy).Statement :
      jsonencode(s.Condition["ForAllValues:StringEquals"]) == jsonencode({ "kms:EncryptionContextKeys" = ["SellerId"] })
      if contains(flatten([s.Action]), "kms:Encrypt") || contains(flatten([s.Action]), "kms:Decrypt")
    ])
    error_message = "Cryptographic use of the tokens key must require the SellerId encryption context."
  }

  assert {
    condition     = aws_kms_key_policy.tokens[0].key_id == aws_kms_key.tokens[0].id
    error_message = "The whole policy must be the tokens key's."
  }

  # Until aws_kms_key_policy.tokens puts the whole policy, the key is created with its administrators alone.
  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.tokens[0].policy).Statement : !anytrue([for a in flatten([s.Action]) : contains(["kms:Encrypt", "kms:Decrypt"], a) || strcontains(a, "*")])
    ])
    error_message = "The tokens key must be created without any cryptographic use."
  }
}

run "only_the_link_handing_roles_may_assume_the_link_signer" {
  command = plan

  assert {
    condition     = toset(jsondecode(aws_iam_role.download_link_signer.assume_role_policy).Statement[0].Principal.AWS) == toset(var.download_link_signer_trusted_role_arns)
    error_message = "The link signer must trust exactly the given roles."
  }

  assert {
    condition     = output.download_link_signer_role_arn == "arn:aws:iam::123456789012:role/${aws_iam_role.download_link_signer.name}"
    error_message = "The signer's ARN built from its name must be the role's."
  }
}

run "spapi_may_use_the_data_key_only_through_sqs" {
  command = plan

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.data[0].policy).Statement : s
      if try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
      && toset(flatten([s.Action])) == toset(["kms:GenerateDataKey", "kms:Decrypt"])
      && try(s.Condition.StringEquals["kms:ViaService"], "") == "sqs.us-east-1.amazonaws.com"
    ]) == 1
    error_message = "SP-API's account must get GenerateDataKey and Decrypt on the data key through SQS only."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.data[0].policy).Statement : s
      if try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
      && try(toset(s.Condition.StringEquals["kms:EncryptionContext:aws:sqs:arn"]), toset([])) == toset(var.spapi_queue_arns)
    ]) == 1
    error_message = "SP-API's use of the data key must be bound to our queues' ARNs (the SQS encryption context)."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.data[0].policy).Statement : can(s.Condition.StringEquals["kms:EncryptionContext:aws:sqs:arn"])
      if try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
    ])
    error_message = "No statement may let SP-API's account use the data key for any queue."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.data[0].policy).Statement : s
      if try(s.Principal.Service, "") == "logs.us-east-1.amazonaws.com"
      && alltrue([for arn in try(s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"], [""]) : strcontains(arn, "acme-test-")])
    ]) == 1
    error_message = "CloudWatch Logs may use the data key for this stack's log groups only."
  }
}

run "the_secret_is_encrypted_with_the_data_key_and_named_with_the_prefix" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.lwa.kms_key_id == aws_kms_key.data[0].arn
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
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/DELETE/sellers/*",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/POST/plans",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/plans",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/plans/*",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/PATCH/plans/*",
      "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/DELETE/plans/*",
    ])
    error_message = "The invoke role must be limited to the API's methods (the five routes and the plans route's)."
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

run "a_token_reader_that_is_not_a_role_is_rejected" {
  command = plan

  variables {
    token_decrypter_role_arns = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.token_decrypter_role_arns]
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

run "a_malformed_notifications_account_is_rejected" {
  command = plan

  variables {
    spapi_notifications_account_id = "arn:aws:iam::437568002678:root"
  }

  expect_failures = [var.spapi_notifications_account_id]
}

run "a_fractional_key_deletion_window_is_rejected" {
  command = plan

  variables {
    kms_deletion_window_days = 7.5
  }

  expect_failures = [var.kms_deletion_window_days]
}

run "the_deletion_window_reaches_both_keys" {
  command = plan

  variables {
    kms_deletion_window_days = 7
  }

  assert {
    condition     = aws_kms_key.data[0].deletion_window_in_days == 7 && aws_kms_key.tokens[0].deletion_window_in_days == 7
    error_message = "kms_deletion_window_days must be both keys' deletion window."
  }
}

# By default (no administrators named) the account root administers both keys and IAM policies decide, as the
# AWS default key policy does.
run "without_administrators_iam_policies_decide" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.data[0].policy).Statement : s.Principal.AWS if s.Sid == "EnableIamPoliciesOfThisAccount"
    ]) == "arn:aws:iam::123456789012:root"
    error_message = "Without administrators, the data key's policy must let IAM policies of the account decide."
  }

  assert {
    condition     = one([for s in jsondecode(aws_kms_key_policy.tokens[0].policy).Statement : s.Principal.AWS if s.Sid == "AdministerKeyWithoutCryptographicUse"]) == ["arn:aws:iam::123456789012:root"]
    error_message = "Without administrators, the account root administers the tokens key."
  }
}

run "named_administrators_alone_can_rewrite_either_key_policy" {
  command = plan

  variables {
    key_administrator_arns = ["arn:aws:iam::123456789012:user/terraform", "arn:aws:iam::123456789012:role/break-glass"]
  }

  # Nobody else gets kms:PutKeyPolicy (or kms:*), the account root included: IAM policies cannot grant it.
  assert {
    condition = alltrue([
      for policy in [aws_kms_key.data[0].policy, aws_kms_key_policy.tokens[0].policy, aws_kms_key.tokens[0].policy] : alltrue([
        for s in jsondecode(policy).Statement : toset(flatten([s.Principal.AWS])) == toset(var.key_administrator_arns)
        if anytrue([for a in flatten([s.Action]) : contains(["kms:PutKeyPolicy", "kms:*", "kms:ScheduleKeyDeletion"], a)])
      ])
    ])
    error_message = "Only the named administrators may rewrite a key policy or schedule a key's deletion."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.data[0].policy).Statement : !contains(flatten([s.Action]), "kms:*")])
    error_message = "With named administrators, the data key's policy must not give anyone kms:*."
  }

  # The functions still get their use of the data key from their IAM policies.
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.data[0].policy).Statement : s.Principal.AWS if s.Sid == "IamPoliciesOfThisAccountGrantUseOfTheKey"
    ]) == "arn:aws:iam::123456789012:root"
    error_message = "IAM policies of the account must still be able to grant use of the data key."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key_policy.tokens[0].policy).Statement : try(s.Principal.AWS, null) != "arn:aws:iam::123456789012:root"])
    error_message = "The tokens key's policy must not name the account root once administrators are named."
  }
}

run "administrators_without_the_terraform_principal_are_refused" {
  command = plan

  variables {
    key_administrator_arns = ["arn:aws:iam::123456789012:role/break-glass"]
  }

  expect_failures = [aws_kms_key.data, aws_kms_key.tokens]
}

run "an_administrator_that_is_a_session_is_rejected" {
  command = plan

  variables {
    key_administrator_arns = ["arn:aws:sts::123456789012:assumed-role/admin/session"]
  }

  expect_failures = [var.key_administrator_arns]
}

run "brought_keys_replace_both_keys_everywhere" {
  command = plan

  variables {
    existing_data_kms_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    existing_tokens_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
  }

  assert {
    condition     = length(aws_kms_key.data) == 0 && length(aws_kms_key.tokens) == 0 && length(aws_kms_key_policy.tokens) == 0 && length(aws_kms_alias.data) == 0 && length(aws_kms_alias.tokens) == 0
    error_message = "No key, key policy or alias may be created for a key the caller brings."
  }

  assert {
    condition     = output.data_kms_key_arn == var.existing_data_kms_key_arn && output.tokens_kms_key_arn == var.existing_tokens_kms_key_arn
    error_message = "The brought keys must be the module's keys."
  }

  assert {
    condition     = aws_secretsmanager_secret.lwa.kms_key_id == var.existing_data_kms_key_arn
    error_message = "The secret must be encrypted with the brought data key."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.download_link_signer.policy).Statement : s.Resource if s.Sid == "DecryptStoredReportsThroughS3"]) == var.existing_data_kms_key_arn
    error_message = "The link signer must decrypt reports with the brought data key."
  }

  # What the key owner adds: the statements our own keys carry, without their administration.
  assert {
    condition = [for s in output.key_policy_statements_required.data : s.Sid] == [
      "IamPoliciesOfThisAccountGrantUseOfTheKey", "IamPoliciesOfThisAccountGrantUseToAwsServices",
      "CloudWatchLogsEncryptsThisStacksLogGroups", "SpApiSendsEncryptedNotificationsToTheQueue", "CloudWatchAlarmsPublishToTheEncryptedTopic",
    ]
    error_message = "The data key's required statements must be its use through IAM and the services' statements."
  }

  assert {
    condition     = [for s in output.key_policy_statements_required.tokens : s.Sid] == ["OnlyTokenStorageEncryptsRefreshTokens", "OnlyTokenReadersDecryptRefreshTokens"]
    error_message = "The tokens key's required statements must be the token functions' encrypt and decrypt."
  }
}

# One home: the required statements are those our own keys' policies carry.
run "our_own_keys_carry_the_required_statements" {
  command = plan

  variables {
    key_administrator_arns = ["arn:aws:iam::123456789012:user/terraform"]
  }

  assert {
    condition     = alltrue([for s in output.key_policy_statements_required.data : contains([for p in jsondecode(aws_kms_key.data[0].policy).Statement : jsonencode(p)], jsonencode(s))])
    error_message = "Every statement required of a brought data key must be in our own data key's policy."
  }

  assert {
    condition     = alltrue([for s in output.key_policy_statements_required.tokens : contains([for p in jsondecode(aws_kms_key_policy.tokens[0].policy).Statement : jsonencode(p)], jsonencode(s))])
    error_message = "Every statement required of a brought tokens key must be in our own tokens key's policy."
  }
}

run "a_brought_key_named_by_its_alias_is_rejected" {
  command = plan

  variables {
    existing_data_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:alias/estate-data"
  }

  expect_failures = [var.existing_data_kms_key_arn]
}

run "a_brought_key_of_another_region_is_rejected" {
  command = plan

  variables {
    existing_tokens_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
  }

  expect_failures = [var.existing_tokens_kms_key_arn]
}

run "a_brought_key_of_another_partition_is_rejected" {
  command = plan

  variables {
    existing_data_kms_key_arn = "arn:aws-cn:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
  }

  expect_failures = [var.existing_data_kms_key_arn]
}

run "one_brought_key_for_both_purposes_is_rejected" {
  command = plan

  variables {
    existing_data_kms_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    existing_tokens_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
  }

  expect_failures = [var.existing_tokens_kms_key_arn]
}

# Terraform run by an assumed role: its sessions administer the keys when the role is named (any path).
run "an_assumed_role_session_administers_through_its_role" {
  command = plan

  override_data {
    target = data.aws_caller_identity.current
    values = {
      account_id = "123456789012"
      arn        = "arn:aws:sts::123456789012:assumed-role/terraform-pipeline/build-42"
    }
  }

  variables {
    key_administrator_arns = ["arn:aws:iam::123456789012:role/platform/terraform-pipeline"]
  }

  assert {
    condition     = length(aws_kms_key.data) == 1 && length(aws_kms_key.tokens) == 1
    error_message = "A session of a named role must be allowed to create the keys."
  }
}

run "a_session_of_a_role_that_only_ends_alike_is_refused" {
  command = plan

  override_data {
    target = data.aws_caller_identity.current
    values = {
      account_id = "123456789012"
      arn        = "arn:aws:sts::123456789012:assumed-role/pipeline/build-42"
    }
  }

  variables {
    key_administrator_arns = ["arn:aws:iam::123456789012:role/terraform-pipeline"]
  }

  expect_failures = [aws_kms_key.data, aws_kms_key.tokens]
}

run "iam_names_take_the_iam_name_prefix_and_the_rest_keep_name_prefix" {
  command = plan

  variables {
    iam_name_prefix        = "acme-test-eu-west-1"
    create_api_invoke_user = true
  }

  assert {
    condition     = aws_iam_role.download_link_signer.name == "acme-test-eu-west-1-download-link-signer" && aws_iam_role.api_invoke.name == "acme-test-eu-west-1-api-invoke" && aws_iam_user.api_invoke[0].name == "acme-test-eu-west-1-api-invoke"
    error_message = "The roles and the user (IAM names, global to the account) must carry iam_name_prefix."
  }

  assert {
    condition     = aws_kms_alias.data[0].name == "alias/acme-test-data" && aws_secretsmanager_secret.lwa.name == "acme-test/lwa-app-credentials"
    error_message = "Regional names (aliases, the secret) keep name_prefix."
  }
}

run "roles_and_the_user_get_the_path_and_boundary_and_the_signer_arn_names_the_path" {
  command = plan

  variables {
    create_api_invoke_user    = true
    role_path                 = "/estate/"
    role_permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
  }

  assert {
    condition = alltrue([
      for entity in [aws_iam_role.download_link_signer, aws_iam_role.api_invoke, aws_iam_user.api_invoke[0]] :
      entity.path == "/estate/" && entity.permissions_boundary == "arn:aws:iam::aws:policy/PowerUserAccess"
    ])
    error_message = "Both roles and the optional user must carry the path and the permissions boundary."
  }

  assert {
    condition     = output.download_link_signer_role_arn == "arn:aws:iam::123456789012:role/estate/acme-test-download-link-signer"
    error_message = "The signer's ARN built from its name (in the functions' statements and environment) must include the path."
  }
}

run "by_default_roles_have_the_root_path_and_no_boundary" {
  command = plan

  assert {
    condition     = aws_iam_role.download_link_signer.path == "/" && aws_iam_role.api_invoke.path == "/" && aws_iam_role.download_link_signer.permissions_boundary == null && aws_iam_role.api_invoke.permissions_boundary == null
    error_message = "Without inputs the roles keep IAM's defaults."
  }
}

run "an_iam_name_prefix_too_long_for_the_signers_name_is_rejected" {
  command = plan

  variables {
    iam_name_prefix = "a-prefix-of-forty-four-characters-is-too-lon"
  }

  expect_failures = [var.iam_name_prefix]
}

run "a_path_with_a_space_is_rejected" {
  command = plan

  variables {
    role_path = "/my estate/"
  }

  expect_failures = [var.role_path]
}
