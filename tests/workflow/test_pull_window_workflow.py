"""Plan windows through the real workflow (moto's Step Functions with the real handlers) and the SP-API
emulator: the planner's reports carry their window into the execution, a FATAL report leaves its window
FAILED with the reason until the retry, CANCELLED is NO_DATA, a DONE report lands at the window's key with a
manifest, and a look-back re-pull supersedes the window as version 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import boto3
import pytest

from sp_reports.pipeline.pull_ledger import PullStore, WindowState
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_windows import Window
from sp_reports.pipeline.token_store import TokenStore
from tests.support import api_events, notification_messages
from tests.support.aws_resources import create_pull_plans_table
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID
from tests.support.lambda_testing import sleep_on_virtual_time

REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
US = "ATVPDKIKX0DER"
NOW = datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC) - timedelta(hours=12)
DOCUMENT = b"order-id\tsku\n1\tA\n"


def _context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="sp-reports-pull-planner",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sp-reports-pull-planner",
        aws_request_id="c0ffee00-0000-4000-8000-000000000003",
        get_remaining_time_in_millis=lambda: 290_000,
    )


@pytest.fixture
def plans(workflow, spapi_emulator, load_handler, lambda_context):
    spapi_emulator.app.config.auto_advance = False
    resources = workflow.resources
    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)
    subscriber = load_handler("notifications_subscriber")
    subscribed = subscriber.handler(
        api_events.api_event("POST", "/notifications", {"SellerId": SELLER_ID, "RegionCode": "NA"}),
        lambda_context,
    )
    assert subscribed["statusCode"] == 200
    processor = load_handler("notifications_processor", STATE_MACHINE_ARN=workflow.state_machine_arn)
    store = PullStore(create_pull_plans_table(), boto3.client("dynamodb"))
    planner = load_handler("pull_planner")
    sleep_on_virtual_time(planner.spapi_clients.http("NA"))
    plan = plan_from_request(
        {
            "sellerId": SELLER_ID,
            "marketplaceIds": [US],
            "reportType": REPORT_TYPE,
            "cadence": "daily",
            "lookBackDays": [1],
            "startDate": (NOW.date() - timedelta(days=2)).isoformat(),
        },
        now=NOW,
    )
    store.put_plan(plan)

    class Plans:
        def tick(self, at: datetime) -> dict:
            """A tick at `at`; the workflow's settling (retry times) runs on the same clock until the next."""
            for outcomes in (planner.planner._outcomes, workflow.notifier.delivery._pull_outcomes):
                outcomes._clock = lambda: at
            planner.planner._clock = lambda: at
            return planner.handler({}, _context())

        def finish(self, window: Window, version: int, status: str, document: bytes | None) -> dict:
            entry = store.entry(plan.plan_id, window.key, version)
            spapi_emulator.finish_report(entry.report_id, status, document)
            bodies = [
                sent.body
                for sent in spapi_emulator.sent_notifications
                if sent.message["payload"]["reportProcessingFinishedNotification"]["reportId"]
                == entry.report_id
            ]
            assert processor.handler(notification_messages.sqs_event(*bodies), lambda_context) == {
                "batchItemFailures": []
            }
            (execution,) = [e for e in workflow.executions() if e["name"] == f"report-{entry.report_id}"]
            assert workflow.wait(execution["executionArn"])["status"] == "SUCCEEDED"
            return json.loads(boto3.client("stepfunctions").describe_execution(**_arn(execution))["input"])

        def entry(self, window: Window, version: int):
            return store.entry(plan.plan_id, window.key, version)

        def read(self, key: str) -> bytes:
            return boto3.client("s3").get_object(Bucket=resources.bucket, Key=key)["Body"].read()

        def manifest(self, window: Window) -> dict:
            folder = (
                f"plans/{SELLER_ID}/{REPORT_TYPE}/{self.plan.plan_id}/{US}/"
                f"{window.start.date()}_{window.end.date()}"
            )
            return json.loads(self.read(f"{folder}/manifest.json"))

    plans_ = Plans()
    plans_.plan = plan
    return plans_


def _arn(execution: dict) -> dict:
    return {"executionArn": execution["executionArn"]}


def _window(days_before: int) -> Window:
    start = datetime.combine(NOW.date() - timedelta(days=days_before), time(0), tzinfo=UTC)
    return Window(start, start + timedelta(days=1), (US,))


def test_windows_fail_retry_land_and_are_superseded_by_their_look_back(plans):
    older, newer = _window(2), _window(1)
    assert plans.tick(NOW)["reportsCreated"] == 2  # the older window as version 2 (past its look-back)

    execution_input = plans.finish(older, 2, "FATAL", b'{"errorDetails": "The report could not be made"}')
    assert execution_input["pullWindow"] == {
        "planId": plans.plan.plan_id,
        "windowKey": older.key,
        "version": 2,
        "attempt": 1,  # the ledger attempt the report belongs to
    }
    failed = plans.entry(older, 2)
    assert failed.state is WindowState.FAILED and "could not be made" in failed.reason
    assert failed.retry_after == (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    plans.finish(newer, 1, "CANCELLED", None)
    assert plans.entry(newer, 1).state is WindowState.NO_DATA

    # After the retry delay the failed version is requested again (its second attempt) and lands.
    assert plans.tick(NOW + timedelta(minutes=30))["reportsCreated"] == 0
    assert plans.tick(NOW + timedelta(hours=2))["reportsCreated"] == 1
    plans.finish(older, 2, "DONE", DOCUMENT)
    stored = plans.entry(older, 2)
    assert (stored.state, stored.attempts) == (WindowState.STORED, 2)
    assert plans.manifest(older)["currentVersion"] == 2 and plans.manifest(older)["key"] == stored.s3_key

    # A day later the newer window's look-back re-pulls it as version 2 (and the next day's window is due).
    assert plans.tick(NOW + timedelta(days=1, hours=1))["reportsCreated"] == 2
    assert plans.entry(_window(0), 1).state is WindowState.REQUESTED
    plans.finish(newer, 2, "DONE", DOCUMENT)
    assert plans.entry(newer, 1).state is WindowState.NO_DATA
    assert plans.entry(newer, 2).state is WindowState.STORED
    manifest = plans.manifest(newer)
    assert manifest["currentVersion"] == 2
    assert manifest["window"] == {
        "start": newer.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": newer.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "marketplaceIds": [US],
    }
    assert plans.read(manifest["key"]) == DOCUMENT
