# The shared function module with the mocked aws provider: encrypted log group with retention, tracing,
# encrypted environment, the runtime policy, and package validation.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  function_name      = "acme-test-report-storer"
  handler            = "sp_reports.handlers.report_storer.handler"
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

run "a_created_role_has_no_boundary_and_the_root_path_by_default" {
  command = plan

  variables {
    create_role = true
    role_arn    = null
  }

  assert {
    condition     = aws_iam_role.this[0].path == "/" && aws_iam_role.this[0].permissions_boundary == null
    error_message = "By default the role has the root path and no permissions boundary."
  }

  assert {
    condition     = output.function_role_arn == "arn:aws:iam::123456789012:role/acme-test-report-storer"
    error_message = "With the root path the role ARN is role/<name>."
  }
}

run "a_created_role_gets_the_path_and_boundary_and_its_arn_names_the_path" {
  command = plan

  variables {
    create_role               = true
    role_arn                  = null
    role_path                 = "/estate/sp-reports/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/estate/workload-boundary"
  }

  assert {
    condition     = aws_iam_role.this[0].path == "/estate/sp-reports/" && aws_iam_role.this[0].permissions_boundary == "arn:aws:iam::123456789012:policy/estate/workload-boundary"
    error_message = "The role must carry the given path and permissions boundary."
  }

  assert {
    condition     = output.function_role_arn == "arn:aws:iam::123456789012:role/estate/sp-reports/acme-test-report-storer"
    error_message = "The role ARN (what key and trust policies name) must include the role's path."
  }

  assert {
    condition     = output.function_role_name == "acme-test-report-storer" && aws_iam_role_policy.runtime.role == "acme-test-report-storer"
    error_message = "The policies attach to the role by name, without its path."
  }
}

run "a_path_without_its_closing_slash_is_rejected" {
  command = plan

  variables {
    create_role = true
    role_arn    = null
    role_path   = "/estate"
  }

  expect_failures = [var.role_path]
}

run "a_boundary_that_is_not_a_managed_policy_is_rejected" {
  command = plan

  variables {
    create_role               = true
    role_arn                  = null
    role_permissions_boundary = "arn:aws:iam::123456789012:role/workload-boundary"
  }

  expect_failures = [var.role_permissions_boundary]
}

run "outside_a_vpc_by_default_without_network_interface_permissions" {
  command = plan

  assert {
    condition     = length(aws_lambda_function.this.vpc_config) == 0
    error_message = "Without subnets the function must stay outside any VPC."
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.runtime.policy, "ec2:")
    error_message = "Outside a VPC the role gets no EC2 permission."
  }
}

run "subnets_and_security_groups_place_the_function_in_the_vpc_with_eni_permissions" {
  command = plan

  variables {
    vpc_subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    vpc_security_group_ids = ["sg-0123456789abcdef0"]
  }

  assert {
    condition     = toset(aws_lambda_function.this.vpc_config[0].subnet_ids) == toset(var.vpc_subnet_ids) && toset(aws_lambda_function.this.vpc_config[0].security_group_ids) == toset(var.vpc_security_group_ids)
    error_message = "The function must run in the given subnets with the given security groups."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.runtime.policy).Statement : s.Action if s.Sid == "ManageNetworkInterfacesInTheVpc"
    ]) == ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    error_message = "In a VPC the role must hold the network-interface permissions Lambda documents."
  }

  assert {
    condition = toset([
      for s in jsondecode(aws_iam_role_policy.runtime.policy).Statement : s.Sid if s.Resource == "*"
    ]) == toset(["SendTraces", "ManageNetworkInterfacesInTheVpc"])
    error_message = "Only X-Ray and the network interfaces (no resource-level permissions) may use Resource \"*\"."
  }
}

run "subnets_without_security_groups_are_rejected" {
  command = plan

  variables {
    vpc_subnet_ids = ["subnet-0123456789abcdef0"]
  }

  expect_failures = [var.vpc_security_group_ids]
}

run "a_security_group_where_a_subnet_belongs_is_rejected" {
  command = plan

  variables {
    vpc_subnet_ids         = ["sg-0123456789abcdef0"]
    vpc_security_group_ids = ["sg-0123456789abcdef0"]
  }

  expect_failures = [var.vpc_subnet_ids]
}

run "by_default_the_code_is_not_checked_against_a_code_signing_configuration" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.code_signing_config_arn == null
    error_message = "Without code_signing_config_arn the function must name no code signing configuration."
  }
}

run "the_function_carries_the_code_signing_configuration_given" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f67890"
  }

  assert {
    condition     = aws_lambda_function.this.code_signing_config_arn == var.code_signing_config_arn
    error_message = "The function must carry code_signing_config_arn."
  }
}

run "a_function_arn_given_as_the_code_signing_configuration_is_refused" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-test-report-storer"
  }

  expect_failures = [var.code_signing_config_arn]
}

run "tmp_is_lambdas_free_512_mb_unless_asked_for_more" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.ephemeral_storage[0].size == 512
    error_message = "By default the function gets Lambda's default /tmp, 512 MB."
  }
}

run "a_larger_tmp_is_given_as_asked" {
  command = plan

  variables {
    ephemeral_storage_size = 2048
  }

  assert {
    condition     = aws_lambda_function.this.ephemeral_storage[0].size == 2048
    error_message = "ephemeral_storage_size must reach the function's ephemeral storage."
  }
}

run "a_tmp_outside_lambdas_range_is_refused" {
  command = plan

  variables {
    ephemeral_storage_size = 10241
  }

  expect_failures = [var.ephemeral_storage_size]
}
