"""Issue 12 through the deployed stack: a restricted report stored with a Restricted Data Token, and a range
beyond its type's maximum split into one SP-API report per window."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.canaries import assert_no_secrets
from tests.support.deployed_stack import emulator_of, execution_of, wait_for

pytestmark = pytest.mark.integration

# A restricted type (docs/spapi-notes.md#restricted-data-tokens).
RESTRICTED_REPORT_TYPE = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"
ORDERS = b"order-id\trecipient-name\tship-address-1\n202-1234567-1234567\tJane Doe\t1 High St\n"


def _stack_log_text(stack) -> str:
    """Every log line of the stack's log groups (each named after its name_prefix)."""
    logs = stack.boto3_client("logs")
    text = []
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            if stack.name_prefix not in group["logGroupName"]:
                continue  # another stack's, in a real account
            events = logs.get_paginator("filter_log_events").paginate(logGroupName=group["logGroupName"])
            text.extend(event["message"] for events_page in events for event in events_page.get("events", []))
    return "\n".join(text)


def _stack_log_text_with(stack, *needles: str) -> str:
    """The stack's log text once it holds every needle (CloudWatch Logs receives a function's lines
    asynchronously in an account), or as it is after two minutes."""
    last = ""

    def complete() -> bool:
        nonlocal last
        last = _stack_log_text(stack)
        return all(needle in last for needle in needles)

    wait_for(complete, timeout=120, interval=3)
    return last


def test_a_restricted_report_is_stored_with_a_restricted_data_token_that_no_log_or_history_holds(
    stack, seller, client, subscribed_seller
):
    # Real SP-API would need the app's restricted role, and we would need every RDT it issued to check.
    emulator = emulator_of(stack, "serve a restricted report and list the Restricted Data Tokens it issued")
    report_id = client.create_report(
        seller.seller_id, seller.region_code, RESTRICTED_REPORT_TYPE, [seller.marketplace_id]
    )
    emulator.finish_report(report_id, "DONE", document=ORDERS)

    report = client.wait_for_report(report_id, timeout=120, poll_interval=0.5)

    assert report.status == "DONE", report.raw
    assert requests.get(str(report.download_url), timeout=30).content == ORDERS
    document_id = emulator.report(report_id).report_document_id
    exchanges = emulator.exchanges()
    (rdt_call,) = [e for e in exchanges if e.operation_id == "createRestrictedDataToken"]
    assert json.loads(rdt_call.request_body)["restrictedResources"] == [
        {"method": "GET", "path": f"/reports/2021-06-30/documents/{document_id}"}
    ]
    documents = [e for e in exchanges if e.operation_id == "getReportDocument" and document_id in e.path]
    assert [e.status for e in documents] == [200]
    rdts = emulator.restricted_data_tokens()
    assert rdts
    execution = execution_of(stack, report_id)
    sfn = stack.boto3_client("stepfunctions")
    history = json.dumps(sfn.get_execution_history(executionArn=execution["executionArn"]), default=str)
    logs = _stack_log_text_with(stack, report_id, "createRestrictedDataToken")
    assert report_id in logs and "createRestrictedDataToken" in logs  # the storer's own log lines are read
    assert_no_secrets(history + json.dumps(execution, default=str) + logs, *rdts)


def test_a_range_beyond_the_report_types_maximum_becomes_one_report_per_window(
    stack, seller, client, subscribed_seller
):
    # Three reports of a type the seller may not sell: a real seller's run requests only its cheap one.
    emulator_of(stack, "take three returns reports of 2024 at no cost to a real seller")
    result = client.request_reports(
        seller.seller_id,
        seller.region_code,
        "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",  # at most 60 days per report
        [seller.marketplace_id],
        data_start_time="2024-01-01T00:00:00Z",
        data_end_time="2024-05-30T00:00:00Z",
    )
    assert result.complete and len(result.report_ids) == 3
    assert [r["dataStartTime"] for r in result.reports] == [
        "2024-01-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        "2024-04-30T00:00:00Z",
    ]
    for report_id in result.report_ids:
        assert client.get_report(report_id).report_id == report_id  # each one recorded
