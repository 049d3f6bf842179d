# Queue module with the mocked aws provider: encryption, redrive, the SP-API principal, the visibility rule
# and the event source mapping.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

override_resource {
  target          = aws_sqs_queue.dlq
  override_during = plan
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications-dlq"
    id  = "https://sqs.us-east-1.amazonaws.com/123456789012/acme-test-notifications-dlq"
  }
}

variables {
  name_prefix = "acme-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  processor = {
    handler = "sp_reports.handlers.notifications_processor.handler"
    timeout = 60
    package = {
      s3_bucket     = "acme-test-artifacts"
      s3_key        = "lambda/notifications_processor/0000.zip"
      source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    }
  }
}

run "queues_are_named_and_encrypted_with_the_key" {
  command = plan

  assert {
    condition     = aws_sqs_queue.this.name == "acme-test-notifications" && aws_sqs_queue.dlq.name == "acme-test-notifications-dlq"
    error_message = "Queue names must carry the prefix."
  }

  assert {
    condition     = aws_sqs_queue.this.kms_master_key_id == var.kms_key_arn && aws_sqs_queue.dlq.kms_master_key_id == var.kms_key_arn
    error_message = "Both queues must be encrypted with the customer-managed key (SP-API cannot use alias/aws/sqs)."
  }

  assert {
    condition     = !aws_sqs_queue.this.fifo_queue
    error_message = "The SP-API destination must be a Standard queue: FIFO queues receive nothing."
  }
}

run "failed_messages_are_redriven_to_the_dlq" {
  command = plan

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).deadLetterTargetArn == "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications-dlq"
    error_message = "The queue must redrive to its DLQ."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 5
    error_message = "Messages must move to the DLQ after max_receive_count deliveries."
  }
}

run "only_spapi_may_send_and_only_over_tls" {
  command = plan

  assert {
    condition     = alltrue([for s in jsondecode(aws_sqs_queue.this.policy).Statement : s.Resource == "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications"])
    error_message = "The queue policy must be about this queue."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_sqs_queue.this.policy).Statement : s
      if s.Effect == "Allow" && try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
      && toset(flatten([s.Action])) == toset(["sqs:SendMessage", "sqs:GetQueueAttributes"])
    ]) == 1
    error_message = "SP-API's account 437568002678 must be allowed SendMessage and GetQueueAttributes."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_sqs_queue.this.policy).Statement : try(s.Principal.AWS, "") == "arn:aws:iam::437568002678:root"
      if s.Effect == "Allow"
    ])
    error_message = "Nobody but SP-API may be allowed by the queue policy."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_sqs_queue.this.policy).Statement : s
      if s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
    ]) == 1
    error_message = "The queue policy must deny requests without TLS."
  }
}

run "visibility_timeout_defaults_to_six_times_the_processor_timeout" {
  command = plan

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 360
    error_message = "The visibility timeout must default to 6x the processor timeout."
  }
}

run "a_visibility_timeout_below_six_processor_timeouts_is_rejected" {
  command = plan

  variables {
    visibility_timeout_seconds = 120
  }

  expect_failures = [aws_sqs_queue.this]
}

run "the_processor_reports_partial_batch_failures" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.processor.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The event source mapping must use partial batch responses."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.processor.batch_size == 10
    error_message = "The default batch size is 10."
  }

  assert {
    condition     = output.processor_function_name == "acme-test-notifications-processor"
    error_message = "The processor name must carry the prefix."
  }
}

run "a_zero_batch_size_is_rejected" {
  command = plan

  variables {
    batch_size = 0
  }

  expect_failures = [var.batch_size]
}

run "maximum_concurrency_becomes_the_mappings_scaling_config" {
  command = plan

  variables {
    maximum_concurrency = 5
  }

  assert {
    condition     = aws_lambda_event_source_mapping.processor.scaling_config[0].maximum_concurrency == 5
    error_message = "maximum_concurrency must become the event source mapping's ScalingConfig.MaximumConcurrency."
  }
}

run "a_maximum_concurrency_beyond_lambdas_range_is_rejected" {
  command = plan

  variables {
    maximum_concurrency = 1001
  }

  expect_failures = [var.maximum_concurrency]
}

# The event source mapping ignores reserved concurrency: a reservation without a cap within it throttles
# notifications back to the queue and into the DLQ.
run "a_processor_reservation_without_a_mapping_cap_is_rejected" {
  command = plan

  variables {
    processor = {
      handler                        = "sp_reports.handlers.notifications_processor.handler"
      timeout                        = 60
      reserved_concurrent_executions = 5
      package                        = { s3_bucket = "acme-test-artifacts", s3_key = "lambda/notifications_processor/0000.zip", source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
    }
  }

  expect_failures = [aws_lambda_event_source_mapping.processor]
}

run "a_mapping_cap_above_the_processor_reservation_is_rejected" {
  command = plan

  variables {
    maximum_concurrency = 10
    processor = {
      handler                        = "sp_reports.handlers.notifications_processor.handler"
      timeout                        = 60
      reserved_concurrent_executions = 5
      package                        = { s3_bucket = "acme-test-artifacts", s3_key = "lambda/notifications_processor/0000.zip", source_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
    }
  }

  expect_failures = [aws_lambda_event_source_mapping.processor]
}

# The processor gets a role of its own; that it may consume this queue, ahead of the caller's statements, is
# checked on the root's plan (tests/terraform/test_function_roles.py: a module test cannot read a nested
# module's resources).
run "the_processor_runs_as_a_role_of_its_own" {
  command = plan

  assert {
    condition     = module.processor.function_role_name == "acme-test-notifications-processor"
    error_message = "The processor's role is named like the processor."
  }
}

run "queue_arns_from_names_match_the_queues" {
  command = plan

  assert {
    condition     = output.queue_arns_from_names == { queue = "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications", dlq = "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications-dlq" }
    error_message = "The ARNs built from the names must be the queues' ARNs (the DLQ's is overridden with its real ARN above)."
  }

  assert {
    condition     = output.queue_arns_from_names.dlq == aws_sqs_queue.dlq.arn
    error_message = "The DLQ ARN built from its name must equal the DLQ's ARN."
  }
}

# CreateEventSourceMapping refuses BatchSize > 10 with MaximumBatchingWindowInSeconds 0; 10 with 0 and 11 with 1
# are accepted.
run "a_batch_above_10_without_a_batching_window_is_rejected" {
  command = plan

  variables {
    batch_size                      = 11
    maximum_batching_window_seconds = 0
  }

  expect_failures = [var.batch_size]
}

run "a_batch_above_10_with_a_batching_window_is_accepted" {
  command = plan

  variables {
    batch_size                      = 11
    maximum_batching_window_seconds = 1
  }

  assert {
    condition     = aws_lambda_event_source_mapping.processor.batch_size == 11 && aws_lambda_event_source_mapping.processor.maximum_batching_window_in_seconds == 1
    error_message = "A batch above 10 with a batching window of at least 1 second is valid."
  }
}

run "test_sender_roles_may_only_send" {
  command = plan

  variables {
    test_sender_role_arns = ["arn:aws:iam::123456789012:role/acme-test-spapi-emulator"]
  }

  assert {
    condition = [for s in jsondecode(aws_sqs_queue.this.policy).Statement : s if try(s.Principal.AWS, "") != "arn:aws:iam::437568002678:root" && s.Effect == "Allow"] == [{
      Sid       = "TestSendersSendNotifications"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::123456789012:role/acme-test-spapi-emulator"] }
      Action    = "sqs:SendMessage"
      Resource  = "arn:aws:sqs:us-east-1:123456789012:acme-test-notifications"
    }]
    error_message = "A test sender role may send to this queue and do nothing else."
  }
}

run "a_test_sender_that_is_not_a_role_is_rejected" {
  command = plan

  variables {
    test_sender_role_arns = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.test_sender_role_arns]
}
