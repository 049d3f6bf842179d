# The complete example planned with the mocked aws provider (terraform test keeps state in memory: the S3
# backend is not contacted).

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  lambda_package_dir = "../../../.build/terraform-test-packages"
  notification_email = "reports@example.com"
}

run "the_complete_stack_plans" {
  command = plan

  assert {
    condition     = startswith(output.reports_bucket_name, "sp-reports-reports-")
    error_message = "The complete example must plan the whole stack."
  }
}
