"""The reports table: statuses move forward only, and every attribute survives the round trip."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.document_charsets import StoredCharset
from sp_reports.pipeline.report_records import (
    REQUEST_INTENT_LIFETIME_SECONDS,
    ReportAlreadyRecordedError,
    ReportNotRecordedError,
    ReportRecords,
    ReportStatus,
)
from sp_reports.pipeline.report_specifications import ReportSpecification

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
        report_id,
        ReportSpecification(
            seller_id="A3TH9S8BH6GOGM",
            region_code="EU",
            report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
            marketplace_ids=["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
            report_options={"BrowseNodeId": "1"},
            data_start_time="2024-05-01T00:00:00Z",
            data_end_time="2024-05-02T00:00:00Z",
        ),
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


def test_the_stored_charset_round_trips_and_is_kept_when_a_rerun_knows_none(resources):
    records = _records(resources)
    _request(records)
    charset = StoredCharset(
        "UTF-8", "Windows-31J", "windows-31j", False, "a note", transcoded=True, replacements=3
    )
    records.mark_stored("R1", bucket="b", key="k", size=42, report_document_id="doc-1", charset=charset)
    assert records.get("R1").charset == charset
    records.mark_stored("R1", bucket="b", key="k", size=42, report_document_id="doc-1")
    assert records.get("R1").charset == charset


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


# -- request intents: a report SP-API accepted is never lost to a failed record write ------------------------


REQUEST = ReportSpecification(
    seller_id="A3TH9S8BH6GOGM",
    region_code="EU",
    report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
    marketplace_ids=["A1F83G8C2ARO7P"],
    report_options={"custom": "true"},
    data_start_time="2024-05-01T00:00:00Z",
    data_end_time=None,
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _items(resources) -> list[dict]:
    return boto3.client("dynamodb", region_name="us-east-1").scan(TableName=resources.reports_table)["Items"]


def _failing_puts(records) -> None:
    """Every PutItem of these records fails as DynamoDB does when it stays throttled past the retries."""

    def refuse(**kwargs):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}}, "PutItem"
        )

    records._dynamodb.meta.events.register_first("before-call.dynamodb.PutItem", lambda **kwargs: refuse())


def test_a_recorded_request_leaves_only_its_record(resources):
    records = _records(resources)

    sent = []
    created = records.create_and_record(REQUEST, lambda specification: sent.append(specification) or "R10")

    assert sent == [REQUEST]  # createReport is asked for what is recorded
    assert created.recorded and created.report_id == "R10"
    assert [item["ReportId"]["S"] for item in _items(resources)] == ["R10"]  # the intent is gone
    assert records.get("R10").status is ReportStatus.REQUESTED
    assert records.find_intent(REQUEST.seller_id, REQUEST.report_type) is None


def test_a_failed_create_report_leaves_nothing_and_raises(resources):
    records = _records(resources)

    def create_report(_: ReportSpecification) -> str:
        raise TimeoutError("SP-API did not answer")

    with pytest.raises(TimeoutError):
        records.create_and_record(REQUEST, create_report)

    assert _items(resources) == []


def test_a_record_write_failing_after_create_report_leaves_an_intent_that_records_the_report(resources):
    records = _records(resources)
    _failing_puts(records)

    created = records.create_and_record(REQUEST, lambda _: "R11")

    assert not created.recorded and created.report_id == "R11"
    assert records.get("R11") is None
    # The notification arrives: the processor's records (another client) find the intent.
    recovered = _records(resources).record_requested_from_intent(
        "R11", REQUEST.seller_id, REQUEST.report_type
    )
    assert recovered.requested and recovered.status is ReportStatus.REQUESTED
    assert (recovered.seller_id, recovered.region_code, recovered.report_type) == (
        "A3TH9S8BH6GOGM",
        "EU",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
    )
    assert recovered.marketplace_ids == ("A1F83G8C2ARO7P",)
    assert recovered.report_options == {"custom": "true"}
    assert recovered.data_start_time == "2024-05-01T00:00:00Z" and recovered.data_end_time is None


def test_an_intent_vouches_only_for_its_seller_and_type_and_only_while_fresh(resources):
    clock = Clock()
    records = ReportRecords(
        resources.reports_table, boto3.client("dynamodb", region_name="us-east-1"), clock=clock
    )
    intent = records.record_intent(REQUEST)

    assert records.find_intent(REQUEST.seller_id, REQUEST.report_type) == intent
    assert records.find_intent(REQUEST.seller_id, "GET_FLAT_FILE_OPEN_LISTINGS_DATA") is None
    assert records.find_intent("A2OTHERSELLER", REQUEST.report_type) is None
    assert records.record_requested_from_intent("R12", "A2OTHERSELLER", REQUEST.report_type) is None
    assert records.get("R12") is None

    clock.now = NOW + REQUEST_INTENT_LIFETIME_SECONDS + 1
    assert records.find_intent(REQUEST.seller_id, REQUEST.report_type) is None
    (item,) = _items(resources)
    assert item["ExpiresAt"] == {
        "N": str(int(NOW) + REQUEST_INTENT_LIFETIME_SECONDS)
    }  # DynamoDB's TTL drops it


def test_concurrent_intents_of_one_seller_and_type_are_kept_apart(resources):
    records = _records(resources)
    first = records.record_intent(REQUEST)
    second = records.record_intent(replace(REQUEST, region_code="FE", marketplace_ids=["A1VC38T7YXB528"]))

    assert first.intent_id != second.intent_id
    assert records.find_intent(REQUEST.seller_id, REQUEST.report_type) in (first, second)
    records._forget_intent_if_possible(first)
    assert records.find_intent(REQUEST.seller_id, REQUEST.report_type) == second
    records._forget_intent_if_possible(second)
    records._forget_intent_if_possible(second)  # once only
    assert _items(resources) == []  # the last one forgotten takes the item with it


def test_intent_items_are_out_of_reach_of_report_ids():
    from sp_reports.pipeline.api_requests import REPORT_ID_PATTERN

    assert not REPORT_ID_PATTERN.match("request-intents#A3TH9S8BH6GOGM#GET_MERCHANT_LISTINGS_ALL_DATA")


def test_a_request_is_stored_under_the_same_attribute_names_and_types_in_its_record_and_its_intent(resources):
    """The request's attributes as DynamoDB holds them: what older items and the table's readers expect."""
    records = _records(resources)
    intent = records.record_intent(replace(REQUEST, report_options={}))
    records.create_and_record(REQUEST, lambda _: "R13")
    records.record_requested("R14", replace(REQUEST, report_options={}, data_start_time=None))

    items = {item["ReportId"]["S"]: item for item in _items(resources)}
    assert items["R13"] == {
        "ReportId": {"S": "R13"},
        "SellerId": {"S": "A3TH9S8BH6GOGM"},
        "RegionCode": {"S": "EU"},
        "ReportType": {"S": "GET_MERCHANT_LISTINGS_ALL_DATA"},
        "MarketplaceIds": {"L": [{"S": "A1F83G8C2ARO7P"}]},
        "ReportOptions": {"M": {"custom": {"S": "true"}}},
        "DataStartTime": {"S": "2024-05-01T00:00:00Z"},
        "Status": {"S": "REQUESTED"},
        "Requested": {"BOOL": True},
        "CreatedAt": {"S": "2024-05-02T10:15:42Z"},
        "UpdatedAt": {"S": "2024-05-02T10:15:42Z"},
        "ExpiresAt": {"N": str(int(NOW) + 90 * 86400)},
    }
    assert {name for name in items["R14"]} == {
        "ReportId",
        "SellerId",
        "RegionCode",
        "ReportType",
        "MarketplaceIds",
        "Status",
        "Requested",
        "CreatedAt",
        "UpdatedAt",
        "ExpiresAt",
    }  # no options, no window: absent, not empty
    intent_item = items["request-intents#A3TH9S8BH6GOGM#GET_MERCHANT_LISTINGS_ALL_DATA"]
    assert intent_item == {
        "ReportId": {"S": "request-intents#A3TH9S8BH6GOGM#GET_MERCHANT_LISTINGS_ALL_DATA"},
        "Intent-" + intent.intent_id: {
            "M": {
                "SellerId": {"S": "A3TH9S8BH6GOGM"},
                "RegionCode": {"S": "EU"},
                "ReportType": {"S": "GET_MERCHANT_LISTINGS_ALL_DATA"},
                "CreatedEpoch": {"N": str(int(NOW))},
                "MarketplaceIds": {"L": [{"S": "A1F83G8C2ARO7P"}]},
                "ReportOptions": {"M": {}},  # an intent keeps empty options; a record leaves them out
                "DataStartTime": {"S": "2024-05-01T00:00:00Z"},
            }
        },
        "ExpiresAt": {"N": str(int(NOW) + REQUEST_INTENT_LIFETIME_SECONDS)},
        "Pending": {"N": "1"},
    }
