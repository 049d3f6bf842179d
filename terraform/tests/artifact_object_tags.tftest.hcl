# artifact_object_tags, the tags of the Lambda zips the stack uploads (code from lambda_package_dir), with the
# mocked aws provider: S3 allows 10 tags per object, so the zips carry these and not the stack's `tags`, which
# may be more (here 12, as an estate's may be).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  # The account's API Gateway CloudWatch role (account-wide, the estate's): without it the plan's check fails.
  api_gateway_cloudwatch_role_arn = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"
  name_prefix                     = "acme-test"
  lambda_package_dir              = "../.build/terraform-test-packages"
  tags                            = { for i in range(12) : "estate-tag-${i}" => "value-${i}" }
}

run "the_zips_carry_the_artifact_object_tags_and_the_bucket_the_stack_tags" {
  command = plan

  variables {
    artifact_object_tags = { CostCentre = "cc-42", DataClass = "internal" }
  }

  assert {
    condition     = length(aws_s3_object.lambda) == 12 && alltrue([for o in aws_s3_object.lambda : o.tags == tomap({ CostCentre = "cc-42", DataClass = "internal" })])
    error_message = "Every zip must carry artifact_object_tags, and nothing of the stack's tags."
  }

  assert {
    condition     = aws_s3_bucket.artifacts[0].tags == var.tags
    error_message = "The artifacts bucket itself keeps the stack's tags (a bucket takes 50)."
  }
}

run "by_default_the_zips_carry_no_tags_of_their_own" {
  command = plan

  assert {
    condition     = alltrue([for o in aws_s3_object.lambda : length(coalesce(o.tags, {})) == 0])
    error_message = "Without artifact_object_tags the zips must carry no tags (the stack's 12 would fail the upload)."
  }
}

run "more_than_ten_artifact_object_tags_are_refused" {
  command = plan

  variables {
    artifact_object_tags = { for i in range(11) : "tag-${i}" => "value" }
  }

  expect_failures = [var.artifact_object_tags]
}

run "an_artifact_object_tag_s3_would_refuse_is_refused" {
  command = plan

  variables {
    artifact_object_tags = { "aws:reserved" = "value" }
  }

  expect_failures = [var.artifact_object_tags]
}

run "the_artifacts_bucket_empties_itself_on_destroy_even_with_deletion_protection" {
  command = plan

  variables {
    deletion_protection = true
  }

  assert {
    condition     = aws_s3_bucket.artifacts[0].force_destroy
    error_message = "The artifacts bucket holds only rebuildable zips: a stack moving to a release (count 0) must be able to delete it."
  }
}
