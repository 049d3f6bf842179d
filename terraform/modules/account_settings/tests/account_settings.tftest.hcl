# Account settings module with the mocked aws provider: the role API Gateway logs with, named per account and
# region, with the caller's path and boundary; the setting names it and is reset on destroy; another role
# already set is never replaced unless the caller says so.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  current_cloudwatch_role_arn = ""
}

run "an_account_without_a_role_gets_this_modules_role" {
  command = plan

  assert {
    condition     = aws_iam_role.cloudwatch.name == "api-gateway-cloudwatch-logs-us-east-1" && aws_iam_role.cloudwatch.path == "/"
    error_message = "The role is named per account and region by default, so two regions of one account never collide."
  }

  assert {
    condition     = aws_api_gateway_account.this.cloudwatch_role_arn == aws_iam_role.cloudwatch.arn
    error_message = "The account setting must name this module's role."
  }

  assert {
    condition     = aws_api_gateway_account.this.reset_on_delete == true
    error_message = "Destroying the module must reset the setting, not leave it naming the role the destroy deletes."
  }

  assert {
    condition = jsondecode(aws_iam_role.cloudwatch.assume_role_policy).Statement == [{
      Sid       = "ApiGatewayWritesLogs"
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "Only API Gateway may assume the role."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.cloudwatch.policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    error_message = "The role must carry AmazonAPIGatewayPushToCloudWatchLogs."
  }

  assert {
    condition     = aws_iam_role.cloudwatch.permissions_boundary == null && output.replaced_cloudwatch_role_arn == null
    error_message = "No boundary unless given, and nothing was replaced."
  }
}

run "null_also_means_the_account_has_no_role" {
  command = plan

  variables {
    current_cloudwatch_role_arn = null
  }

  assert {
    condition     = aws_api_gateway_account.this.cloudwatch_role_arn == aws_iam_role.cloudwatch.arn
    error_message = "null must be read as no role set."
  }
}

run "the_role_takes_the_callers_name_path_boundary_and_tags" {
  command = plan

  variables {
    role_name                 = "platform-apigw-logs-euw1"
    role_path                 = "/platform/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/estate-boundary"
    tags                      = { team = "platform" }
  }

  assert {
    condition     = aws_iam_role.cloudwatch.name == "platform-apigw-logs-euw1" && aws_iam_role.cloudwatch.path == "/platform/"
    error_message = "role_name and role_path must reach the role."
  }

  assert {
    condition     = aws_iam_role.cloudwatch.permissions_boundary == "arn:aws:iam::123456789012:policy/estate-boundary"
    error_message = "role_permissions_boundary must be the role's permissions boundary."
  }

  assert {
    condition     = aws_iam_role.cloudwatch.tags["team"] == "platform"
    error_message = "tags must reach the role."
  }
}

# The setting already names this module's role (a second apply, or an import): nothing is taken over.
run "its_own_role_is_not_another_role" {
  command = plan

  variables {
    role_path                   = "/platform/"
    current_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/platform/api-gateway-cloudwatch-logs-us-east-1"
  }

  assert {
    condition     = output.replaced_cloudwatch_role_arn == null
    error_message = "The module's own role (with its path) must not count as another role."
  }
}

run "another_role_already_set_is_refused" {
  command = plan

  variables {
    current_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/landing-zone/ApiGatewayCloudWatchLogs"
  }

  expect_failures = [aws_api_gateway_account.this]
}

run "another_role_is_replaced_only_when_told_to" {
  command = plan

  variables {
    current_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/landing-zone/ApiGatewayCloudWatchLogs"
    take_over_existing_role     = true
  }

  assert {
    condition     = aws_api_gateway_account.this.cloudwatch_role_arn == aws_iam_role.cloudwatch.arn
    error_message = "With take_over_existing_role the setting must name this module's role."
  }

  assert {
    condition     = output.replaced_cloudwatch_role_arn == "arn:aws:iam::123456789012:role/landing-zone/ApiGatewayCloudWatchLogs"
    error_message = "The replaced role must be reported, so it can be re-set after a destroy."
  }
}

run "a_current_setting_that_is_not_a_role_arn_is_refused" {
  command = plan

  variables {
    current_cloudwatch_role_arn = "None"
  }

  expect_failures = [var.current_cloudwatch_role_arn]
}

run "a_bad_path_is_refused" {
  command = plan

  variables {
    role_path = "platform"
  }

  expect_failures = [var.role_path]
}

run "a_path_with_the_delete_character_is_a_path_iam_accepts" {
  command = plan

  variables {
    role_path = "/team\u007F/"
  }

  assert {
    condition     = aws_iam_role.cloudwatch.path == "/team\u007F/"
    error_message = "IAM paths take ASCII '!' through DEL (CreateRole's Path), as the root's iam_role_path does."
  }
}

run "a_bad_boundary_is_refused" {
  command = plan

  variables {
    role_permissions_boundary = "estate-boundary"
  }

  expect_failures = [var.role_permissions_boundary]
}

run "a_role_name_over_iams_limit_is_refused" {
  command = plan

  variables {
    role_name = "a-role-name-that-is-far-too-long-for-iam-whose-limit-is-64-characters"
  }

  expect_failures = [var.role_name]
}
