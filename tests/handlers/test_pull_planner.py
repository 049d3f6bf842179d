"""The pull planner Lambda's wiring, invoked as EventBridge Scheduler invokes it: a due plan's windows
requested through the seller's stored token, recorded with their window, its figures and metrics in the
invocation's output, and the cap from PULL_PLANNER_MAX_REPORTS_PER_TICK; what a tick decides is
tests/pipeline/test_pull_planner.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import boto3

from sp_reports.pipeline.pull_ledger import PullStore, WindowState
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.report_records import ReportRecords
from tests.support.aws_resources import create_pull_plans_table
from tests.support.canaries import SELLER_ID, assert_no_secrets


def _context(remaining_ms: int) -> SimpleNamespace:
    return SimpleNamespace(
        function_name="sp-reports-pull-planner",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sp-reports-pull-planner",
        aws_request_id="c0ffee00-0000-4000-8000-000000000001",
        get_remaining_time_in_millis=lambda: remaining_ms,
    )


def test_a_scheduled_tick_requests_the_due_windows_within_the_cap(
    spapi_emulator, load_handler, stored_seller, resources, fast_spapi_retries, capsys
):
    spapi_emulator.disable_rate_limits()
    table = create_pull_plans_table()
    now = datetime.now(UTC)
    plan = plan_from_request(
        {
            "sellerId": SELLER_ID,
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
            "cadence": "daily",
            "startDate": (now - timedelta(days=5)).date().isoformat(),
        },
        now=now,
    )
    store = PullStore(table, boto3.client("dynamodb"))
    store.put_plan(plan)
    module = load_handler("pull_planner", PULL_PLANNER_MAX_REPORTS_PER_TICK="2")
    fast_spapi_retries(module, "NA")
    capsys.readouterr()

    answer = module.handler({}, _context(290_000))

    assert answer["reportsCreated"] == 2  # the tick's cap
    requested = [e for e in store.entries(plan.plan_id) if e.state is WindowState.REQUESTED]
    assert len(requested) == 2
    records = ReportRecords(resources.reports_table, boto3.client("dynamodb"))
    for entry in requested:
        assert records.get(entry.report_id).pull_window.window_key == entry.window_key
    output = capsys.readouterr().out
    assert_no_secrets(output)
    emf = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    assert any(line.get("PlannerReportsCreated") in (2.0, [2.0]) for line in emf)


def test_a_tick_with_too_little_time_left_requests_nothing(
    spapi_emulator, load_handler, stored_seller, fast_spapi_retries
):
    table = create_pull_plans_table()
    now = datetime.now(UTC)
    plan = plan_from_request(
        {
            "sellerId": SELLER_ID,
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
            "cadence": "daily",
            "startDate": (now - timedelta(days=2)).date().isoformat(),
        },
        now=now,
    )
    PullStore(table, boto3.client("dynamodb")).put_plan(plan)
    module = load_handler("pull_planner")
    answer = module.handler({}, _context(30_000))
    assert answer["stoppedForTime"] and answer["reportsCreated"] == 0
    assert spapi_emulator.reports == {}
