# The root deployed from a release in S3 (lambda_artifacts_s3_bucket and lambda_artifacts_s3_prefix;
# docs/releases.md) with the mocked aws provider: the release's manifest.json (override_data below, as
# scripts/release.py writes it) gives every function its key and hash, nothing local is read, and the plan
# refuses a release that does not fit. lambda_package_dir stays null here: setting it beside a release is
# refused. tests/terraform/test_release_artifacts.py plans this file in a copy of terraform/ with no .build
# directory anywhere, as a git module source has it, to prove no file function runs in this mode.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# A first deployment as AWS plans it: every ARN unknown until apply (fresh_plan.tftest.hcl).
mock_provider "aws" {
  alias  = "fresh"
  source = "./tests/mocks"
}

variables {
  # The account's API Gateway CloudWatch role (account-wide, the estate's): without it the plan's check fails.
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  name_prefix                     = "acme-test"
  lambda_artifacts_s3_bucket      = "acme-releases-us-east-1"
  lambda_artifacts_s3_prefix      = "sp-reports/1.2.0"
  # More than S3's 10 tags per object: a release deployment uploads no object, so they are no problem.
  tags = { for i in range(12) : "estate-tag-${i}" => "value-${i}" }
}

# The release's manifest: each function's zip with a hash of its own, for python3.13/x86_64 (the defaults).
override_data {
  target = data.aws_s3_object.lambda_release_manifest
  values = {
    content_type = "application/json"
    body         = <<-EOT
      {
        "architecture": "x86_64",
        "bytecode": {
          "cache_tag": "cpython-313",
          "magic": "f30d0d0a",
          "python": "3.13.0"
        },
        "functions": {
          "notifications_processor": {
            "architecture": "x86_64",
            "base64_sha256": "MPWm4vknIKmpI9j5j2fz/yC14Tkdn73A9SWx85DI9dU=",
            "file": "notifications_processor.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "30f5a6e2f92720a9a923d8f98f67f3ff20b5e1391d9fbdc0f525b1f390c8f5d5",
            "size": 1048576
          },
          "notifications_subscriber": {
            "architecture": "x86_64",
            "base64_sha256": "6PqPc9VxWX7eFM3TDJwh1ouZlrUK3qAqifNrSML2GgM=",
            "file": "notifications_subscriber.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "e8fa8f73d571597ede14cdd30c9c21d68b9996b50adea02a89f36b48c2f61a03",
            "size": 1048576
          },
          "plans_api": {
            "architecture": "x86_64",
            "base64_sha256": "WlMjRNi/q+pGhCSXQbm3fl891HFLLAkX1/XoEQ1uPFM=",
            "file": "plans_api.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "5a532344d8bfabea4684249741b9b77e5f3dd4714b2c0917d7f5e8110d6e3c53",
            "size": 1048576
          },
          "report_creator": {
            "architecture": "x86_64",
            "base64_sha256": "COj3jq+B4hxbI45oDaCBc60BVkclzFUuVW6aUGMGeKA=",
            "file": "report_creator.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "08e8f78eaf81e21c5b238e680da08173ad01564725cc552e556e9a50630678a0",
            "size": 1048576
          },
          "report_notifier": {
            "architecture": "x86_64",
            "base64_sha256": "kSPG4tSTy52kK0rwl7KfM6qeCGveXfjvvgfp/eJy7GU=",
            "file": "report_notifier.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "9123c6e2d493cb9da42b4af097b29f33aa9e086bde5df8efbe07e9fde272ec65",
            "size": 1048576
          },
          "report_status": {
            "architecture": "x86_64",
            "base64_sha256": "iUbDXSeZ7skDC/gVa67QNHjlDeXHZn+ascOEKepy9Vs=",
            "file": "report_status.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "8946c35d2799eec9030bf8156baed03478e50de5c7667f9ab1c38429ea72f55b",
            "size": 1048576
          },
          "report_storer": {
            "architecture": "x86_64",
            "base64_sha256": "49tSWnKShnAdpzdxlAOMdUymUbYifgIFjVQEPKbi5Fw=",
            "file": "report_storer.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "e3db525a729286701da7377194038c754ca651b6227e02058d54043ca6e2e45c",
            "size": 1048576
          },
          "report_converter": {
            "architecture": "x86_64",
            "base64_sha256": "XXimVW01fDmMvIbGRGQji4+xb0Itwt90xG9uxOVouZg=",
            "file": "report_converter.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "5d78a6556d357c398cbc86c64464238b8fb16f422dc2df74c46f6ec4e568b998",
            "size": 1048576
          },
          "pull_planner": {
            "architecture": "x86_64",
            "base64_sha256": "Q65FUOYolUTU6/6o6qPv597JV6Sq8NRZ43u7j+CmmZE=",
            "file": "pull_planner.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "43ae4550e6289544d4ebfea8eaa3efe7dec957a4aaf0d459e37bbb8fe0a69991",
            "size": 1048576
          },
          "report_sweeper": {
            "architecture": "x86_64",
            "base64_sha256": "opflBBZw9hz9fZRk+m6/YYkb5VjkKXq95LPyldJy1fI=",
            "file": "report_sweeper.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "a297e5041670f61cfd7d9464fa6ebf61891be558e4297abde4b3f295d272d5f2",
            "size": 1048576
          },
          "seller_eraser": {
            "architecture": "x86_64",
            "base64_sha256": "Btz8aCd8pgi5Ko+uaYG72MFpqxgt+eDQJUpLRW/LFnU=",
            "file": "seller_eraser.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "06dcfc68277ca608b92a8fae6981bbd8c169ab182df9e0d0254a4b456fcb1675",
            "size": 1048576
          },
          "token_storage": {
            "architecture": "x86_64",
            "base64_sha256": "xCtZeZH9NAeDpYlFApXCXxLcJHTaA4NgileSRU36SBU=",
            "file": "token_storage.zip",
            "python": "3.13.0",
            "runtime": "python3.13",
            "sha256": "c42b597991fd340783a589450295c25f12dc2474da0383608a5792454dfa4815",
            "size": 1048576
          }
        },
        "runtime": "python3.13",
        "version": "1.2.0"
      }
      EOT
  }
}

run "every_function_takes_its_key_and_hash_from_the_release_manifest" {
  command = plan

  assert {
    condition     = length(local.function_settings) == 12 && alltrue([for f, settings in local.function_settings : settings.package.s3_bucket == "acme-releases-us-east-1"])
    error_message = "Every function must be deployed from the release's bucket."
  }

  assert {
    condition     = alltrue([for f, settings in local.function_settings : settings.package.s3_key == "sp-reports/1.2.0/${f}.zip"])
    error_message = "Each function's key must be <prefix>/<the file its manifest entry names>."
  }

  assert {
    condition     = alltrue([for f, settings in local.function_settings : settings.package.source_sha256 == base64sha256("release 1.2.0 ${f}")])
    error_message = "Each function's source_code_hash must be its manifest entry's base64_sha256."
  }

  assert {
    condition     = output.lambda_artifacts_release_version == "1.2.0"
    error_message = "The release version must be the manifest's."
  }
}

# The manifest is read while planning even when nothing exists yet: the plan shows the code it deploys, the same
# on every machine that plans it.
run "a_first_deployment_plans_the_release_hashes" {
  command = plan

  providers = {
    aws = aws.fresh
  }

  assert {
    condition     = alltrue([for f, settings in local.function_settings : settings.package.source_sha256 == base64sha256("release 1.2.0 ${f}")])
    error_message = "The release's hashes must be known at plan time on a first deployment."
  }
}

run "a_release_deployment_has_no_artifacts_bucket_and_uploads_nothing" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket.artifacts) == 0 && length(aws_s3_bucket_policy.artifacts) == 0 && length(aws_s3_object.lambda) == 0
    error_message = "With the code in a release, the stack must create no artifacts bucket and upload no zip."
  }

  assert {
    condition     = output.artifacts_bucket_name == null
    error_message = "artifacts_bucket_name must be null when there is no artifacts bucket."
  }
}

run "a_trailing_slash_on_the_prefix_makes_the_same_keys" {
  command = plan

  variables {
    lambda_artifacts_s3_prefix = "sp-reports/1.2.0/"
  }

  assert {
    condition     = local.function_settings["report_storer"].package.s3_key == "sp-reports/1.2.0/report_storer.zip"
    error_message = "A prefix ending in / must not double the slash."
  }
}

run "a_release_for_another_runtime_is_refused" {
  command = plan

  variables {
    lambda_runtime = "python3.12"
  }

  expect_failures = [terraform_data.lambda_release]
}

run "a_release_for_another_architecture_is_refused" {
  command = plan

  variables {
    lambda_architecture = "arm64"
  }

  expect_failures = [terraform_data.lambda_release]
}

run "a_release_without_one_of_the_functions_is_refused" {
  command = plan

  override_data {
    target = data.aws_s3_object.lambda_release_manifest
    values = {
      content_type = "application/json"
      body         = <<-EOT
        {
          "architecture": "x86_64",
          "bytecode": {
            "cache_tag": "cpython-313",
            "magic": "f30d0d0a",
            "python": "3.13.0"
          },
          "functions": {
            "notifications_processor": {
              "architecture": "x86_64",
              "base64_sha256": "ZqPFZZ8XM58Nf3KbgGWDktd+YVWIzxEvFeuVxL4bgq0=",
              "file": "notifications_processor.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "66a3c5659f17339f0d7f729b80658392d77e615588cf112f15eb95c4be1b82ad",
              "size": 1048576
            },
            "notifications_subscriber": {
              "architecture": "x86_64",
              "base64_sha256": "wBrpBmqlSCiW1QqUIYAFcYBrzsNk5yKhveCIZchfB68=",
              "file": "notifications_subscriber.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "c01ae9066aa5482896d50a9421800571806bcec364e722a1bde08865c85f07af",
              "size": 1048576
            },
            "plans_api": {
              "architecture": "x86_64",
              "base64_sha256": "WlMjRNi/q+pGhCSXQbm3fl891HFLLAkX1/XoEQ1uPFM=",
              "file": "plans_api.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "5a532344d8bfabea4684249741b9b77e5f3dd4714b2c0917d7f5e8110d6e3c53",
              "size": 1048576
            },
            "report_creator": {
              "architecture": "x86_64",
              "base64_sha256": "PdNAJr/6QtHhIVfbhSF+B80e4WmXZbO5ARonnwON65s=",
              "file": "report_creator.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "3dd34026bffa42d1e12157db85217e07cd1ee1699765b3b9011a279f038deb9b",
              "size": 1048576
            },
            "report_notifier": {
              "architecture": "x86_64",
              "base64_sha256": "1a06gnvMn4kVLf+EDyGVvlPEHzAH6LMS8gJWvBMGyIM=",
              "file": "report_notifier.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "d5ad3a827bcc9f89152dff840f2195be53c41f3007e8b312f20256bc1306c883",
              "size": 1048576
            },
            "report_status": {
              "architecture": "x86_64",
              "base64_sha256": "WeUtN7GS3s7L8lnr9kb+AyOf1O+D7SkXT0mytPDX9cU=",
              "file": "report_status.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "59e52d37b192dececbf259ebf646fe03239fd4ef83ed29174f49b2b4f0d7f5c5",
              "size": 1048576
            },
            "report_storer": {
              "architecture": "x86_64",
              "base64_sha256": "EeBk6XXOQ8z+glAhBQhJijnHWUqo6lfbi34SQbkI+Fg=",
              "file": "report_storer.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "11e064e975ce43ccfe8250210508498a39c7594aa8ea57db8b7e1241b908f858",
              "size": 1048576
            },
            "report_converter": {
              "architecture": "x86_64",
              "base64_sha256": "XXimVW01fDmMvIbGRGQji4+xb0Itwt90xG9uxOVouZg=",
              "file": "report_converter.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "5d78a6556d357c398cbc86c64464238b8fb16f422dc2df74c46f6ec4e568b998",
              "size": 1048576
            },
            "token_storage": {
              "architecture": "x86_64",
              "base64_sha256": "lE0f/KpNDGrvrjCEyoZ+3DdmKZguJ3r3WvNIGHKEis0=",
              "file": "token_storage.zip",
              "python": "3.13.0",
              "runtime": "python3.13",
              "sha256": "944d1ffcaa4d0c6aefae3084ca867edc376629982e277af75af3481872848acd",
              "size": 1048576
            }
          },
          "runtime": "python3.13",
          "version": "1.1.0"
        }
        EOT
    }
  }

  expect_failures = [terraform_data.lambda_release]
}

# What the data source gives for an object uploaded as binary/octet-stream: no body.
run "a_manifest_terraform_cannot_read_is_refused" {
  command = plan

  override_data {
    target = data.aws_s3_object.lambda_release_manifest
    values = {
      content_type = "binary/octet-stream"
      body         = null
    }
  }

  expect_failures = [data.aws_s3_object.lambda_release_manifest]
}

run "a_release_and_a_package_dir_together_are_refused" {
  command = plan

  variables {
    lambda_package_dir = "../.build/terraform-test-packages"
  }

  expect_failures = [var.lambda_artifacts_s3_bucket]
}

run "a_bucket_without_a_prefix_is_refused" {
  command = plan

  variables {
    lambda_artifacts_s3_prefix = null
  }

  expect_failures = [var.lambda_artifacts_s3_bucket]
}

run "a_bucket_name_s3_would_refuse_is_refused" {
  command = plan

  variables {
    lambda_artifacts_s3_bucket = "Releases_Bucket"
  }

  expect_failures = [var.lambda_artifacts_s3_bucket]
}

run "a_prefix_with_a_leading_slash_is_refused" {
  command = plan

  variables {
    lambda_artifacts_s3_prefix = "/sp-reports/1.2.0"
  }

  expect_failures = [var.lambda_artifacts_s3_prefix]
}
