"""SQS event source mappings: one invocation per batch, partial batch failures, redrive to the DLQ."""

from __future__ import annotations

import json
import time

import pytest

from sp_reports_harness.local_aws.awslambda.sqs_poller import batch_outcome

RECORDS = [
    {"messageId": "m1", "receiptHandle": "h1"},
    {"messageId": "m2", "receiptHandle": "h2"},
    {"messageId": "m3", "receiptHandle": "h3"},
]


def test_reported_item_failures_keep_only_those_messages():
    outcome = batch_outcome(
        RECORDS, errored=False, payload={"batchItemFailures": [{"itemIdentifier": "m2"}]}, partial=True
    )
    assert outcome.delete == ["h1", "h3"]
    assert outcome.failed_message_ids == ["m2"]


@pytest.mark.parametrize("payload", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}])
def test_empty_answers_mean_the_whole_batch_succeeded(payload):
    assert batch_outcome(RECORDS, errored=False, payload=payload, partial=True).delete == ["h1", "h2", "h3"]


@pytest.mark.parametrize(
    "payload",
    [
        {"batchItemFailures": [{"itemIdentifier": "unknown"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"id": "m1"}]},
        "not json",
    ],
)
def test_invalid_failure_reports_fail_the_whole_batch(payload):
    outcome = batch_outcome(RECORDS, errored=False, payload=payload, partial=True)
    assert outcome.delete == []
    assert outcome.failed_message_ids == ["m1", "m2", "m3"]


def test_function_error_fails_the_whole_batch_and_reports_are_ignored_without_the_response_type():
    assert batch_outcome(RECORDS, errored=True, payload=None, partial=True).delete == []
    report = {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert batch_outcome(RECORDS, errored=False, payload=report, partial=False).delete == ["h1", "h2", "h3"]


def _queue_with_dlq(local_aws, max_receive_count: int = 2) -> tuple[str, str, str]:
    sqs = local_aws.boto3_client("sqs")
    dlq_url = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    queue_url = sqs.create_queue(
        QueueName="events", Attributes={"VisibilityTimeout": "1", "RedrivePolicy": redrive}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return queue_url, queue_arn, dlq_url


def _wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _count(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_poison_message_alone_is_retried_then_moved_to_the_dlq(local_aws, create_function):
    sqs = local_aws.boto3_client("sqs")
    queue_url, queue_arn, dlq_url = _queue_with_dlq(local_aws)
    create_function("batch", "sqs_batch")
    for body in ("good 1", "poison", "good 2"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    local_aws.boto3_client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName="batch",
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )

    _wait_for(lambda: _count(sqs, dlq_url) == 1)
    assert _count(sqs, queue_url) == 0
    dead = sqs.receive_message(QueueUrl=dlq_url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [message["Body"] for message in dead] == ["poison"]


def test_sendmessage_no_longer_invokes_the_function_inline(local_aws, create_function):
    sqs = local_aws.boto3_client("sqs")
    queue_url, queue_arn, _ = _queue_with_dlq(local_aws)
    create_function("batch", "sqs_batch")
    mapping = local_aws.boto3_client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName="batch", Enabled=False
    )

    sqs.send_message(QueueUrl=queue_url, MessageBody="waits for an enabled mapping")
    time.sleep(0.5)
    assert _count(sqs, queue_url) == 1

    local_aws.boto3_client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    _wait_for(lambda: _count(sqs, queue_url) == 0)
