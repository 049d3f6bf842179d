"""Our client judged by Amazon's SDK: every request body our `spapi` client sends, and every answer it parses,
goes through the model classes of `amzn-sp-api` (validation on), and must come back unchanged.

Our client drives the emulator (in our venv) through each body-carrying operation (createReport with and
without dates and options, createReportSchedule, createRestrictedDataToken, createDestination,
createSubscription) and each operation whose answer it reads; the recorded requests and answers go as JSON to
tests/peers/drivers/sdk_models_driver.py, which runs in the peer venv (Amazon's SDK is `spapi`, as our
package is) and puts each through the model the SDK's own method for that operation uses. Dates are compared
as instants in RFC 3339 form (`format: date-time` in the models; the SDK writes a datetime with
`isoformat()`), everything else exactly. The enums our client checks values against must be the SDK's.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import sp_reports.spapi as spapi
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.notifications import NotificationsClient
from sp_reports.spapi.ratelimit import RateLimiter
from sp_reports.spapi.regions import lwa_endpoint, spapi_endpoint
from sp_reports.spapi.reports import PROCESSING_STATUSES, ReportsClient
from sp_reports.spapi.tokens import METHODS, RestrictedResource, TokensClient
from spapi_emulator import SpApiEmulator
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, assert_no_secrets
from tests.support.peer_venv import run_in_venv

DRIVER = Path(__file__).resolve().parent / "drivers" / "sdk_models_driver.py"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SALES_AND_TRAFFIC = "GET_SALES_AND_TRAFFIC_REPORT"
SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:sp-reports-sdk-models"
NOTIFICATION_TYPE = "REPORT_PROCESSING_FINISHED"

# The body-carrying operations our client sends, and the operations whose answers it parses.
REQUESTS = (
    "createReport",
    "createReportSchedule",
    "createRestrictedDataToken",
    "createDestination",
    "createSubscription",
)
ANSWERS = (
    "createReport",
    "getReport",
    "getReports",
    "getReportDocument",
    "createReportSchedule",
    "getReportSchedules",
    "createRestrictedDataToken",
    "createDestination",
    "getDestinations",
    "getDestination",
    "createSubscription",
    "getSubscription",
    "getSubscriptionById",
    "deleteSubscriptionById",
    "deleteDestination",
)
# RFC 3339's date-time, the `format: date-time` of the models' dates.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def operations_sent_with_a_body() -> set[str]:
    """The operations our client sends a JSON body to: each call of `request` or `_call` with `json=`,
    named by its first argument."""
    found = set()
    for source in Path(spapi.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("request", "_call")
                and any(keyword.arg == "json" for keyword in node.keywords)
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def test_the_body_carrying_operations_are_those_our_client_sends():
    assert operations_sent_with_a_body() == set(REQUESTS)


def drive_our_client(emulator: SpApiEmulator) -> None:
    """Every call of our client whose request or answer carries a body, against the emulator."""
    lwa = LwaClient(AppCredentials(CLIENT_ID, CLIENT_SECRET), endpoint=lwa_endpoint(), sleep=lambda _s: None)
    http = SpApiHttpClient(spapi_endpoint("NA"), sleep=lambda _s: None, rate_limiter=RateLimiter())
    seller = lwa.seller_token_provider(REFRESH_TOKEN)
    reports = ReportsClient(http, seller, stand_in=True)

    report_id = reports.create_report(LISTINGS, [US])
    reports.create_report(
        LISTINGS,
        [US, CA],
        data_start_time=datetime(2026, 1, 1, tzinfo=UTC),
        data_end_time=datetime(2026, 1, 31, 23, 59, 59, 250000, tzinfo=UTC),
    )
    reports.create_report(
        SALES_AND_TRAFFIC,
        [US],
        data_start_time="2026-01-01T00:00:00Z",
        data_end_time="2026-01-02T00:00:00+02:00",
        report_options={"dateGranularity": "DAY", "asinGranularity": "CHILD"},
    )
    emulator.finish_report(report_id)
    document_id = reports.get_report(report_id)["reportDocumentId"]
    reports.get_reports([LISTINGS, SALES_AND_TRAFFIC], processing_statuses=["DONE", "IN_QUEUE"])
    reports.get_report_document(document_id)
    schedule_id = reports.create_report_schedule(
        LISTINGS, [US], "P1D", next_report_creation_time=datetime(2026, 2, 1, 0, 30, tzinfo=UTC)
    )
    reports.get_report_schedules([LISTINGS])
    reports.cancel_report_schedule(schedule_id)
    TokensClient(http, seller).create_restricted_data_token(
        [
            RestrictedResource("GET", f"/reports/2021-06-30/documents/{document_id}"),
            RestrictedResource("GET", "/orders/v0/orders", ("buyerInfo", "shippingAddress")),
        ]
    )

    notifications = NotificationsClient(http, lwa.grantless_token_provider(), seller)
    destination_id = notifications.ensure_destination(SQS_ARN, "sp-reports")
    notifications.get_destinations()
    notifications.get_destination(destination_id)
    subscription = notifications.ensure_subscription(NOTIFICATION_TYPE, destination_id)
    notifications.get_subscription(NOTIFICATION_TYPE, "1.0")
    notifications.get_subscription_by_id(NOTIFICATION_TYPE, subscription["subscriptionId"])
    notifications.delete_subscription(NOTIFICATION_TYPE, subscription["subscriptionId"])
    notifications.delete_destination(destination_id)


def recorded_messages(emulator: SpApiEmulator) -> list[dict[str, Any]]:
    """Each request body our client sent and each answer it got, as the emulator recorded them."""
    messages = []
    for exchange in emulator.exchanges:
        if exchange.kind != "spapi" or not 200 <= exchange.status < 300:
            continue
        api = exchange.path.strip("/").split("/")[0]
        if exchange.request_body:
            messages.append(
                {
                    "api": api,
                    "operation": exchange.operation_id,
                    "direction": "request",
                    "body": json.loads(exchange.request_body),
                }
            )
        if exchange.response_body:
            body = json.loads(exchange.response_body)
            if exchange.operation_id == "getReportDocument":
                # A presigned URL is a credential: its signature stays out of the driver's output.
                body["url"] = body["url"].split("?", 1)[0]
            messages.append(
                {"api": api, "operation": exchange.operation_id, "direction": "response", "body": body}
            )
    return messages


def _at(document: Any, path: list) -> Any:
    for key in path:
        document = document[key]
    return document


def _with_instants(document: Any, paths: list[list]) -> Any:
    """The document with each date at `paths` replaced by the instant it names."""
    copy = json.loads(json.dumps(document))
    for path in paths:
        parent = _at(copy, path[:-1])
        parent[path[-1]] = datetime.fromisoformat(parent[path[-1]]).astimezone(UTC)
    return copy


@pytest.fixture(scope="module")
def judged(peer_python: Path, models_dir: Path) -> tuple[list[dict], list[dict], dict[str, list[str]]]:
    """(the messages sent, the driver's verdict on each, the SDK's allowed values per enum)."""
    monkeypatch = pytest.MonkeyPatch()
    with SpApiEmulator(models_dir=models_dir) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(REFRESH_TOKEN, "A1SDKMODELSELLER")
        monkeypatch.setenv("SP_REPORTS_TEST_ENDPOINTS", "true")
        monkeypatch.setenv("SPAPI_ENDPOINT_URL", emulator.url)
        monkeypatch.setenv("LWA_ENDPOINT_URL", emulator.lwa_url)
        try:
            drive_our_client(emulator)
        finally:
            monkeypatch.undo()
        assert not emulator.contract_violations(), emulator.contract_violations()
        messages = recorded_messages(emulator)
    enums = [
        ("reports", "Report", "processing_status"),
        ("tokens", "RestrictedResource", "method"),
    ]
    result = run_in_venv(peer_python, DRIVER, json.dumps({"messages": messages, "enums": enums}))
    assert_no_secrets(result.stdout + result.stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    verdicts = [line for line in lines if "operation" in line]
    allowed = {line["enum"]: line["allowed"] for line in lines if "enum" in line}
    assert len(verdicts) == len(messages)
    return messages, verdicts, allowed


def test_every_body_carrying_operation_and_every_answer_we_parse_was_judged(judged):
    messages, _verdicts, _allowed = judged
    sent = {message["operation"] for message in messages if message["direction"] == "request"}
    answered = {message["operation"] for message in messages if message["direction"] == "response"}
    assert sent == set(REQUESTS)
    assert answered >= set(ANSWERS)
    dated = [m for m in messages if m["operation"] == "createReport" and m["direction"] == "request"]
    assert sum("dataStartTime" in m["body"] for m in dated) == 2
    assert sum("reportOptions" in m["body"] for m in dated) == 1


def test_the_sdks_models_accept_each_message_and_give_back_the_same_content(judged):
    messages, verdicts, _allowed = judged
    problems = []
    for message, verdict in zip(messages, verdicts, strict=True):
        what = f"{message['operation']} {message['direction']} as {verdict['model']}"
        if not verdict["accepted"]:
            problems.append(f"{what}: refused: {verdict['error']}")
            continue
        paths = [date["path"] for date in verdict["dates"]]
        if _with_instants(verdict["round_trip"], paths) != _with_instants(message["body"], paths):
            problems.append(f"{what}: came back as {verdict['round_trip']}, not {message['body']}")
    assert not problems, "\n".join(problems)


def test_our_dates_are_rfc_3339_and_the_instant_the_sdk_would_send(judged):
    messages, verdicts, _allowed = judged
    dates = [
        (message["operation"], date)
        for message, verdict in zip(messages, verdicts, strict=True)
        for date in verdict["dates"]
        if message["direction"] == "request"
    ]
    # dataStartTime and dataEndTime of two createReport bodies, nextReportCreationTime of the schedule's
    assert len(dates) == 5
    for operation, date in dates:
        assert RFC3339.fullmatch(date["ours"]), (operation, date)
        assert RFC3339.fullmatch(date["sdk"]), (operation, date)
        ours, theirs = (datetime.fromisoformat(date[side]) for side in ("ours", "sdk"))
        assert ours == theirs, (operation, date)
    # A datetime we are given goes out in UTC with milliseconds and Z: the same instant to the SDK.
    assert dates[0][1]["ours"] == "2026-01-01T00:00:00.000Z"


def test_the_enums_our_client_checks_are_the_sdks(judged):
    _messages, _verdicts, allowed = judged
    assert set(allowed["Report.processing_status"]) == PROCESSING_STATUSES
    assert set(allowed["RestrictedResource.method"]) == METHODS
