# The complete example planned with the mocked aws provider (terraform test keeps state in memory: the S3
# backend is not contacted), from a release whose manifest the mocked S3 serves. tests/terraform/
# test_examples.py plans it with the manifest scripts/release.py writes; this one is written by hand.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  release_bucket     = "acme-releases-eu-west-1"
  release_version    = "1.0.0"
  notification_email = "reports@example.com"

  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/landing-zone/apigateway-cloudwatch-logs"
}

override_data {
  target = module.sp_reports.data.aws_s3_object.lambda_release_manifest
  values = {
    content_type = "application/json"
    body         = <<-EOT
      {
        "version": "1.0.0",
        "runtime": "python3.13",
        "architecture": "x86_64",
        "functions": {
          "token_storage": {
            "file": "token_storage.zip",
            "base64_sha256": "uFAUCGvYz2lxITZv6+pFecE4UT4eAezGvkrfIleBjOs=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "notifications_subscriber": {
            "file": "notifications_subscriber.zip",
            "base64_sha256": "VSM8UjdsOaCjF30v254lyzQa0FxvRKLTmhdVoO97fEY=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "plans_api": {
            "file": "plans_api.zip",
            "base64_sha256": "pcV83RTi1qK6rY3rniuJQmxAjCLEDj/gmFabHIyVVN0=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "report_creator": {
            "file": "report_creator.zip",
            "base64_sha256": "762V2zBdegW/nRffguoqQbrjWIp59oR7cvrTtY/XPD8=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "report_status": {
            "file": "report_status.zip",
            "base64_sha256": "YHHti2oIPV8xG9JNiu3dcPpWFSvOyBkLdpal+/6edTk=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "notifications_processor": {
            "file": "notifications_processor.zip",
            "base64_sha256": "P655cB1yAngMwk88VHTJy6C+hK608NCmN9VqfhDlyhw=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "report_converter": {
            "file": "report_converter.zip",
            "base64_sha256": "T2yPk7rAcF0+1Jm2a9eR4fgK3sWqVb8nZc1uHx5dE0A=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "report_storer": {
            "file": "report_storer.zip",
            "base64_sha256": "fYJsCx4ven1c7ZvWzk+Xdwq7TMKSjwu8Bn+QfSm8UTg=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "report_notifier": {
            "file": "report_notifier.zip",
            "base64_sha256": "gv+nWuRJNEmd6y6fcFPaAksKQc7uW9stwa1437cZbU8=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "pull_planner": {
            "file": "pull_planner.zip",
            "base64_sha256": "ZqxD+IVlobmgyJtOx2bjRFJ6/gomWGKCvynAct3dSsg=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "report_sweeper": {
            "file": "report_sweeper.zip",
            "base64_sha256": "LBnXH+lPnfoxBDeLjhvbqLjPzoQShnanT92DVq0QwIU=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          },
          "seller_eraser": {
            "file": "seller_eraser.zip",
            "base64_sha256": "YenlANO/MD36mvRrDxSH+W+dlYLIz/ydY8bTm76gMyc=",
            "runtime": "python3.13",
            "architecture": "x86_64"
          }
        }
      }
      EOT
  }
}

run "the_complete_stack_plans_from_the_release" {
  command = plan

  assert {
    condition     = startswith(output.reports_bucket_name, "sp-reports-reports-")
    error_message = "The complete example must plan the whole stack."
  }

  assert {
    condition     = output.region == "us-east-1"
    error_message = "The stack's region must be its provider's."
  }
}
