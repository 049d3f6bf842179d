"""`sp-reports plans ...`: what the commands send and what they print, tables for people and `--json` for
scripts, against the signature-checking fake API (which builds plans and coverage with the pipeline's
code)."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from sp_reports.client.cli import Output, coverage_table, print_coverage
from sp_reports.pipeline.pull_ledger import LedgerEntry, WindowState
from sp_reports.pipeline.pull_plans import PlanSchedule, ScheduleState
from sp_reports.pipeline.pull_windows import windows_between
from tests.support.canaries import REFRESH_TOKEN
from tests.support.fake_sp_reports_api import SELLER_ID

UK = "A1F83G8C2ARO7P"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"


@pytest.fixture
def seller(fake_api):
    fake_api.tokens[SELLER_ID] = REFRESH_TOKEN
    return SELLER_ID


def create(run_cli, api_args, *extra):
    return run_cli(
        *api_args,
        "plans",
        "create",
        "--seller-id",
        SELLER_ID,
        "--marketplace-ids",
        UK,
        "--report-type",
        ORDERS,
        "--cadence",
        "daily",
        "--start-date",
        "2026-01-01",
        *extra,
    )


def test_plans_create_sends_the_plan_and_says_whether_it_was_new(fake_api, api_args, run_cli, seller):
    first = create(run_cli, api_args, "--look-back-days", "7,1", "--option", "dateGranularity=DAY")
    again = create(run_cli, api_args, "--json", "--look-back-days", "1,7", "--option", "dateGranularity=DAY")

    assert first.exit_code == again.exit_code == 0, first.stderr
    plan_id = json.loads(again.stdout)["planId"]
    assert first.stdout.startswith(f"Created plan {plan_id}.\n")
    assert first.fields()["Look-back days"] == "1, 7" and first.fields()["State"] == "active"
    assert f"sp-reports plans coverage {plan_id}" in first.stderr
    assert fake_api.requests[0].json() == {
        "sellerId": SELLER_ID,
        "marketplaceIds": [UK],
        "reportType": ORDERS,
        "cadence": "daily",
        "startDate": "2026-01-01",
        "lookBackDays": [7, 1],
        "reportOptions": {"dateGranularity": "DAY"},
    }
    third = create(run_cli, api_args, "--look-back-days", "1,7", "--option", "dateGranularity=DAY")
    assert third.stdout.startswith(f"Plan {plan_id} already exists with this definition")


def test_plans_create_shows_the_apis_refusal_and_exits_1(fake_api, api_args, run_cli):
    result = create(run_cli, api_args)  # no token stored for the seller
    assert result.exit_code == 1
    assert f"no refresh token is stored for seller {SELLER_ID}" in result.stderr


@pytest.mark.parametrize(
    ("flag", "value"), [("--cadence", "hourly"), ("--start-date", "01/12/2026"), ("--look-back-days", "one")]
)
def test_plans_create_rejects_bad_arguments_before_calling_the_api(fake_api, api_args, run_cli, flag, value):
    args = {"--cadence": "daily", "--start-date": "2026-01-01", "--look-back-days": "1"} | {flag: value}
    command = ["plans", "create", "--seller-id", SELLER_ID, "--marketplace-ids", UK, "--report-type", ORDERS]
    result = run_cli(*api_args, *command, *[item for pair in args.items() for item in pair])
    assert result.exit_code == 2 and fake_api.requests == []


def test_plans_list_prints_a_table_and_json(fake_api, api_args, run_cli, seller):
    create(run_cli, api_args)
    create(run_cli, api_args, "--look-back-days", "2")

    table = run_cli(*api_args, "plans", "list", "--seller-id", SELLER_ID)
    as_json = run_cli(*api_args, "--json", "plans", "list")

    assert table.exit_code == 0
    header, *rows = table.stdout.splitlines()
    assert header.split() == [
        "PLAN",
        "SELLER",
        "REPORT",
        "TYPE",
        "MARKETPLACES",
        "CADENCE",
        "LOOK-BACKS",
        "START",
        "STATE",
    ]
    assert sorted(row.split()[5] for row in rows) == ["-", "2"]
    assert all(row.split()[1:5] == [SELLER_ID, ORDERS, UK, "daily"] for row in rows)
    assert len(json.loads(as_json.stdout)["plans"]) == 2
    assert fake_api.requests[-2].path.endswith(f"/plans?sellerId={SELLER_ID}")


def test_plans_pause_resume_show_and_delete(fake_api, api_args, run_cli, seller):
    plan_id = json.loads(create(run_cli, api_args, "--json").stdout)["planId"]

    paused = run_cli(*api_args, "plans", "pause", plan_id)
    shown = run_cli(*api_args, "plans", "show", plan_id)
    resumed = run_cli(*api_args, "--json", "plans", "resume", plan_id)
    deleted = run_cli(*api_args, "plans", "delete", plan_id)
    missing = run_cli(*api_args, "plans", "show", plan_id)

    assert paused.stdout.startswith(f"Plan {plan_id} paused.") and shown.fields()["State"] == "paused"
    assert json.loads(resumed.stdout)["paused"] is False
    assert [r.json() for r in fake_api.requests if r.method == "PATCH"] == [
        {"paused": True},
        {"paused": False},
    ]
    assert deleted.stdout.startswith(f"Plan {plan_id} deleted") and plan_id not in fake_api.plans
    assert missing.exit_code == 1 and "no plan" in missing.stderr


def test_plans_create_in_mode_amazon_schedule_and_show_says_where_its_schedule_stands(
    fake_api, api_args, run_cli, seller
):
    created = create(run_cli, api_args, "--json", "--mode", "amazon-schedule")
    plan_id = json.loads(created.stdout)["planId"]
    assert fake_api.requests[-1].json()["mode"] == "amazon-schedule"
    # The planner found Amazon refusing the schedule (sp_reports.pipeline.pull_schedules).
    note = "falling back: Amazon refused createReportSchedule for the type; the plan requests its windows"
    fake_api.plans[plan_id] = dataclasses.replace(
        fake_api.plans[plan_id], schedule=PlanSchedule(ScheduleState.REFUSED), status_note=note
    )

    shown = run_cli(*api_args, "plans", "show", plan_id)

    assert shown.fields()["Mode"] == "amazon-schedule"
    assert shown.fields()["Amazon schedule"] == "refused"
    assert shown.fields()["Status note"] == note

    updated = run_cli(*api_args, "plans", "update", plan_id, "--replace-existing-schedule")
    assert updated.exit_code == 0 and updated.fields()["Replaces schedules"].startswith("yes")
    assert fake_api.requests[-1].json() == {"replaceExistingSchedule": True}


def test_plans_update_sends_the_look_backs_and_needs_them(fake_api, api_args, run_cli, seller):
    plan_id = json.loads(create(run_cli, api_args, "--json", "--look-back-days", "2").stdout)["planId"]
    result = run_cli(*api_args, "plans", "update", plan_id, "--look-back-days", "2,7")
    assert result.exit_code == 0 and result.fields()["Look-back days"] == "2, 7"
    assert fake_api.requests[-1].json() == {"lookBackDays": [2, 7]}
    assert run_cli(*api_args, "plans", "update", plan_id).exit_code == 2
    # The cadence cannot change: another cadence is another plan.
    assert run_cli(*api_args, "plans", "update", plan_id, "--cadence", "weekly").exit_code == 2
    # Look-backs are only added: the API's refusal is shown.
    refused = run_cli(*api_args, "plans", "update", plan_id, "--look-back-days", "7")
    assert refused.exit_code == 1 and "PlanChangeNotSupported" in refused.stderr


def test_plans_coverage_prints_each_window_and_the_backfill(fake_api, api_args, run_cli, seller):
    plan_id = json.loads(create(run_cli, api_args, "--json", "--look-back-days", "2").stdout)["planId"]
    plan = fake_api.plans[plan_id]
    first, second = windows_between(plan, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))
    stamp = "2026-01-05T00:00:00Z"
    fake_api.ledger[plan_id] = [
        LedgerEntry(
            plan_id,
            first,
            1,
            WindowState.STORED,
            "501",
            1,
            None,
            None,
            "plans/a/v001/report.tsv",
            stamp,
            stamp,
        ),
        LedgerEntry(
            plan_id,
            first,
            2,
            WindowState.STORED,
            "502",
            1,
            None,
            None,
            "plans/a/v002/report.tsv",
            stamp,
            stamp,
        ),
        LedgerEntry(
            plan_id, second, 1, WindowState.PARKED, "503", 3, "FATAL three times", None, None, stamp, stamp
        ),
    ]

    result = run_cli(*api_args, "plans", "coverage", plan_id, "--from", "2026-01-01", "--to", "2026-01-03")
    as_json = run_cli(
        *api_args, "--json", "plans", "coverage", plan_id, "--from", "2026-01-01", "--to", "2026-01-01"
    )

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Plan {plan_id}, 2026-01-01 to 2026-01-03:"
    assert lines[1].split() == ["WINDOW", "MARKETPLACES", "STATUS", "VERSION", "CONVERSION", "DETAIL"]
    assert lines[2].split() == [
        "2026-01-01..2026-01-02",
        UK,
        "stored",
        "v2",
        "(2",
        "pulls)",
        "-",
        "plans/a/v002/report.tsv",
    ]
    assert lines[3].split()[:4] == ["2026-01-02..2026-01-03", UK, "parked", "-"]
    assert lines[3].endswith("FATAL three times")
    assert lines[4].split()[2] == "waiting-for-data" and "due since 2026-01-04" in lines[4]
    assert "Windows: 1 parked, 1 stored, 1 waiting-for-data" in result.stdout
    assert "Backfill:" in result.stdout and "estimated end unknown" in result.stdout
    answer = json.loads(as_json.stdout)
    assert [w["currentVersion"] for w in answer["windows"]] == [2]
    assert fake_api.requests[-1].path.endswith(f"/plans/{plan_id}/coverage?from=2026-01-01&to=2026-01-01")
    # The same text for other callers (the demo): the command's stdout, then the backfill's estimate.
    answer = json.loads(
        run_cli(
            *api_args, "--json", "plans", "coverage", plan_id, "--from", "2026-01-01", "--to", "2026-01-03"
        ).stdout
    )
    assert coverage_table(answer) == result.stdout + result.stderr


def test_print_coverage_says_when_the_plan_is_deleted():
    answer = {
        "planId": "pp-" + "0" * 24,
        "deleted": True,
        "from": "2026-01-01",
        "to": "2026-01-01",
        "windows": [],
        "summary": {},
        "backfill": {"windowsLeft": 0, "estimatedEnd": None},
    }
    stdout, stderr = io.StringIO(), io.StringIO()
    print_coverage(answer, Output(json_mode=False, stdout=stdout, stderr=stderr))
    assert stdout.getvalue().splitlines() == [
        f"Plan pp-{'0' * 24} (deleted: nothing more is pulled), 2026-01-01 to 2026-01-01:",
        "No windows in this range.",
    ]
    assert stderr.getvalue() == ""


def test_plans_coverage_rejects_from_after_to(fake_api, api_args, run_cli):
    result = run_cli(*api_args, "plans", "coverage", "pp-0", "--from", "2026-01-02", "--to", "2026-01-01")
    assert result.exit_code == 2 and "--from is after --to" in result.stderr and fake_api.requests == []


def test_plans_coverage_says_a_range_too_long_is_refused(fake_api, api_args, run_cli, seller):
    plan_id = json.loads(create(run_cli, api_args, "--json").stdout)["planId"]
    start = datetime(2024, 1, 1)
    end = (start + timedelta(days=400)).date().isoformat()
    result = run_cli(*api_args, "plans", "coverage", plan_id, "--from", "2024-01-01", "--to", end)
    assert result.exit_code == 1 and "at most 366 daily windows" in result.stderr


def test_plans_create_of_mode_discover_sends_no_cadence_and_needs_none(fake_api, api_args, run_cli, seller):
    base = (
        "plans",
        "create",
        "--seller-id",
        SELLER_ID,
        "--marketplace-ids",
        UK,
        "--start-date",
        "2026-01-01",
    )
    settlement = ("--report-type", "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2")

    result = run_cli(*api_args, *base, *settlement, "--mode", "discover")
    with_cadence = run_cli(*api_args, *base, *settlement, "--mode", "discover", "--cadence", "daily")
    without = run_cli(*api_args, *base, "--report-type", ORDERS)

    assert result.exit_code == 0, result.stderr
    assert result.fields()["Mode"] == "discover" and "Amazon decides" in result.fields()["Cadence"]
    assert fake_api.requests[0].json() == {
        "sellerId": SELLER_ID,
        "marketplaceIds": [UK],
        "reportType": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
        "startDate": "2026-01-01",
        "mode": "discover",
    }
    assert with_cadence.exit_code == 2 and "a discover plan has none" in with_cadence.stderr
    assert without.exit_code == 2 and "--cadence is required" in without.stderr
    assert len(fake_api.requests) == 1


def test_print_coverage_says_each_stored_windows_conversion():
    def window(day, conversion):
        return {
            "start": f"2026-01-0{day}T00:00:00Z",
            "end": f"2026-01-0{day + 1}T00:00:00Z",
            "marketplaceIds": [UK],
            "status": "stored",
            "currentVersion": 1,
            "s3Key": f"plans/a/{day}/v001/report.tsv",
            "versions": [{}],
            "conversion": conversion,
        }

    answer = {
        "planId": "pp-" + "0" * 24,
        "deleted": False,
        "from": "2026-01-01",
        "to": "2026-01-04",
        "windows": [
            window(1, {"status": "CONVERTED", "rows": 12, "tables": []}),
            window(2, {"status": "CONVERTED_WITH_PROBLEMS", "rows": 4, "problemCount": 3,
                       "firstProblem": {"row": 7, "column": "item_price", "reason": "not a number"}}),
            window(3, {"status": "REJECTED", "problemCount": 1,
                       "firstProblem": {"row": None, "column": None, "reason": "no sku column"}}),
            window(4, {"status": "NO_SCHEMA", "note": "no schema for this report type"}),
            window(5, {"status": "FAILED", "error": "ConnectionResetError", "note": "failed after retries"}),
            window(6, {"status": "SUPERSEDED", "problemCount": 0}),
        ],
        "summary": {"stored": 4},
        "backfill": {"windowsLeft": 0, "estimatedEnd": None},
    }  # fmt: skip

    lines = coverage_table(answer).splitlines()

    assert "converted, 12 rows" in lines[2]
    assert "converted, 4 rows, 3 problems (first: row 7, item_price: not a number)" in lines[3]
    assert "rejected: no sku column" in lines[4]
    assert "no schema for this report type" in lines[5]
    assert "failed: ConnectionResetError" in lines[6]
    assert "superseded by a newer version" in lines[7]
