"""Issue 12 through the deployed stack: a restricted report stored with a Restricted Data Token, and a range
beyond its type's maximum split into one SP-API report per window."""

from __future__ import annotations

import json

import pytest
import requests

from canaries import SELLER_ID, assert_no_secrets

from .stack_test_helpers import MARKETPLACE_ID, REGION_CODE, execution_of

pytestmark = pytest.mark.integration

RESTRICTED_REPORT_TYPE = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"  # restricted (spapi-facts.md §10)
ORDERS = b"order-id\trecipient-name\tship-address-1\n202-1234567-1234567\tJane Doe\t1 High St\n"


def _all_log_text(deployment) -> str:
    logs = deployment.aws.boto3_client("logs")
    text = []
    for group in logs.describe_log_groups()["logGroups"]:
        events = logs.filter_log_events(logGroupName=group["logGroupName"]).get("events", [])
        text.extend(event["message"] for event in events)
    return "\n".join(text)


def test_a_restricted_report_is_stored_with_a_restricted_data_token_that_no_log_or_history_holds(
    deployment, client, subscribed_seller
):
    report_id = client.create_report(SELLER_ID, REGION_CODE, RESTRICTED_REPORT_TYPE, [MARKETPLACE_ID])
    deployment.emulator.finish_report(report_id, "DONE", document=ORDERS)

    report = client.wait_for_report(report_id, timeout=120, poll_interval=0.5)

    assert report.status == "DONE", report.raw
    assert requests.get(str(report.download_url), timeout=30).content == ORDERS
    document_id = deployment.emulator.report(report_id).report_document_id
    exchanges = deployment.emulator.exchanges
    (rdt_call,) = [e for e in exchanges if e.operation_id == "createRestrictedDataToken"]
    assert json.loads(rdt_call.request_body)["restrictedResources"] == [
        {"method": "GET", "path": f"/reports/2021-06-30/documents/{document_id}"}
    ]
    documents = [e for e in exchanges if e.operation_id == "getReportDocument" and document_id in e.path]
    assert [e.status for e in documents] == [200]
    rdts = [
        token
        for token, grant in deployment.emulator.app.state.access_tokens.items()
        if grant.kind == "restricted"
    ]
    assert rdts
    execution = execution_of(deployment, report_id)
    sfn = deployment.aws.boto3_client("stepfunctions")
    history = json.dumps(sfn.get_execution_history(executionArn=execution["executionArn"]), default=str)
    logs = _all_log_text(deployment)
    assert report_id in logs and "createRestrictedDataToken" in logs  # the storer's own log lines are read
    assert_no_secrets(history + json.dumps(execution, default=str) + logs, *rdts)


def test_a_range_beyond_the_report_types_maximum_becomes_one_report_per_window(
    deployment, client, subscribed_seller
):
    result = client.request_reports(
        SELLER_ID,
        REGION_CODE,
        "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",  # at most 60 days per report
        [MARKETPLACE_ID],
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
