"""REPORT_PROCESSING_FINISHED without accountId (messages from before 2024-03-20) still gets its report
processed for the seller it names; one naming neither account nor seller is reported, not silently dropped."""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from tests.support import notification_messages as messages
from tests.support.canaries import SELLER_ID

REPORT = ("payload", "reportProcessingFinishedNotification")


@pytest.fixture
def records(resources):
    records = ReportRecords(resources.reports_table, boto3.client("dynamodb"))
    records.record_requested(
        "54517018502",
        ReportSpecification(SELLER_ID, "NA", "GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"]),
    )
    return records


@pytest.fixture
def processor(load_handler, state_machine_arn):
    # Loaded inside each test (a cold start there), so that its logger writes to the test's captured stdout.
    return lambda: load_handler("notifications_processor", STATE_MACHINE_ARN=state_machine_arn)


def _executions(state_machine_arn):
    client = boto3.client("stepfunctions")
    return [
        json.loads(client.describe_execution(executionArn=e["executionArn"])["input"])
        for e in client.list_executions(stateMachineArn=state_machine_arn)["executions"]
    ]


def test_a_notification_with_a_seller_but_no_account_id_is_processed(
    processor, records, state_machine_arn, lambda_context
):
    # selling-partner-api-models#2181: such messages carried sellerId only (accountId came on 2024-03-20).
    message = messages.without(messages.notification(), *REPORT, "accountId")

    answer = processor().handler(messages.sqs_event(message), lambda_context)

    assert answer == {"batchItemFailures": []}
    (started,) = _executions(state_machine_arn)
    assert (started["reportId"], started["sellerId"]) == ("54517018502", SELLER_ID)
    assert records.get("54517018502").status is ReportStatus.PROCESSING


def test_a_notification_naming_neither_account_nor_seller_is_reported_with_its_report(
    processor, records, state_machine_arn, lambda_context, capsys
):
    message = messages.without(messages.notification(), *REPORT, "accountId")
    message = messages.without(message, *REPORT, "sellerId")

    processor().handler(messages.sqs_event(message), lambda_context)

    assert _executions(state_machine_arn) == []
    out = capsys.readouterr().out
    logged = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    (warning,) = [line for line in logged if line.get("level") == "WARNING" and "reason" in line]
    assert "54517018502" in warning["reason"] and "accountId" in warning["reason"]
    assert '"InvalidNotifications"' in out
    # The report is not lost: it stays REQUESTED, where the reconciler's getReports sweep finds it.
    assert records.get("54517018502").status is ReportStatus.REQUESTED
