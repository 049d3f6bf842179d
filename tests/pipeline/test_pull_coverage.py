"""A plan's coverage from its ledger in moto's DynamoDB: every window's status, versions and S3 keys, the
range limits, and the backfill's windows left and estimated end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from sp_reports.pipeline.api_requests import ValidationError
from sp_reports.pipeline.conversion_failures import conversion_failure
from sp_reports.pipeline.pull_coverage import MAX_COVERAGE_PERIODS, PlannerPace, coverage
from sp_reports.pipeline.pull_ledger import PullStore, WindowState
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_windows import Window, available_at, due_versions, windows_between
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from tests.support import aws_resources
from tests.support.canaries import SELLER_ID

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
UK = "A1F83G8C2ARO7P"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"


@pytest.fixture
def store(aws) -> PullStore:
    return PullStore(aws_resources.create_pull_plans_table(), boto3.client("dynamodb"))


def make_plan(store, **changes):
    body = {
        "sellerId": SELLER_ID,
        "marketplaceIds": [UK],
        "reportType": ORDERS,
        "cadence": "daily",
        "lookBackDays": [2],
        "startDate": "2026-12-01",
        **changes,
    }
    plan = plan_from_request(body, now=NOW)
    store.put_plan(plan)
    return plan


def day(plan, number: int) -> Window:
    """The plan's window of 2026-12-<number>."""
    start = datetime(2026, 12, number, tzinfo=UTC)
    return windows_between(plan, start, start + timedelta(days=1))[0]


def settle(store, plan, window, version, state, **fields):
    store.claim(plan.plan_id, window, version, now=NOW)
    if state is WindowState.CLAIMED:
        return
    store.record_report(plan.plan_id, window, version, f"5001000{window.start.day:02d}{version}")
    if state is not WindowState.REQUESTED:
        store.settle(plan.plan_id, window.key, version, state, **fields)


def key(window, version):
    return f"plans/{SELLER_ID}/{ORDERS}/{UK}/{window.start:%Y-%m-%d}/v{version:03d}/report.tsv"


def test_every_window_of_the_range_has_its_status_versions_and_key(store):
    plan = make_plan(store)
    settle(store, plan, day(plan, 1), 1, WindowState.STORED, s3_key=key(day(plan, 1), 1))
    settle(store, plan, day(plan, 1), 2, WindowState.STORED, s3_key=key(day(plan, 1), 2))
    settle(store, plan, day(plan, 2), 1, WindowState.STORED, s3_key=key(day(plan, 2), 1))
    settle(store, plan, day(plan, 2), 2, WindowState.REQUESTED)
    settle(store, plan, day(plan, 3), 1, WindowState.FAILED, reason="FATAL: report processing failed",
           retry_after=NOW + timedelta(minutes=30))  # fmt: skip
    settle(store, plan, day(plan, 4), 1, WindowState.PARKED, reason="FATAL three times")
    settle(store, plan, day(plan, 5), 1, WindowState.NO_DATA)
    settle(store, plan, day(plan, 6), 1, WindowState.CLAIMED)

    answer = coverage(plan, store, date(2026, 11, 30), date(2026, 12, 8), NOW)
    by_day = {window["start"][:10]: window for window in answer["windows"]}

    # Nothing before the start date; the 7th has not ended, the 8th neither.
    assert list(by_day) == [f"2026-12-0{n}" for n in range(1, 9)]
    assert {d: w["status"] for d, w in by_day.items()} == {
        "2026-12-01": "stored",
        "2026-12-02": "stored",  # v1 stored, its look-back re-pull in flight
        "2026-12-03": "failed",
        "2026-12-04": "parked",
        "2026-12-05": "no-data",
        "2026-12-06": "requested",
        "2026-12-07": "not-yet-due",
        "2026-12-08": "not-yet-due",
    }
    first = by_day["2026-12-01"]
    assert (first["currentVersion"], first["s3Key"]) == (2, key(day(plan, 1), 2))
    assert [(v["version"], v["state"], v["s3Key"]) for v in first["versions"]] == [
        (1, "STORED", key(day(plan, 1), 1)),
        (2, "STORED", key(day(plan, 1), 2)),
    ]
    assert (first["start"], first["end"], first["marketplaceIds"]) == (
        "2026-12-01T00:00:00Z",
        "2026-12-02T00:00:00Z",
        [UK],
    )
    second = by_day["2026-12-02"]
    assert second["currentVersion"] == 1 and [v["state"] for v in second["versions"]] == [
        "STORED",
        "REQUESTED",
    ]
    assert by_day["2026-12-03"]["reason"] == "FATAL: report processing failed"
    assert by_day["2026-12-03"]["retryAfter"].startswith("2026-12-07T12:30:00")
    assert by_day["2026-12-04"]["reason"] == "FATAL three times"
    assert "currentVersion" not in by_day["2026-12-05"]
    assert by_day["2026-12-07"]["dueAt"] == answer_time(available_at(plan, day(plan, 7)))
    assert answer["summary"] == {
        "failed": 1, "no-data": 1, "not-yet-due": 2, "parked": 1, "requested": 1, "stored": 2
    }  # fmt: skip
    # Every due window has a first report: no backfill left.
    assert answer["backfill"]["windowsLeft"] == 0 and answer["backfill"]["estimatedEnd"] is None


def answer_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_due_window_no_report_holds_waits_for_data_and_counts_in_the_backfill(store):
    plan = make_plan(store, startDate="2026-11-01", lookBackDays=[])
    for number in (5, 6):
        settle(store, plan, day(plan, number), 1, WindowState.STORED, s3_key=key(day(plan, number), 1))

    answer = coverage(plan, store, date(2026, 12, 4), date(2026, 12, 6), NOW)

    assert [w["status"] for w in answer["windows"]] == ["waiting-for-data", "stored", "stored"]
    assert answer["windows"][0]["dueSince"] == answer_time(available_at(plan, day(plan, 4)))
    # November (30) and 1-4 December: 34 due windows without a report, whatever the range asked.
    assert answer["backfill"]["windowsLeft"] == 34
    assert answer["backfill"]["estimatedEnd"] is None
    assert answer["backfill"]["estimate"].startswith("unknown")


def test_a_window_first_pulled_at_a_look_back_version_counts_as_started(store):
    # The planner requests a window already past its look-back at its latest due version only: version 2
    # of 1-4 December, version 1 of the 5th and 6th. Every due window then has a report: nothing left.
    plan = make_plan(store, lookBackDays=[2])
    for number in range(1, 7):
        window = day(plan, number)
        version = due_versions(plan, window, NOW)
        settle(store, plan, window, version, WindowState.STORED, s3_key=key(window, version))
    assert due_versions(plan, day(plan, 1), NOW) == 2

    backfill = coverage(plan, store, date(2026, 12, 1), date(2026, 12, 7), NOW)["backfill"]

    assert backfill["windowsLeft"] == 0 and backfill["estimatedEnd"] is None
    assert backfill["estimate"].startswith("nothing left")


def test_the_backfills_end_is_estimated_from_the_planners_pace(store):
    plan = make_plan(store, startDate="2026-11-01", lookBackDays=[])
    pace = PlannerPace.from_settings("10", "rate(5 minutes)")
    assert (pace.max_reports_per_tick, pace.tick_minutes) == (10, 5.0)

    backfill = coverage(plan, store, date(2026, 12, 1), date(2026, 12, 7), NOW, pace=pace)["backfill"]

    # 36 windows: 4 ticks of 5 minutes by the planner's pace, but the seller's createReport quota (a burst
    # of 15, then 0.0167 a second) needs (36 - 15) / 0.0167 s = 1257.5 s, the later of the two.
    assert backfill["windowsLeft"] == 36
    assert backfill["estimatedEnd"] == answer_time(NOW + timedelta(seconds=(36 - 15) / 0.0167))
    assert "at the earliest" in backfill["estimate"]


@pytest.mark.parametrize(
    ("per_tick", "schedule"),
    [
        (None, "rate(5 minutes)"),
        ("10", None),
        ("ten", "rate(5 minutes)"),
        ("10", "cron(0/5 * * * ? *)"),
        ("0", "rate(1 hour)"),
    ],
)
def test_an_unknown_pace_estimates_nothing(per_tick, schedule):
    assert not PlannerPace.from_settings(per_tick, schedule).known


def test_a_paused_plan_says_its_backfill_waits(store):
    plan = make_plan(store, lookBackDays=[])
    paused = store.update_plan(plan.plan_id, paused=True)
    backfill = coverage(paused, store, date(2026, 12, 1), date(2026, 12, 1), NOW, pace=PlannerPace(10, 5))[
        "backfill"
    ]
    assert backfill["windowsLeft"] == 6 and backfill["estimatedEnd"] is None
    assert "paused" in backfill["estimate"]


def test_a_weekly_window_overlapping_the_first_day_is_answered_with_its_entries(store):
    plan = make_plan(store, cadence="weekly", startDate="2026-11-01", lookBackDays=[])
    week = windows_between(plan, datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))[0]
    settle(store, plan, week, 1, WindowState.STORED, s3_key="plans/week/v001/report.tsv")

    # 2026-11-25 is a Wednesday: its week started on Sunday the 22nd.
    answer = coverage(plan, store, date(2026, 11, 25), date(2026, 12, 7), NOW)

    assert [w["start"][:10] for w in answer["windows"]] == ["2026-11-22", "2026-11-29", "2026-12-06"]
    assert [w["status"] for w in answer["windows"]] == ["stored", "waiting-for-data", "not-yet-due"]


def test_a_range_longer_than_the_limit_or_backwards_is_refused_saying_so(store):
    plan = make_plan(store)
    start = date(2025, 1, 1)
    with pytest.raises(ValidationError, match=f"at most {MAX_COVERAGE_PERIODS} daily windows"):
        coverage(plan, store, start, start + timedelta(days=MAX_COVERAGE_PERIODS), NOW)
    assert (
        coverage(plan, store, start, start + timedelta(days=MAX_COVERAGE_PERIODS - 1), NOW)["windows"] == []
    )
    with pytest.raises(ValidationError, match="before from"):
        coverage(plan, store, date(2026, 12, 7), date(2026, 12, 6), NOW)
    monthly = make_plan(store, cadence="monthly", lookBackDays=[])
    # A monthly plan may ask for 366 months' worth of days.
    assert coverage(monthly, store, date(2000, 1, 1), date(2026, 12, 31), NOW)["windows"]


@pytest.fixture
def records(aws) -> ReportRecords:
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="coverage-reports",
        KeySchema=[{"AttributeName": "ReportId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "ReportId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ReportRecords("coverage-reports", dynamodb)


def record_conversion(records, report_id, conversion):
    records.record_unrequested(
        report_id=report_id,
        seller_id=SELLER_ID,
        account_id="amzn1.merchant.o.test",
        report_type=ORDERS,
        processing_status="DONE",
        report_document_id=None,
        status=ReportStatus.DONE,
    )
    if conversion is not None:
        records.mark_converted(report_id, conversion)


def curated(window, rows):
    return {"table": "all_orders", "key": f"curated/all_orders/{window.start:%Y%m%d}.parquet", "rows": rows}


def test_each_stored_window_says_its_conversion_from_its_current_reports_record(store, records):
    plan = make_plan(store)
    for number in (1, 2, 3, 4):
        settle(store, plan, day(plan, number), 1, WindowState.STORED, s3_key=key(day(plan, number), 1))
    settle(store, plan, day(plan, 1), 2, WindowState.STORED, s3_key=key(day(plan, 1), 2))
    settle(store, plan, day(plan, 5), 1, WindowState.NO_DATA)
    bad_price = {"row": 7, "column": "item_price", "reason": "decimal(18,2): not a number"}
    no_sku = {"row": None, "column": None, "reason": "the header lacks the required column sku"}
    record_conversion(records, "5001000011", {"status": "CONVERTED", "files": [curated(day(plan, 1), 9)],
                      "problems": [], "problemCount": 0, "unknownColumns": []})  # fmt: skip
    record_conversion(records, "5001000012", {"status": "CONVERTED", "files": [curated(day(plan, 1), 12)],
                      "problems": [], "problemCount": 0, "unknownColumns": []})  # fmt: skip
    record_conversion(records, "5001000021", {"status": "CONVERTED_WITH_PROBLEMS",
                      "files": [curated(day(plan, 2), 4)], "problems": [bad_price], "problemCount": 3,
                      "unknownColumns": ["gift-message"]})  # fmt: skip
    record_conversion(records, "5001000031", {"status": "REJECTED", "files": [], "problems": [no_sku],
                      "problemCount": 1, "unknownColumns": []})  # fmt: skip
    record_conversion(records, "5001000041", None)  # stored, conversion failed before recording

    answer = coverage(plan, store, date(2026, 12, 1), date(2026, 12, 5), NOW, conversions=records.conversions)
    by_day = {window["start"][:10]: window for window in answer["windows"]}

    # The current version's (v2) conversion, not v1's.
    assert by_day["2026-12-01"]["conversion"] == {
        "status": "CONVERTED",
        "rows": 12,
        "tables": [curated(day(plan, 1), 12)],
    }
    assert by_day["2026-12-02"]["conversion"] == {
        "status": "CONVERTED_WITH_PROBLEMS",
        "rows": 4,
        "tables": [curated(day(plan, 2), 4)],
        "problemCount": 3,
        "firstProblem": bad_price,
        "unknownColumns": ["gift-message"],
    }
    assert by_day["2026-12-03"]["conversion"] == {
        "status": "REJECTED",
        "problemCount": 1,
        "firstProblem": no_sku,
    }
    assert by_day["2026-12-04"]["conversion"]["status"] == "NOT_RECORDED"
    assert "conversion" not in by_day["2026-12-05"]  # no data: nothing to convert


def test_a_failed_conversion_shows_its_error_and_a_superseded_one_says_so(store, records):
    plan = make_plan(store)
    for number in (1, 2):
        settle(store, plan, day(plan, number), 1, WindowState.STORED, s3_key=key(day(plan, number), 1))
    failed = conversion_failure({"conversion": {"Error": "ConnectionResetError", "Cause": "https://x?sig=1"}})
    record_conversion(records, "5001000011", failed)
    record_conversion(records, "5001000021", {"status": "SUPERSEDED", "files": [], "problems": [],
                      "problemCount": 0, "unknownColumns": []})  # fmt: skip

    answer = coverage(plan, store, date(2026, 12, 1), date(2026, 12, 2), NOW, conversions=records.conversions)
    by_day = {window["start"][:10]: window for window in answer["windows"]}

    assert by_day["2026-12-01"]["conversion"] == {
        "status": "FAILED",
        "error": "ConnectionResetError",
        "note": "the conversion failed after its retries; the raw report is stored and delivered",
    }
    assert by_day["2026-12-02"]["conversion"] == {
        "status": "SUPERSEDED",
        "note": "a newer version of this window holds the curated file; this version's is not published",
        "problemCount": 0,
    }


def test_a_report_type_without_a_schema_says_so_without_reading_records(store):
    plan = make_plan(store, reportType="GET_FLAT_FILE_OPEN_LISTINGS_DATA", marketplaceIds=[UK])
    settle(store, plan, day(plan, 1), 1, WindowState.STORED, s3_key="plans/x/report.tsv")

    def no_reads(report_ids):
        raise AssertionError(f"records read for a type without a schema: {list(report_ids)}")

    answer = coverage(plan, store, date(2026, 12, 1), date(2026, 12, 1), NOW, conversions=no_reads)

    assert answer["windows"][0]["conversion"] == {
        "status": "NO_SCHEMA",
        "note": "no schema for this report type",
    }


def test_conversions_are_read_in_batches_of_a_hundred(records):
    ids = [f"5002{n:07d}" for n in range(230)]
    for report_id in ids[:3]:
        record_conversion(records, report_id, {"status": "CONVERTED", "files": [], "problems": [],
                          "problemCount": 0, "unknownColumns": []})  # fmt: skip
    calls = []
    real = records._dynamodb.batch_get_item

    def counted(**kwargs):
        calls.append(len(kwargs["RequestItems"]["coverage-reports"]["Keys"]))
        return real(**kwargs)

    records._dynamodb.batch_get_item = counted
    found = records.conversions(ids)

    assert calls == [100, 100, 30]
    assert [found[i]["status"] for i in ids[:3]] == ["CONVERTED"] * 3
    assert all(found[i] is None for i in ids[3:])
