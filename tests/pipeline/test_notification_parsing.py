"""REPORT_PROCESSING_FINISHED parsing agrees with Amazon's schema, and execution names are deterministic."""

from __future__ import annotations

import json

import jsonschema
import pytest

from sp_reports.pipeline.notifications_processing import (
    FAILURE_EXECUTION_PREFIX,
    InvalidNotificationError,
    UnsupportedNotificationError,
    execution_name,
    parse_report_processing_finished,
    previous_execution_error,
)
from tests.support import notification_messages as messages
from tests.support.canaries import REFRESH_TOKEN

REPORT = ("payload", "reportProcessingFinishedNotification")


@pytest.fixture(scope="module")
def schema(models_dir):
    return json.loads((models_dir / "ReportProcessingFinishedNotification.json").read_text())


def _schema_accepts(schema, document) -> bool:
    return jsonschema.Draft7Validator(schema).is_valid(document)


BASE = messages.notification()
CASES = {
    "seller": BASE,
    "without document": messages.without(BASE, *REPORT, "reportDocumentId"),
    "without seller (vendor)": messages.without(BASE, *REPORT, "sellerId"),
    "neither accountId nor sellerId": messages.without(
        messages.without(BASE, *REPORT, "accountId"), *REPORT, "sellerId"
    ),
    "missing reportId": messages.without(BASE, *REPORT, "reportId"),
    "missing reportType": messages.without(BASE, *REPORT, "reportType"),
    "missing processingStatus": messages.without(BASE, *REPORT, "processingStatus"),
    "unknown processingStatus": messages.replaced(BASE, "IN_PROGRESS", *REPORT, "processingStatus"),
    "numeric reportId": messages.replaced(BASE, 54517018502, *REPORT, "reportId"),
    "missing payload": messages.without(BASE, "payload"),
    "payload without report": messages.replaced(BASE, {}, "payload"),
    "payload not an object": messages.replaced(BASE, [], "payload"),
    "missing metadata": messages.without(BASE, "notificationMetadata"),
    "metadata without notificationId": messages.without(BASE, "notificationMetadata", "notificationId"),
    "missing eventTime": messages.without(BASE, "eventTime"),
    "missing notificationVersion": messages.without(BASE, "notificationVersion"),
    "numeric payloadVersion": messages.replaced(BASE, 1.0, "payloadVersion"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_parser_accepts_exactly_what_the_schema_accepts(schema, case):
    document = CASES[case]
    try:
        parse_report_processing_finished(json.dumps(document))
        parsed = True
    except InvalidNotificationError:
        parsed = False
    assert parsed == _schema_accepts(schema, document)


# Where the parser knowingly accepts what today's schema refuses: messages from before accountId was added
# (2024-03-20, developer-docs changelog "update-feed_processing_finished-and-report_processing_finished-
# notifications") name the seller only, as the one in selling-partner-api-models#2181 does.
BEFORE_ACCOUNT_ID = messages.without(BASE, *REPORT, "accountId")
AS_IN_ISSUE_2181 = messages.replaced(
    messages.replaced(BEFORE_ACCOUNT_ID, "1.0", "payloadVersion"),
    {
        "sellerId": "A3TH9S8BH6GOGM",
        "reportId": "550984018995",
        "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "processingStatus": "DONE",
        "reportDocumentId": "amzn1.tortuga.3.f70507f2-b27e-4f6e-a04d-22ff900ebdd1.T1M61YJDPXQ56Z",
    },
    *REPORT,
)
DEVIATIONS = {
    "seller without accountId (before 2024-03-20)": BEFORE_ACCOUNT_ID,
    "seller with a null accountId": messages.replaced(BASE, None, *REPORT, "accountId"),
    "the message of selling-partner-api-models#2181": AS_IN_ISSUE_2181,
}


@pytest.mark.parametrize("case", sorted(DEVIATIONS))
def test_messages_from_before_account_id_are_accepted_for_their_seller(schema, case):
    document = DEVIATIONS[case]
    assert not _schema_accepts(schema, document)  # today's schema requires accountId
    notification = parse_report_processing_finished(json.dumps(document))
    assert notification.account_id is None
    assert notification.seller_id == notification.partner_id == "A3TH9S8BH6GOGM"


@pytest.mark.parametrize("account_id", [None, ""])
def test_a_message_naming_neither_account_nor_seller_is_refused_naming_the_report(account_id):
    document = messages.replaced(BASE, account_id, *REPORT, "accountId")
    document = messages.without(document, *REPORT, "sellerId")
    with pytest.raises(InvalidNotificationError) as raised:
        parse_report_processing_finished(json.dumps(document))
    message = str(raised.value)
    assert "accountId" in message and "sellerId" in message and "54517018502" in message


def test_schema_examples_parse(schema):
    for example in schema["examples"]:
        notification = parse_report_processing_finished(json.dumps(example))
        assert (
            notification.report_id == example["payload"]["reportProcessingFinishedNotification"]["reportId"]
        )


def test_vendor_notification_with_null_seller_belongs_to_the_account():
    document = messages.replaced(BASE, None, *REPORT, "sellerId")
    document = messages.replaced(document, "amzn1.vg.6213651", *REPORT, "accountId")
    notification = parse_report_processing_finished(json.dumps(document))
    assert notification.seller_id is None
    assert notification.partner_id == "amzn1.vg.6213651"


def test_fields_are_read_from_the_camel_case_message():
    notification = parse_report_processing_finished(json.dumps(BASE).encode())
    assert notification.report_id == "54517018502"
    assert notification.processing_status == "DONE"
    assert notification.report_type == "GET_MERCHANT_LISTINGS_ALL_DATA"
    assert notification.seller_id == "A3TH9S8BH6GOGM"
    assert notification.report_document_id.startswith("amzn1.tortuga.3.")


def test_other_notification_types_are_recognised_as_such():
    document = messages.replaced(BASE, "ANY_OFFER_CHANGED", "notificationType")
    with pytest.raises(UnsupportedNotificationError, match="ANY_OFFER_CHANGED"):
        parse_report_processing_finished(json.dumps(document))


@pytest.mark.parametrize("body", ["", "{", "null", "[]", '"text"', b"\xff\xfe"])
def test_non_json_or_non_object_bodies_are_invalid(body):
    with pytest.raises(InvalidNotificationError):
        parse_report_processing_finished(body)


def test_error_messages_name_the_path_and_never_the_body():
    document = messages.replaced(BASE, "Atzr|CANARY-in-a-notification", *REPORT, "reportType")
    with pytest.raises(InvalidNotificationError) as raised:
        parse_report_processing_finished(json.dumps(document))
    assert "reportType" in str(raised.value)
    assert "CANARY" not in str(raised.value)


# Values that must never become a segment of an S3 key (sp_reports.spapi.report_ids): a path step, a
# separator, a
# line break that `$` would have let through, and characters outside the rule.
UNSAFE_SEGMENTS = [".", "..", "...", "../../etc", "a/b", "/", "a\n", "\n", "a b", "a%2Fb", "ü", "", "x" * 129]


@pytest.mark.parametrize("field", ["reportId", "reportType", "sellerId", "accountId"])
@pytest.mark.parametrize("value", UNSAFE_SEGMENTS, ids=repr)
def test_identifiers_unsafe_for_keys_are_refused(field, value):
    document = messages.replaced(BASE, value, *REPORT, field)
    if value == "" and field in ("sellerId", "accountId"):
        pytest.skip("an empty optional id counts as absent (the other one names the partner)")
    with pytest.raises(InvalidNotificationError, match=field):
        parse_report_processing_finished(json.dumps(document))


@pytest.mark.parametrize("value", ["54517018502", "a.b", ".hidden", "x..y", "A-B_C.1", "x" * 128])
def test_identifiers_with_dots_among_other_characters_are_accepted(value):
    document = messages.replaced(BASE, value, *REPORT, "reportId")
    assert parse_report_processing_finished(json.dumps(document)).report_id == value


def test_execution_names_are_deterministic_valid_and_distinct():
    assert execution_name("54517018502") == "report-54517018502"
    assert execution_name("54517018502") == execution_name("54517018502")
    odd = [execution_name(report_id) for report_id in ("a.b", "a-b", "x" * 200, "x" * 199 + "y")]
    assert len(set(odd)) == len(odd)
    for name in odd:
        assert len(name) <= 80
        assert all(ch.isalnum() or ch in "-_" for ch in name)


def test_failure_execution_names_never_meet_report_execution_names():
    ids = ("54517018502", "failure-report-1", "x" * 200, "a.b")
    reports = {execution_name(report_id) for report_id in ids}
    failures = {execution_name(report_id, FAILURE_EXECUTION_PREFIX) for report_id in ids}
    assert not reports & failures
    assert execution_name("54517018502", FAILURE_EXECUTION_PREFIX) == "failure-report-54517018502"
    assert all(len(name) <= 80 for name in reports | failures)


@pytest.mark.parametrize(
    ("described", "expected"),
    [
        (
            {"name": "report-1", "status": "ABORTED"},
            {"Error": "WorkflowExecutionAborted", "Cause": "the workflow execution report-1 ended ABORTED"},
        ),
        (
            {"name": "report-1", "status": "TIMED_OUT"},
            {
                "Error": "WorkflowExecutionTimedOut",
                "Cause": "the workflow execution report-1 ended TIMED_OUT",
            },
        ),
        (
            {
                "name": "report-1",
                "status": "FAILED",
                "error": "ClientError",
                "cause": json.dumps(
                    {"errorType": "ClientError", "errorMessage": "SNS down", "stackTrace": ["in publish"]}
                ),
            },
            {
                "Error": "WorkflowExecutionFailed",
                "Cause": "the workflow execution report-1 ended FAILED with ClientError: SNS down",
            },
        ),
    ],
    ids=["aborted", "timed-out", "failed-lambda-cause-without-stack-trace"],
)
def test_the_error_of_an_execution_that_ended_without_success_says_which_how_and_why(described, expected):
    assert previous_execution_error(described) == expected


def test_the_previous_execution_error_never_carries_a_secret():
    cause = f"token {REFRESH_TOKEN} leaked"
    described = {"name": "report-1", "status": "FAILED", "error": "X", "cause": cause}
    assert REFRESH_TOKEN not in json.dumps(previous_execution_error(described))
