# Storage module with the mocked aws provider: CMK encryption everywhere, PITR, TTL, the bucket's guard rails
# and input validation.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name_prefix = "acme-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "tables_are_named_keyed_and_encrypted_with_the_key" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.tokens.name == "acme-test-tokens" && aws_dynamodb_table.reports.name == "acme-test-reports"
    error_message = "Table names must carry the prefix."
  }

  assert {
    condition     = aws_dynamodb_table.tokens.hash_key == "SellerId" && aws_dynamodb_table.reports.hash_key == "ReportId"
    error_message = "Tokens are keyed by SellerId, reports by ReportId."
  }

  assert {
    condition = alltrue([
      for t in [aws_dynamodb_table.tokens, aws_dynamodb_table.reports] :
      t.server_side_encryption[0].enabled && t.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    ])
    error_message = "Both tables must be encrypted with the customer-managed key."
  }

  assert {
    condition = alltrue([
      for t in [aws_dynamodb_table.tokens, aws_dynamodb_table.reports] : t.point_in_time_recovery[0].enabled && t.deletion_protection_enabled
    ])
    error_message = "Both tables must have point-in-time recovery and deletion protection by default."
  }

  assert {
    condition     = aws_dynamodb_table.reports.ttl[0].enabled && aws_dynamodb_table.reports.ttl[0].attribute_name == "ExpiresAt"
    error_message = "Report records must expire through the ExpiresAt TTL attribute."
  }

  assert {
    condition     = aws_dynamodb_table.tokens.ttl[0].enabled && aws_dynamodb_table.tokens.ttl[0].attribute_name == "ExpiresAt"
    error_message = "Seller authorization states must expire from the tokens table through the ExpiresAt TTL attribute."
  }
}

run "pull_plans_table_is_keyed_indexed_encrypted_and_recoverable" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.pull_plans.name == "acme-test-pull-plans" && aws_dynamodb_table.pull_plans.billing_mode == "PAY_PER_REQUEST"
    error_message = "The pull plans table must carry the prefix and be on demand."
  }

  assert {
    condition     = aws_dynamodb_table.pull_plans.hash_key == "PK" && aws_dynamodb_table.pull_plans.range_key == "SK"
    error_message = "Pull plans are keyed by PK (plan#<id>) and SK (plan, or window#<key>#v<NNN>)."
  }

  assert {
    condition = anytrue([
      for index in aws_dynamodb_table.pull_plans.global_secondary_index :
      index.name == "due" && index.hash_key == "DueShard" && index.range_key == "DueAt" && index.projection_type == "KEYS_ONLY"
    ])
    error_message = "The due index must be DueShard/DueAt, keys only (src/sp_reports/pipeline/pull_ledger.py)."
  }

  assert {
    condition = anytrue([
      for index in aws_dynamodb_table.pull_plans.global_secondary_index :
      index.name == "seller" && index.hash_key == "SellerId" && index.range_key == "PlanId" && index.projection_type == "ALL"
    ])
    error_message = "The seller index must be SellerId/PlanId with every attribute (list_plans reads plans from it)."
  }

  assert {
    condition = toset([for a in aws_dynamodb_table.pull_plans.attribute : "${a.name}:${a.type}"]) == toset(
      ["PK:S", "SK:S", "DueShard:S", "DueAt:S", "SellerId:S", "PlanId:S"]
    )
    error_message = "Every key attribute of the table and its indexes is a string, and nothing else is declared."
  }

  assert {
    condition = (aws_dynamodb_table.pull_plans.server_side_encryption[0].enabled
      && aws_dynamodb_table.pull_plans.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    && aws_dynamodb_table.pull_plans.point_in_time_recovery[0].enabled && aws_dynamodb_table.pull_plans.deletion_protection_enabled)
    error_message = "The pull plans table must be encrypted with the customer-managed key, with PITR and deletion protection."
  }
}

run "pull_plans_table_follows_the_recovery_and_protection_settings" {
  command = plan

  variables {
    point_in_time_recovery = false
    deletion_protection    = false
  }

  assert {
    condition     = !aws_dynamodb_table.pull_plans.point_in_time_recovery[0].enabled && !aws_dynamodb_table.pull_plans.deletion_protection_enabled
    error_message = "The pull plans table must follow point_in_time_recovery and deletion_protection like the other tables."
  }
}

run "bucket_is_private_versioned_and_kms_encrypted_with_bucket_keys" {
  command = plan

  assert {
    condition     = aws_s3_bucket.reports.bucket == "acme-test-reports-123456789012-us-east-1"
    error_message = "The bucket name must be <prefix>-reports-<account>-<region>."
  }

  assert {
    condition = alltrue(flatten([
      for rule in aws_s3_bucket_server_side_encryption_configuration.reports.rule : [
        for d in rule.apply_server_side_encryption_by_default : d.sse_algorithm == "aws:kms" && d.kms_master_key_id == var.kms_key_arn && rule.bucket_key_enabled
      ]
    ]))
    error_message = "The bucket must default to SSE-KMS with the key and bucket keys."
  }

  assert {
    condition     = aws_s3_bucket_versioning.reports.versioning_configuration[0].status == "Enabled"
    error_message = "The bucket must be versioned."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.reports.block_public_acls,
      aws_s3_bucket_public_access_block.reports.block_public_policy,
      aws_s3_bucket_public_access_block.reports.ignore_public_acls,
      aws_s3_bucket_public_access_block.reports.restrict_public_buckets,
    ])
    error_message = "All public access must be blocked."
  }

  assert {
    condition     = !aws_s3_bucket.reports.force_destroy
    error_message = "A protected bucket must not be force-destroyed."
  }
}

run "bucket_policy_refuses_plain_http_and_foreign_encryption" {
  command = plan

  assert {
    condition = length([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s
      if s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
    ]) == 1
    error_message = "The bucket policy must deny requests without TLS."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s
      if s.Effect == "Deny" && s.Action == "s3:PutObject" && try(s.Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption"], "") == "aws:kms" && try(s.Condition.Null["s3:x-amz-server-side-encryption"], "") == "false"
    ]) == 1
    error_message = "The bucket policy must deny uploads that ask for anything but SSE-KMS, and only those that carry the header (multipart parts carry none)."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s
      if s.Effect == "Deny" && try(s.Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption-aws-kms-key-id"], "") == var.kms_key_arn && try(s.Condition.Null["s3:x-amz-server-side-encryption-aws-kms-key-id"], "") == "false"
    ]) == 1
    error_message = "The bucket policy must deny uploads encrypted with another key, and only those that name one."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : !contains(keys(try(s.Condition, {})), "StringNotEquals")
    ])
    error_message = "No Deny may rest on a bare negated operator: it is true when the key is absent, as in every UploadPart."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s.Effect == "Deny"])
    error_message = "The bucket policy only denies: access is granted by the roles' own policies."
  }
}

run "lifecycle_rules_follow_the_variables" {
  command = plan

  variables {
    report_expiration_days                 = 400
    transition_to_infrequent_access_days   = null
    abort_incomplete_multipart_upload_days = 2
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.reports.rule[0].expiration[0].days == 400
    error_message = "report_expiration_days must become an expiration rule."
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.reports.rule[0].transition) == 0
    error_message = "A null transition_to_infrequent_access_days must create no transition."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.reports.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 2
    error_message = "Abandoned multipart uploads must be cleaned up after the configured days."
  }
}

# Retention per data class: restricted (PII) documents, tagged data-class=restricted by the report storer,
# expire within the Data Protection Policy's 30 days, the rest after report_expiration_days.
run "restricted_documents_expire_after_thirty_days_by_their_tag_and_noncurrent_versions_after_seven" {
  command = plan

  assert {
    condition = one([
      for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule
      if rule.status == "Enabled" && try(rule.filter[0].tag[0].key == "data-class" && rule.filter[0].tag[0].value == "restricted", false)
    ]).expiration[0].days == 30
    error_message = "Objects tagged data-class=restricted must expire after 30 days by default."
  }

  assert {
    condition = one([
      for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule if rule.id == "restricted-reports"
    ]).noncurrent_version_expiration[0].noncurrent_days == 1
    error_message = "An expired restricted document's noncurrent version must go a day later."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.reports.rule[0].noncurrent_version_expiration[0].noncurrent_days == 7
    error_message = "Noncurrent versions must expire after 7 days by default."
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.reports.rule[0].expiration) == 0
    error_message = "Unrestricted documents are kept unless report_expiration_days is set."
  }
}

run "restricted_retention_follows_its_variable" {
  command = plan

  variables {
    restricted_report_expiration_days  = 14
    noncurrent_version_expiration_days = 3
  }

  assert {
    condition     = one([for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule if rule.id == "restricted-reports"]).expiration[0].days == 14
    error_message = "restricted_report_expiration_days must become the restricted rule's expiration."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.reports.rule[0].noncurrent_version_expiration[0].noncurrent_days == 3
    error_message = "noncurrent_version_expiration_days must become the noncurrent expiration."
  }
}

run "restricted_retention_beyond_thirty_days_is_rejected" {
  command = plan

  variables {
    restricted_report_expiration_days = 31
  }

  expect_failures = [var.restricted_report_expiration_days]
}

run "object_reads_are_denied_to_every_principal_but_the_readers" {
  command = plan

  variables {
    object_reader_principal_arns = ["arn:aws:iam::123456789012:role/storer", "arn:aws:iam::123456789012:role/link-signer"]
  }

  assert {
    condition = length([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s
      if s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:GetObject*" && s.Resource == "${aws_s3_bucket.reports.arn}/*"
      && try(tolist(s.Condition.ArnNotLike["aws:PrincipalArn"]), []) == var.object_reader_principal_arns
    ]) == 1
    error_message = "The bucket policy must deny s3:GetObject* to every principal whose aws:PrincipalArn is not a reader."
  }
}

run "an_object_reader_given_as_a_wildcard_is_rejected" {
  command = plan

  variables {
    object_reader_principal_arns = ["arn:aws:iam::123456789012:role/*"]
  }

  expect_failures = [var.object_reader_principal_arns]
}

run "unprotected_stacks_can_be_destroyed" {
  command = plan

  variables {
    deletion_protection = false
  }

  assert {
    condition     = aws_s3_bucket.reports.force_destroy && !aws_dynamodb_table.tokens.deletion_protection_enabled
    error_message = "deletion_protection = false must allow destroying tables and a non-empty bucket."
  }
}

run "a_transition_sooner_than_s3_allows_is_rejected" {
  command = plan

  variables {
    transition_to_infrequent_access_days = 10
  }

  expect_failures = [var.transition_to_infrequent_access_days]
}

run "a_key_alias_instead_of_a_key_arn_is_rejected" {
  command = plan

  variables {
    kms_key_arn = "alias/acme-test-data"
  }

  expect_failures = [var.kms_key_arn]
}

# S3 User Guide, "General purpose bucket naming rules": reserved prefixes and suffixes.
run "a_name_prefix_starting_with_the_idn_prefix_is_rejected" {
  command = plan

  variables {
    name_prefix = "xn--acme"
  }

  expect_failures = [var.name_prefix]
}

run "a_name_prefix_that_makes_the_bucket_start_with_sthree_is_rejected" {
  command = plan

  variables {
    name_prefix = "sthree"
  }

  expect_failures = [var.name_prefix]
}

run "a_bucket_name_with_a_suffix_s3_reserves_is_rejected" {
  command = plan

  variables {
    bucket_name = "acme-reports-s3alias"
  }

  expect_failures = [var.bucket_name]
}

run "a_bucket_name_ending_like_a_directory_bucket_is_rejected" {
  command = plan

  variables {
    bucket_name = "acme-reports--x-s3"
  }

  expect_failures = [var.bucket_name]
}

run "a_bucket_name_formatted_as_an_ip_address_is_rejected" {
  command = plan

  variables {
    bucket_name = "192.168.5.4"
  }

  expect_failures = [var.bucket_name]
}

run "a_bucket_name_s3_accepts_is_used_as_given" {
  command = plan

  variables {
    bucket_name = "acme.reports-2024"
  }

  assert {
    condition     = aws_s3_bucket.reports.bucket == "acme.reports-2024"
    error_message = "A valid bucket_name must be used as given."
  }
}

run "point_in_time_recovery_can_be_turned_off" {
  command = plan

  variables {
    point_in_time_recovery = false
  }

  assert {
    condition     = alltrue([for t in [aws_dynamodb_table.tokens, aws_dynamodb_table.reports] : !t.point_in_time_recovery[0].enabled])
    error_message = "point_in_time_recovery = false must turn point-in-time recovery off on both tables."
  }
}

run "no_access_logging_without_a_log_bucket" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_logging.reports) == 0
    error_message = "Without access_log_bucket the reports bucket must not log."
  }
}

run "access_logs_go_to_the_log_bucket_under_the_prefix_and_the_bucket_name" {
  command = plan

  variables {
    access_log_bucket = "estate-s3-access-logs"
    access_log_prefix = "s3/"
  }

  assert {
    condition     = aws_s3_bucket_logging.reports[0].target_bucket == "estate-s3-access-logs" && aws_s3_bucket_logging.reports[0].target_prefix == "s3/acme-test-reports-123456789012-us-east-1/"
    error_message = "Access logs must go to access_log_bucket under <access_log_prefix><bucket name>/."
  }
}

run "a_log_bucket_given_as_an_arn_is_rejected" {
  command = plan

  variables {
    access_log_bucket = "arn:aws:s3:::estate-s3-access-logs"
  }

  expect_failures = [var.access_log_bucket]
}

run "a_log_prefix_without_a_trailing_slash_is_rejected" {
  command = plan

  variables {
    access_log_bucket = "estate-s3-access-logs"
    access_log_prefix = "s3"
  }

  expect_failures = [var.access_log_prefix]
}

run "the_tenant_map_is_created_only_when_asked_for" {
  command = plan

  assert {
    condition     = length(aws_dynamodb_table.tenants) == 0 && output.tenant_map_table_name == null
    error_message = "No tenant map by default."
  }
}

run "the_tenant_map_is_keyed_by_principal_and_seller_and_protected_as_the_other_tables" {
  command = plan

  variables {
    tenant_map = true
  }

  assert {
    condition     = aws_dynamodb_table.tenants[0].name == "acme-test-tenants" && aws_dynamodb_table.tenants[0].hash_key == "PrincipalArn" && aws_dynamodb_table.tenants[0].range_key == "SellerId"
    error_message = "The tenant map is <prefix>-tenants, one item per (PrincipalArn, SellerId)."
  }

  assert {
    condition     = aws_dynamodb_table.tenants[0].server_side_encryption[0].enabled && aws_dynamodb_table.tenants[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "The tenant map must be encrypted with the customer-managed key."
  }

  assert {
    condition     = aws_dynamodb_table.tenants[0].point_in_time_recovery[0].enabled && aws_dynamodb_table.tenants[0].deletion_protection_enabled
    error_message = "The tenant map has point-in-time recovery and deletion protection, as the other tables."
  }
}

# The converter's staging prefix is swept after a day; curated/ has no rule of its own, so the rules for every
# object (and the restricted tag) keep the curated tables as long as the raw documents.
run "curated_staging_expires_after_a_day_and_curated_follows_the_raw_retention" {
  command = plan

  variables {
    report_expiration_days = 400
  }

  assert {
    condition = one([
      for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule if rule.id == "curated-staging"
      ]).filter[0].prefix == "curated-staging/" && one([
      for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule if rule.id == "curated-staging"
    ]).expiration[0].days == 1
    error_message = "Objects left under curated-staging/ must expire after a day."
  }

  assert {
    condition     = [for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule.id] == ["reports", "restricted-reports", "curated-staging"]
    error_message = "No rule may single out curated/: it must follow the raw documents' rules."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.reports.rule[0].id == "reports" && aws_s3_bucket_lifecycle_configuration.reports.rule[0].expiration[0].days == 400 && length(aws_s3_bucket_lifecycle_configuration.reports.rule[0].filter[0].tag) == 0
    error_message = "The rule for every object (curated/ included) must keep report_expiration_days."
  }

  assert {
    condition     = length([for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule if rule.id == "query-results"]) == 0
    error_message = "Without a query results prefix there is no results rule."
  }
}

run "query_results_expire_after_their_days" {
  command = plan

  variables {
    query_results_prefix          = "athena-results/"
    query_results_expiration_days = 3
  }

  assert {
    condition = one([
      for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule if rule.id == "query-results"
      ]).filter[0].prefix == "athena-results/" && one([
      for rule in aws_s3_bucket_lifecycle_configuration.reports.rule : rule if rule.id == "query-results"
    ]).expiration[0].days == 3
    error_message = "Query results must expire after query_results_expiration_days."
  }
}

run "curated_readers_pass_the_readers_deny_and_are_kept_to_curated_objects" {
  command = plan

  variables {
    object_reader_principal_arns  = ["arn:aws:iam::123456789012:role/storer"]
    curated_reader_principal_arns = ["arn:aws:iam::123456789012:role/analyst"]
    query_results_prefix          = "athena-results/"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s if s.Sid == "DenyObjectReadsToAllButTheReportReaders"
    ]).Condition.ArnNotLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/storer", "arn:aws:iam::123456789012:role/analyst"]
    error_message = "The readers' Deny must spare the curated readers."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s if s.Sid == "DenyCuratedReadersAllButTheCuratedObjects"
      ]).NotResource == ["${aws_s3_bucket.reports.arn}/curated/*", "${aws_s3_bucket.reports.arn}/athena-results/*"] && one([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s if s.Sid == "DenyCuratedReadersAllButTheCuratedObjects"
      ]).Condition.ArnLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/analyst"] && one([
      for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s if s.Sid == "DenyCuratedReadersAllButTheCuratedObjects"
    ]).Action == "s3:GetObject*"
    error_message = "The curated readers must be denied every object outside curated/ and the query results."
  }
}

run "without_curated_readers_the_policy_has_no_curated_statement" {
  command = plan

  variables {
    object_reader_principal_arns = ["arn:aws:iam::123456789012:role/storer"]
  }

  assert {
    condition     = length([for s in jsondecode(aws_s3_bucket_policy.reports.policy).Statement : s if s.Sid == "DenyCuratedReadersAllButTheCuratedObjects"]) == 0
    error_message = "No curated readers, no statement for them."
  }
}
