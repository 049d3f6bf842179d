# The root's analytics wiring with the mocked aws provider: the module is on by default and names its database,
# workgroup, tables and views from the prefix; the analyst policy names the stack's bucket and data key; and
# analytics_enabled = false leaves it all out. (The inputs' effect on resources inside the modules is read from
# the root's mocked plan: tests/terraform/test_glue_tables.py.)

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name_prefix                     = "acme-test"
  lambda_package_dir              = "../.build/terraform-test-packages"
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
}

run "analytics_is_on_by_default_and_named_from_the_prefix" {
  command = plan

  assert {
    condition     = output.analytics_database_name == "acme_test_reports" && output.athena_workgroup_name == "acme-test-analytics"
    error_message = "The database and workgroup must be named from the prefix."
  }

  assert {
    condition     = contains(output.analytics_table_names.tables, "all_orders") && contains(output.analytics_table_names.views, "all_orders_latest")
    error_message = "The curated tables and their latest views must be listed."
  }

  assert {
    condition = alltrue([
      strcontains(output.analyst_policy_json, output.data_kms_key_arn),
      # The bucket's ARN is the mocked one (tests/mocks), its name the planned one.
      strcontains(output.analyst_policy_json, "arn:aws:s3:::mock-bucket/curated/*"),
    ])
    error_message = "The analyst policy must name the stack's data key and its bucket's curated prefix."
  }
}

run "the_database_name_can_be_given" {
  command = plan

  variables {
    analytics_database_name = "acme_curated"
  }

  assert {
    condition     = output.analytics_database_name == "acme_curated"
    error_message = "analytics_database_name must name the database."
  }
}

run "analytics_disabled_creates_none_of_it" {
  command = plan

  variables {
    analytics_enabled = false
  }

  assert {
    condition = (
      output.analytics_database_name == null && output.athena_workgroup_name == null && output.analyst_policy_json == null &&
      length(output.analytics_table_names.tables) == 0 && length(output.analytics_table_names.views) == 0
    )
    error_message = "With analytics_enabled = false there is no database, workgroup, table, view or analyst policy."
  }
}

run "an_analyst_given_as_a_wildcard_is_refused" {
  command = plan

  variables {
    analyst_principal_arns = ["arn:aws:iam::123456789012:role/analysts-*"]
  }

  expect_failures = [var.analyst_principal_arns]
}
