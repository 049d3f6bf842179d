# The report converter with the mocked aws provider: its place in the workflow, its sizing and the variables that
# tune it, its least-privilege statements and the conversion alarm. Run by scripts/terraform_checks.py.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name_prefix        = "acme-test"
  lambda_package_dir = "../.build/terraform-test-packages"
  # The account's API Gateway CloudWatch role, as an estate passes it (api_gateway_account.tf's check).
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  notification_email              = "reports@example.com"
}

run "the_converter_is_a_workflow_function_sized_for_a_gibibyte_document" {
  command = plan

  assert {
    condition     = output.function_names["report_converter"] == "acme-test-report-converter" && local.functions.report_converter.task == "convert"
    error_message = "The converter is the workflow's convert task, named after it."
  }

  assert {
    condition = (
      local.function_settings["report_converter"].memory_size == 2048
      && local.function_settings["report_converter"].timeout == 900
      && local.function_settings["report_converter"].ephemeral_storage_mb == 1024
      && local.function_settings["report_storer"].ephemeral_storage_mb == 512
    )
    error_message = "By default the converter gets 2048 MB, 900 s and 1024 MB of /tmp; the others Lambda's 512 MB of /tmp."
  }

  assert {
    condition     = toset(keys(local.function_environment["report_converter"])) == toset(["REPORTS_TABLE_NAME", "REPORTS_KMS_KEY_ID"])
    error_message = "The converter's environment differs from its handler's contract (src/sp_reports/handlers/report_converter.py)."
  }
}

run "the_converters_sizing_is_tuned_from_the_root" {
  command = plan

  variables {
    lambda_memory_sizes            = { report_converter = 4096 }
    lambda_timeouts                = { report_converter = 600 }
    lambda_ephemeral_storage_sizes = { report_converter = 4096 }
  }

  assert {
    condition     = local.function_settings["report_converter"].memory_size == 4096 && local.function_settings["report_converter"].timeout == 600 && local.function_settings["report_converter"].ephemeral_storage_mb == 4096
    error_message = "lambda_memory_sizes, lambda_timeouts and lambda_ephemeral_storage_sizes must reach the converter."
  }
}

run "ephemeral_storage_is_only_for_workflow_functions_within_lambdas_range" {
  command = plan

  variables {
    lambda_ephemeral_storage_sizes = { report_creator = 1024, report_converter = 100 }
  }

  expect_failures = [var.lambda_ephemeral_storage_sizes]
}

run "the_converter_reads_stored_reports_and_writes_curated_files_only" {
  command = plan

  assert {
    condition = [for s in local.function_policy_statements["report_converter"] : s.Sid] == [
      "RecordReportConversions", "ReadStoredReportDocuments", "WriteStagedParquetFiles", "PublishCuratedParquetFiles",
      "UseDataKeyOnlyThroughItsServices",
    ]
    error_message = "The converter must hold exactly its record, read, staging, publishing and data key statements."
  }

  assert {
    condition = (
      one([for s in local.function_policy_statements["report_converter"] : s.Resource if s.Sid == "ReadStoredReportDocuments"]) == "${module.storage.reports_bucket_arn}/*/report.*"
      && one([for s in local.function_policy_statements["report_converter"] : s.Resource if s.Sid == "WriteStagedParquetFiles"]) == "${module.storage.reports_bucket_arn}/curated-staging/*"
      && one([for s in local.function_policy_statements["report_converter"] : s.Resource if s.Sid == "PublishCuratedParquetFiles"]) == "${module.storage.reports_bucket_arn}/curated/*"
      && toset(one([for s in local.function_policy_statements["report_converter"] : s.Action if s.Sid == "PublishCuratedParquetFiles"])) == toset(["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"])
    )
    error_message = "The converter reads stored reports only and writes under curated-staging/ and curated/ only."
  }

  assert {
    condition     = !contains(flatten([for s in local.function_policy_statements["report_converter"] : s.Action if s.Sid == "PublishCuratedParquetFiles"]), "s3:DeleteObject")
    error_message = "Nothing under curated/ is deleted by the converter."
  }
}

run "rejected_conversions_and_conversion_problems_raise_an_alarm" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.report_conversion_problems.threshold == 0
      && aws_cloudwatch_metric_alarm.report_conversion_problems.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.report_conversion_problems.treat_missing_data == "notBreaching"
      && toset([for q in aws_cloudwatch_metric_alarm.report_conversion_problems.metric_query : q.metric[0].metric_name if length(q.metric) > 0]) == toset(["ConversionRejected", "ConversionProblems", "ConversionFailed"])
      && alltrue([for q in aws_cloudwatch_metric_alarm.report_conversion_problems.metric_query : q.metric[0].namespace == var.metrics_namespace && q.metric[0].dimensions == tomap({ service = "acme-test" }) if length(q.metric) > 0])
    )
    error_message = "ConversionRejected, ConversionProblems or ConversionFailed of the functions' service must raise the alarm."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.report_conversion_problems.alarm_actions) == 1 && output.report_conversion_alarm_name == "acme-test-report-conversion-problems"
    error_message = "The alarm must notify the report topic and be named after the stack."
  }
}

run "conversion_is_on_by_default_and_can_be_switched_off" {
  command = plan

  assert {
    condition     = var.report_conversion_enabled && contains(module.state_machine.workflow_state_names, "ConvertReport")
    error_message = "By default the workflow converts each stored DONE report (ConvertReport)."
  }
}

run "switched_off_the_workflow_stores_and_announces_without_converting" {
  command = plan

  variables {
    report_conversion_enabled = false
  }

  assert {
    condition     = !contains(module.state_machine.workflow_state_names, "ConvertReport") && contains(module.state_machine.workflow_state_names, "StoreReport")
    error_message = "report_conversion_enabled = false must leave ConvertReport out of the workflow."
  }
}
