# The stack in an estate, with the mocked aws provider: IAM names unique per account across regions and within
# IAM's 64 characters, the role path and permissions boundary an estate's SCPs require, and optional VPC
# placement of the functions. Nested modules' resources are out of a root test's reach: the roles and functions
# themselves, every one found in the plan, are checked by tests/terraform/test_estate_iam.py.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  # The account's API Gateway CloudWatch role (account-wide, the estate's): without it the plan's check fails.
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  name_prefix                     = "acme-test"
  lambda_package_dir              = "../.build/terraform-test-packages"
}

run "by_default_every_role_name_carries_the_region" {
  command = plan

  assert {
    condition     = length(output.iam_role_names) == 17 && alltrue([for name in values(output.iam_role_names) : startswith(name, "acme-test-us-east-1-")])
    error_message = "Every role (eleven functions, the workflow, the sweep's and the pull planner's schedules, the link signer, the API invoke role) must be named <name_prefix>-<region>-...: IAM names are global to the account."
  }

  assert {
    condition     = output.iam_role_names["notifications_subscriber"] == "acme-test-us-east-1-notifications-subscriber" && output.iam_role_names["report_workflow"] == "acme-test-us-east-1-report-workflow"
    error_message = "Role names must be <iam_name_prefix>-<what the role is for>."
  }

  assert {
    condition = alltrue([
      for f, arn in merge(
        module.api.function_role_arns,
        module.state_machine.function_role_arns,
        { notifications_processor = module.queue.processor_role_arn },
        { report_sweeper = module.standalone_function["report_sweeper"].function_role_arn },
      ) : arn == "arn:aws:iam::123456789012:role/${output.iam_role_names[f]}"
    ]) && module.security.download_link_signer_role_arn == "arn:aws:iam::123456789012:role/${output.iam_role_names["download_link_signer"]}"
    error_message = "The roles the modules create must be the ones iam_role_names lists, under the root path."
  }

  assert {
    condition     = output.function_names["report_storer"] == "acme-test-report-storer" && output.tokens_table_name == "acme-test-tokens"
    error_message = "Regional names keep name_prefix alone."
  }
}

run "another_region_plans_other_role_names_for_the_same_prefix" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = {
      id   = "eu-west-1"
      name = "eu-west-1"
    }
  }

  assert {
    condition     = alltrue([for name in values(output.iam_role_names) : startswith(name, "acme-test-eu-west-1-")])
    error_message = "In eu-west-1 the role names must carry eu-west-1."
  }

  assert {
    condition     = length(setintersection(toset(values(output.iam_role_names)), toset(values(run.by_default_every_role_name_carries_the_region.iam_role_names)))) == 0
    error_message = "The same prefix in two regions of one account must not plan one role name twice (CreateRole would fail with EntityAlreadyExists)."
  }
}

run "iam_name_prefix_names_every_role" {
  command = plan

  variables {
    iam_name_prefix = "platform-sp-reports"
  }

  assert {
    condition     = alltrue([for name in values(output.iam_role_names) : startswith(name, "platform-sp-reports-")]) && module.security.download_link_signer_role_arn == "arn:aws:iam::123456789012:role/platform-sp-reports-download-link-signer"
    error_message = "A given iam_name_prefix must name every role, the region left to the caller."
  }
}

run "the_longest_default_name_fits_iams_limit_exactly_in_the_longest_region_code" {
  command = plan

  variables {
    name_prefix = "abcdefghijklmnopqrstuvwx"
  }

  override_data {
    target = data.aws_region.current
    values = {
      id   = "ap-southeast-4"
      name = "ap-southeast-4"
    }
  }

  assert {
    condition     = max([for name in values(output.iam_role_names) : length(name)]...) == 64
    error_message = "A 24-character name_prefix in a 14-character region makes a 64-character role name, which IAM accepts."
  }
}

run "a_default_name_beyond_64_characters_is_refused_at_plan" {
  command = plan

  variables {
    name_prefix = "abcdefghijklmnopqrstuvwx"
  }

  override_data {
    target = data.aws_region.current
    values = {
      id   = "ap-southeast-10"
      name = "ap-southeast-10"
    }
  }

  expect_failures = [var.iam_name_prefix]
}

run "a_too_long_iam_name_prefix_is_refused" {
  command = plan

  variables {
    # 40 characters: with "-notifications-subscriber" the role name would have 65.
    iam_name_prefix = "platform-team-sp-reports-eu-central-2-ab"
  }

  expect_failures = [var.iam_name_prefix]
}

run "an_iam_name_prefix_with_a_space_is_refused" {
  command = plan

  variables {
    iam_name_prefix = "platform sp-reports"
  }

  expect_failures = [var.iam_name_prefix]
}

run "the_role_path_is_in_every_role_arn_the_stack_builds" {
  command = plan

  variables {
    iam_role_path                = "/estate/sp-reports/"
    iam_permissions_boundary_arn = "arn:aws:iam::123456789012:policy/estate/workload-boundary"
  }

  assert {
    condition = alltrue([
      for f, arn in merge(
        module.api.function_role_arns,
        module.state_machine.function_role_arns,
        { notifications_processor = module.queue.processor_role_arn },
        { report_sweeper = module.standalone_function["report_sweeper"].function_role_arn },
        { download_link_signer = module.security.download_link_signer_role_arn },
      ) : arn == "arn:aws:iam::123456789012:role/estate/sp-reports/${output.iam_role_names[f]}"
    ])
    error_message = "Every role ARN the stack builds from a name (key policy, trust policy, statements, environment) must include iam_role_path."
  }
}

run "a_role_path_without_its_leading_slash_is_refused" {
  command = plan

  variables {
    iam_role_path = "estate/"
  }

  expect_failures = [var.iam_role_path]
}

run "a_boundary_that_is_not_a_managed_policy_arn_is_refused" {
  command = plan

  variables {
    iam_permissions_boundary_arn = "arn:aws:iam::123456789012:role/workload-boundary"
  }

  expect_failures = [var.iam_permissions_boundary_arn]
}

run "by_default_no_function_is_in_a_vpc" {
  command = plan

  assert {
    condition     = alltrue([for settings in values(local.function_settings) : length(settings.vpc_subnet_ids) == 0 && length(settings.vpc_security_group_ids) == 0])
    error_message = "Without lambda_vpc_subnet_ids no function may be placed in a VPC."
  }
}

run "vpc_placement_reaches_every_function" {
  command = plan

  variables {
    lambda_vpc_subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    lambda_vpc_security_group_ids = ["sg-0123456789abcdef0"]
  }

  assert {
    condition = length(local.function_settings) == 12 && alltrue([
      for settings in values(local.function_settings) :
      settings.vpc_subnet_ids == var.lambda_vpc_subnet_ids && settings.vpc_security_group_ids == var.lambda_vpc_security_group_ids
    ])
    error_message = "Every function of the stack must be given the subnets and security groups."
  }
}

run "subnets_without_security_groups_are_refused" {
  command = plan

  variables {
    lambda_vpc_subnet_ids = ["subnet-0123456789abcdef0"]
  }

  expect_failures = [var.lambda_vpc_security_group_ids]
}

run "a_security_group_id_given_as_a_subnet_is_refused" {
  command = plan

  variables {
    lambda_vpc_subnet_ids         = ["sg-0123456789abcdef0"]
    lambda_vpc_security_group_ids = ["sg-0123456789abcdef0"]
  }

  expect_failures = [var.lambda_vpc_subnet_ids]
}
