"""The reports table: statuses move forward only, and every attribute survives the round trip."""

from __future__ import annotations

import boto3
import pytest

from spapi.report_records import (
    ReportAlreadyRecordedError,
    ReportNotRecordedError,
    ReportRecords,
    ReportStatus,
)

NOW = 1_714_644_942.0  # 2024-05-02T10:15:42Z


def _records(resources, ttl_days=90):
    return ReportRecords(
        resources.reports_table,
        boto3.client("dynamodb", region_name="us-east-1"),
        ttl_days=ttl_days,
        clock=lambda: NOW,
    )


def _request(records, report_id="R1"):
    return records.record_requested(
        report_id=report_id,
        seller_id="A3TH9S8BH6GOGM",
        region_code="EU",
        report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
        marketplace_ids=["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
        report_options={"BrowseNodeId": "1"},
        data_start_time="2024-05-01T00:00:00Z",
        data_end_time="2024-05-02T00:00:00Z",
    )


def test_requested_report_round_trips_with_every_attribute_and_a_ttl(resources):
    records = _records(resources, ttl_days=30)
    created = _request(records)
    loaded = records.get("R1")
    assert loaded == created
    assert loaded.status is ReportStatus.REQUESTED and loaded.requested
    assert loaded.marketplace_ids == ("A1F83G8C2ARO7P", "A1PA6795UKMFR9")
    assert loaded.report_options == {"BrowseNodeId": "1"}
    assert loaded.created_at == "2024-05-02T10:15:42Z"
    assert loaded.expires_at == int(NOW) + 30 * 86400
    raw = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=resources.reports_table, Key={"ReportId": {"S": "R1"}}
    )["Item"]
    assert raw["ExpiresAt"] == {"N": str(int(NOW) + 30 * 86400)}
    assert raw["Status"] == {"S": "REQUESTED"}


def test_recording_the_same_report_twice_is_refused(resources):
    records = _records(resources)
    _request(records)
    with pytest.raises(ReportAlreadyRecordedError):
        _request(records)


def test_unknown_report_reads_as_none(resources):
    assert _records(resources).get("nope") is None


def test_unrequested_report_is_recorded_once(resources):
    records = _records(resources)
    arguments = dict(
        report_id="R2",
        seller_id="A3TH9S8BH6GOGM",
        account_id="amzn1.merchant.o.A3TH9S8BH6GOGM",
        report_type="GET_X",
        processing_status="DONE",
        report_document_id="doc-1",
        status=ReportStatus.SKIPPED,
    )
    first, created = records.record_unrequested(**arguments)
    again, created_again = records.record_unrequested(**arguments)
    assert (created, created_again) == (True, False)
    assert again == first and not first.requested and first.status is ReportStatus.SKIPPED


def test_processing_report_moves_through_stored_to_done(resources):
    records = _records(resources)
    _request(records)
    assert records.mark_processing(
        "R1", processing_status="DONE", report_document_id="doc-1", account_id="acc"
    )
    records.mark_stored("R1", bucket="b", key="k", size=42, report_document_id="doc-1")
    records.mark_finished("R1", ReportStatus.DONE, notified=True, recipients=1)
    record = records.get("R1")
    assert record.status is ReportStatus.DONE
    assert (record.s3_bucket, record.s3_key, record.object_size) == ("b", "k", 42)
    assert record.processing_status == "DONE" and record.report_document_id == "doc-1"
    assert record.notified_at == "2024-05-02T10:15:42Z"


# An email subscription receives nothing until confirmed (SNS API reference, GetSubscriptionAttributes,
# PendingConfirmation), so only a publish to at least one confirmed subscription is a notification.
@pytest.mark.parametrize(
    ("notified", "recipients", "published", "notified_at"),
    [
        (True, 2, True, True),
        (True, 0, True, False),  # published, no confirmed recipient
        (True, None, True, False),  # published, SNS could not say to whom
        (False, None, False, False),
    ],
    ids=["delivered-to-2", "nobody-confirmed", "unknown", "not-published"],
)
def test_a_notification_is_recorded_only_when_a_confirmed_subscriber_could_receive_it(
    resources, notified, recipients, published, notified_at
):
    records = _records(resources)
    _request(records)
    records.mark_finished("R1", ReportStatus.DONE, notified=notified, recipients=recipients)
    record = records.get("R1")
    assert (record.outcome_published_at == "2024-05-02T10:15:42Z") is published
    assert record.outcome_recipients == recipients
    assert (record.notified_at == "2024-05-02T10:15:42Z") is notified_at


def test_late_notification_does_not_move_a_finished_report_back_to_processing(resources):
    records = _records(resources)
    _request(records)
    records.mark_finished("R1", ReportStatus.FAILED, failure_reason="x" * 5000, notified=False)
    assert not records.mark_processing(
        "R1", processing_status="DONE", report_document_id=None, account_id="a"
    )
    record = records.get("R1")
    assert record.status is ReportStatus.FAILED
    assert len(record.failure_reason) == 1000
    assert record.notified_at is None


def test_updates_to_an_unrecorded_report_are_refused(resources):
    records = _records(resources)
    with pytest.raises(ReportNotRecordedError):
        records.mark_processing("ghost", processing_status="DONE", report_document_id=None, account_id="a")
    with pytest.raises(ReportNotRecordedError):
        records.mark_finished("ghost", ReportStatus.DONE, notified=True)


def test_finishing_with_a_non_terminal_status_is_a_programming_error(resources):
    with pytest.raises(ValueError, match="terminal"):
        _records(resources).mark_finished("R1", ReportStatus.PROCESSING, notified=False)
