"""Mode amazon-schedule (sp_reports.pipeline.pull_schedules) through the /plans service and the planner's
tick, against moto and the SP-API emulator, whose clock makes the schedule's reports: the schedule created
at the next window's end, its report matched to the window as version 1 and stored there by the workflow's
storing task, with no createReport; Amazon refusing the schedule makes the plan request its windows and say
so; a schedule the plan did not create is not replaced until the plan is told to; pausing or deleting the
plan cancels its schedule and resuming creates another."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.notifications_processing import ReportContext, parse_report_processing_finished
from sp_reports.pipeline.plan_requests import PlanRequests
from sp_reports.pipeline.pull_ledger import PullStore, WindowState
from sp_reports.pipeline.pull_planner import PullPlanner
from sp_reports.pipeline.pull_plans import ScheduleIntent, plan_from_request
from sp_reports.pipeline.pull_schedules import window_of_report
from sp_reports.pipeline.pull_window_objects import WindowObjects
from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes
from sp_reports.pipeline.pull_windows import Window, iso_second
from sp_reports.pipeline.report_cooldowns import ReportCooldowns
from sp_reports.pipeline.report_document_storer import DocumentUploads, ReportDocumentStorer
from sp_reports.pipeline.report_records import PullWindowRef, ReportRecords
from sp_reports.pipeline.report_storage import MIN_PART_SIZE
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.tenancy import TenantBoundary
from sp_reports.pipeline.token_store import TokenStore
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from tests.support.api_events import OPERATOR_ARN, api_event
from tests.support.aws_resources import REGION, create_pull_plans_table
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID
from tests.support.notification_messages import notification

ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"  # no hold-back, no cooldown
SCHEDULE_ONLY = "GET_ORDER_REPORT_DATA_SHIPPING"  # the catalogue's scheduled-only
US = "ATVPDKIKX0DER"
DAY = timedelta(days=1)
DOCUMENT = b"order-id\tamount\n111-1\t9.99\n"


def _plenty() -> float:
    return 600.0


@pytest.fixture
def world(aws, resources, spapi_emulator, telemetry):
    spapi_emulator.disable_rate_limits()
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    store = PullStore(create_pull_plans_table(), dynamodb)
    records = ReportRecords(resources.reports_table, dynamodb)
    tokens = TokenStore(resources.tokens_table, resources.tokens_key_id, dynamodb, boto3.client("kms"))
    tokens.put(SELLER_ID, REFRESH_TOKEN)
    lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))

    def reports_for(seller_id: str, region_code: str) -> ReportsClient:
        return ReportsClient(
            SpApiHttpClient(spapi_endpoint(region_code)), lwa.seller_token_provider(REFRESH_TOKEN)
        )

    # The planner and the API keep the emulator's time, which the tests move on.
    def clock() -> datetime:
        return spapi_emulator.app.now().replace(microsecond=0)

    class World:
        def __init__(self) -> None:
            self.store, self.records, self.emulator, self.reports = (
                store,
                records,
                spapi_emulator,
                reports_for,
            )
            self.planner = PullPlanner(
                store=store,
                records=records,
                sweep_state=SweepState(resources.reports_table, dynamodb),
                reports_for=reports_for,
                cooldowns=ReportCooldowns(resources.reports_table, dynamodb),
                window_objects=WindowObjects(
                    boto3.client("s3"),
                    bucket=resources.bucket,
                    kms_key_id=resources.reports_key_id,
                    clock=clock,
                ),
                outcomes=PullWindowOutcomes(
                    store, logger=telemetry.logger, metrics=telemetry.metrics, clock=clock
                ),
                logger=telemetry.logger,
                metrics=telemetry.metrics,
                clock=clock,
            )
            self.api = PlanRequests(
                store=store,
                tokens=TokenStore(resources.tokens_table, "", dynamodb, None),
                boundary=TenantBoundary(None),
                seller_daily_budget=10,
                logger=telemetry.logger,
                metrics=telemetry.metrics,
                # The schedule-only XML order reports are restricted: a deployment that stores them.
                restricted_allowed=True,
                clock=clock,
            )
            self.storer = ReportDocumentStorer(
                s3_client=boto3.client("s3"),
                uploads=DocumentUploads(
                    bucket=resources.bucket,
                    kms_key_id=resources.reports_key_id,
                    part_size=MIN_PART_SIZE,
                    max_document_bytes=1024 * 1024,
                ),
                records=records,
                reports_for=reports_for,
                logger=telemetry.logger,
                metrics=telemetry.metrics,
            )
            self.clock = clock

        def post(self, **changes) -> dict:
            body = {
                "sellerId": SELLER_ID,
                "marketplaceIds": [US],
                "reportType": ORDERS,
                "cadence": "daily",
                "startDate": self.clock().date().isoformat(),
                "mode": "amazon-schedule",
                **changes,
            }
            status, answer = self.api.answer(api_event("POST", "/plans", body, caller_arn=OPERATOR_ARN))
            assert status == 201, answer
            return answer

        def on_plan(self, method: str, plan_id: str, body=None, resource="/plans/{planId}") -> dict:
            path = resource.replace("{planId}", plan_id)
            event = api_event(method, path, body, {"planId": plan_id}, OPERATOR_ARN)
            event["resource"] = resource
            return self.api.answer(event)[1]

        def calls(self, operation: str) -> int:
            return sum(1 for e in spapi_emulator.exchanges if e.operation_id == operation)

        def schedules(self) -> dict:
            return dict(spapi_emulator.app.state.schedules)

        def go_to_noon(self) -> None:
            """Move the clock on to the next noon (UTC): yesterday's window is due, whatever the jitter."""
            now = self.clock()
            noon = datetime.combine(now.date(), time(12), tzinfo=UTC)
            spapi_emulator.advance_time(((noon - now) % DAY).total_seconds())

        def midnight_after(self, moment: datetime) -> datetime:
            return datetime.combine(moment.date() + DAY, time(0), tzinfo=UTC)

    return World()


def test_the_schedule_makes_the_windows_report_which_is_matched_and_stored_as_version_1(world):
    now = world.clock()
    plan_id = world.post()["planId"]

    world.planner.tick(_plenty)

    # One schedule, daily, its first report due when today's window ends (no hold-back for the type).
    tomorrow = world.midnight_after(now)
    (schedule,) = world.schedules().values()
    assert (schedule.report_type, schedule.marketplace_ids, schedule.period) == (ORDERS, [US], "P1D")
    assert schedule.next_creation == tomorrow
    shown = world.on_plan("GET", plan_id)
    assert shown["schedule"] == {
        "state": "active",
        "reportScheduleId": schedule.report_schedule_id,
        "coversWindowsEndingFrom": iso_second(tomorrow),
    }
    assert schedule.report_schedule_id in shown["statusNote"]
    assert world.calls("createReport") == 0

    # Amazon's clock passes midnight: the schedule makes today's report; the plan's next tick matches it.
    world.emulator.advance_time((tomorrow - now).total_seconds() + 3600)
    world.planner.tick(_plenty)

    (made,) = [
        r for r in world.emulator.reports.values() if r.report_schedule_id == schedule.report_schedule_id
    ]
    window = Window(tomorrow - DAY, tomorrow, (US,))
    entry = world.store.entry(plan_id, window.key, 1)
    assert (entry.state, entry.report_id, entry.report_schedule_id) == (
        WindowState.REQUESTED,
        made.report_id,
        schedule.report_schedule_id,
    )
    record = world.records.get(made.report_id)
    assert record.pull_window == PullWindowRef(plan_id, window.key, 1)
    assert (record.data_start_time, record.report_type) == (window.data_start_time, ORDERS)
    assert world.calls("createReport") == 0

    # Its notification reaches the workflow, whose storing task places it in the window as version 1.
    if made.processing_status != "DONE":
        world.emulator.finish_report(made.report_id, "DONE", DOCUMENT)
    finished = world.emulator.report(made.report_id)
    message = notification(made.report_id, report_type=ORDERS, report_document_id=finished.report_document_id)
    context = ReportContext.settle(parse_report_processing_finished(json.dumps(message)), record)
    output = world.storer.store(context.to_execution_input())
    assert output["windowKey"] == (
        f"plans/{SELLER_ID}/{ORDERS}/{plan_id}/{US}/{window.start.date()}_{window.end.date()}/v001/report.tsv"
    )


def test_amazon_refusing_the_schedule_makes_the_plan_request_its_windows_and_say_so(world):
    world.emulator.refuse_schedules_of(ORDERS)
    world.go_to_noon()
    yesterday = world.clock().date() - DAY
    plan_id = world.post(startDate=yesterday.isoformat())["planId"]

    refused_at = world.clock()
    world.planner.tick(_plenty)

    shown = world.on_plan("GET", plan_id)
    retry_after = iso_second(refused_at + 7 * DAY)
    assert shown["schedule"] == {"state": "refused", "retryAfter": retry_after}
    assert "falling back" in shown["statusNote"] and "is not allowed at this time" in shown["statusNote"]
    assert f"tried again after {retry_after}" in shown["statusNote"]
    assert world.schedules() == {}
    # Yesterday's window, due now, requested with createReport instead.
    assert world.calls("createReport") == 1
    (entry,) = world.store.entries(plan_id)
    assert (entry.window.start.date(), entry.version, entry.state) == (yesterday, 1, WindowState.REQUESTED)
    assert entry.report_schedule_id is None

    world.planner.tick(_plenty)  # a refused type is not tried again on every run
    assert world.calls("createReportSchedule") == 1


def test_a_schedule_the_plan_did_not_create_is_replaced_only_when_the_plan_says_so(world):
    theirs = world.reports(SELLER_ID, "NA").create_report_schedule(ORDERS, [US], "P1D")
    world.go_to_noon()
    yesterday = world.clock().date() - DAY
    plan_id = world.post(startDate=yesterday.isoformat())["planId"]

    world.planner.tick(_plenty)

    assert list(world.schedules()) == [theirs]
    shown = world.on_plan("GET", plan_id)
    assert shown["schedule"] == {"state": "foreign"}
    assert theirs in shown["statusNote"] and "replaceExistingSchedule" in shown["statusNote"]
    assert world.calls("createReportSchedule") == 1  # theirs only
    assert world.calls("createReport") == 1  # meanwhile the plan requests its due window itself

    world.on_plan("PATCH", plan_id, {"replaceExistingSchedule": True})
    world.planner.tick(_plenty)

    (ours,) = world.schedules()
    assert ours != theirs
    shown = world.on_plan("GET", plan_id)
    assert (shown["schedule"]["state"], shown["schedule"]["reportScheduleId"]) == ("active", ours)
    assert f"replacing {theirs}" in shown["statusNote"]


def test_pausing_cancels_the_schedule_resuming_creates_another_and_deleting_cancels_it(world):
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    (first,) = world.schedules()

    world.on_plan("PATCH", plan_id, {"paused": True})
    world.planner.tick(_plenty)
    assert world.schedules() == {}
    assert world.calls("cancelReportSchedule") == 1
    assert world.on_plan("GET", plan_id)["schedule"] is None

    world.on_plan("PATCH", plan_id, {"paused": False})
    world.planner.tick(_plenty)
    (second,) = world.schedules()
    assert second != first

    world.on_plan("DELETE", plan_id)
    world.planner.tick(_plenty)
    assert world.schedules() == {}
    assert world.calls("cancelReportSchedule") == 2
    # Off the due index once cancelled: no later tick reads it.
    later = world.clock() + 30 * DAY
    assert all(plan_id not in list(world.store.due_plans(later, shard=s)) for s in range(PullStore.SHARDS))


def test_a_schedule_only_type_is_scheduled_and_never_requested(world):
    world.go_to_noon()
    yesterday = world.clock().date() - DAY
    plan_id = world.post(reportType=SCHEDULE_ONLY, startDate=yesterday.isoformat())["planId"]

    world.planner.tick(_plenty)

    (schedule,) = world.schedules().values()
    assert schedule.report_type == SCHEDULE_ONLY
    # Yesterday's window is older than the schedule, and createReport cannot make the type: left alone,
    # and the coverage says so rather than counting it in a backfill that never ends.
    assert world.calls("createReport") == 0
    assert world.store.entries(plan_id) == []
    answer = world.on_plan("GET", plan_id, resource="/plans/{planId}/coverage")
    (old,) = [w for w in answer["windows"] if w["start"].startswith(yesterday.isoformat())]
    assert old["status"] == "waiting-for-data" and old["reason"].startswith("not pulled")
    assert answer["backfill"]["windowsLeft"] == 0


@pytest.mark.parametrize(
    ("report", "expected_start"),
    [
        # The schedule's report made at the window's end: that window.
        ({"createdTime": "2026-12-08T00:00:00Z"}, "2026-12-07"),
        # Made late: still the last window that ended.
        ({"createdTime": "2026-12-08T05:30:12.345Z"}, "2026-12-07"),
        # A data range that is a window's names it, whenever the report was made.
        (
            {
                "createdTime": "2026-12-09T03:00:00Z",
                "dataStartTime": "2026-12-06T00:00:00Z",
                "dataEndTime": "2026-12-06T23:59:59Z",
            },
            "2026-12-06",
        ),
        # The range in SP-API's other spellings: milliseconds, an offset, the window's end itself (exclusive).
        (
            {
                "createdTime": "2026-12-09T03:00:00Z",
                "dataStartTime": "2026-12-06T00:00:00.000Z",
                "dataEndTime": "2026-12-06T23:59:59.999Z",
            },
            "2026-12-06",
        ),
        (
            {
                "createdTime": "2026-12-09T03:00:00Z",
                "dataStartTime": "2026-12-06T00:00:00+00:00",
                "dataEndTime": "2026-12-06T23:59:59+00:00",
            },
            "2026-12-06",
        ),
        (
            {
                "createdTime": "2026-12-09T03:00:00Z",
                "dataStartTime": "2026-12-06T00:00:00Z",
                "dataEndTime": "2026-12-07T00:00:00Z",
            },
            "2026-12-06",
        ),
        # A data range that is no window's: the creation time decides (models#1049 leaves the range open).
        (
            {
                "createdTime": "2026-12-08T00:00:00Z",
                "dataStartTime": "2026-12-06T08:00:00Z",
                "dataEndTime": "2026-12-07T07:59:59Z",
            },
            "2026-12-07",
        ),
    ],
)
def test_a_scheduled_report_belongs_to_the_window_its_range_or_creation_names(report, expected_start):
    plan = plan_from_request(
        {
            "sellerId": SELLER_ID,
            "marketplaceIds": [US],
            "reportType": ORDERS,
            "cadence": "daily",
            "startDate": "2026-12-01",
            "mode": "amazon-schedule",
        },
        now=datetime(2026, 12, 7, tzinfo=UTC),
    )
    window = window_of_report(plan, report)
    assert window is not None and window.start.date().isoformat() == expected_start
    assert window.end - window.start == DAY


def test_a_schedule_cancelled_elsewhere_is_made_again_and_the_window_it_missed_is_requested(world):
    now = world.clock()
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    (first,) = world.schedules()
    world.reports(SELLER_ID, "NA").cancel_report_schedule(first)  # the seller, in another tool

    tomorrow = world.midnight_after(now)
    world.emulator.advance_time((tomorrow - now).total_seconds() + 3600)
    world.planner.tick(_plenty)

    (second,) = world.schedules()
    assert second != first
    assert world.on_plan("GET", plan_id)["schedule"]["coversWindowsEndingFrom"] == iso_second(tomorrow + DAY)
    # Nobody made the window that ended at midnight: the planner requested it with createReport.
    assert world.calls("createReport") == 1
    entry = world.store.entry(plan_id, Window(tomorrow - DAY, tomorrow, (US,)).key, 1)
    assert entry.state is WindowState.REQUESTED and entry.report_schedule_id is None


def test_a_failing_or_throttled_schedule_check_requests_nothing_and_comes_back(world, monkeypatch):
    world.go_to_noon()
    yesterday = world.clock().date() - DAY
    plan_id = world.post(startDate=yesterday.isoformat())["planId"]
    world.emulator.inject("getReportSchedules", status=503, times=None)

    world.planner.tick(_plenty)

    # Whether yesterday's window is the schedule's is unknown: nothing requested, the plan due again soon.
    assert world.calls("createReport") == world.calls("createReportSchedule") == 0
    later = world.clock() + timedelta(minutes=15)
    assert plan_id in {p for s in range(PullStore.SHARDS) for p in world.store.due_plans(later, shard=s)}
    assert plan_id not in {
        p for s in range(PullStore.SHARDS) for p in world.store.due_plans(world.clock(), shard=s)
    }

    world.emulator.clear_faults()
    # The seller's schedule quota spent (0.0222 requests/s): the run waits for a later tick, calling nothing.
    monkeypatch.setattr(ReportsClient, "seconds_until_call", lambda self, operation: 40.0)
    world.store.set_next_due(plan_id, world.clock())
    calls = len(world.emulator.exchanges)
    world.planner.tick(_plenty)
    assert len(world.emulator.exchanges) == calls


def _schedule_makes_todays_report(world, plan_id: str, now: datetime) -> tuple[Window, str]:
    """Amazon's clock passes midnight after the plan's first tick made its schedule; the window that ended
    then and the report the schedule made for it (finished on the emulator's clock)."""
    (schedule,) = world.schedules().values()
    tomorrow = world.midnight_after(now)
    world.emulator.advance_time((tomorrow - now).total_seconds() + 3600)
    while True:
        made = [
            r for r in world.emulator.reports.values() if r.report_schedule_id == schedule.report_schedule_id
        ]
        if made and made[0].processing_status in ("DONE", "FATAL"):
            return Window(tomorrow - DAY, tomorrow, (US,)), made[0].report_id
        world.emulator.advance_time(1)


def test_a_fatal_scheduled_report_is_not_adopted_again_and_its_window_is_requested(world):
    world.emulator.configure_report_type(ORDERS, outcome="FATAL")
    now = world.clock()
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    window, fatal = _schedule_makes_todays_report(world, plan_id, now)
    # The schedule's report was recorded in its window and came back FATAL: the workflow failed the version,
    # to be retried now.
    at = world.clock()
    world.store.claim(plan_id, window, 1, now=at)
    world.store.record_report(plan_id, window, 1, fatal, now=at)
    world.store.settle(plan_id, window.key, 1, WindowState.FAILED, reason="FATAL", retry_after=at, now=at)
    world.emulator.configure_report_type(ORDERS, outcome="DONE")
    world.store.set_next_due(plan_id, world.clock())

    world.planner.tick(_plenty)

    # The retry is the planner's createReport, still within the schedule's grace; the FATAL report stays out.
    assert world.calls("createReport") == 1
    entry = world.store.entry(plan_id, window.key, 1)
    assert entry.state is WindowState.REQUESTED and entry.report_id not in (None, fatal)
    assert entry.report_schedule_id is None


def test_a_fatal_scheduled_report_is_never_matched_to_a_window(world):
    world.emulator.configure_report_type(ORDERS, outcome="FATAL")
    now = world.clock()
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    window, _fatal = _schedule_makes_todays_report(world, plan_id, now)

    world.planner.tick(_plenty)

    # Within the schedule's grace the window waits: nothing recorded in it, nothing requested.
    assert world.store.entry(plan_id, window.key, 1) is None
    assert world.calls("createReport") == 0


def test_a_claim_left_without_its_report_is_finished_with_the_scheduled_report(world):
    now = world.clock()
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    window, made = _schedule_makes_todays_report(world, plan_id, now)
    (schedule,) = world.schedules()
    # An earlier run claimed the version for the schedule's report and stopped before recording it.
    world.store.claim(plan_id, window, 1, now=world.clock())

    world.planner.tick(_plenty)

    entry = world.store.entry(plan_id, window.key, 1)
    assert (entry.state, entry.report_id, entry.report_schedule_id) == (WindowState.REQUESTED, made, schedule)
    assert world.records.get(made).pull_window == PullWindowRef(plan_id, window.key, 1)
    assert world.calls("createReport") == 0


def test_an_adoption_that_fails_midway_is_finished_by_the_next_run(world, monkeypatch):
    now = world.clock()
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    window, made = _schedule_makes_todays_report(world, plan_id, now)
    throttled = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem"
    )
    record_requested = ReportRecords.record_requested
    failures = iter([throttled])

    def failing_once(self, *args, **kwargs):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return record_requested(self, *args, **kwargs)

    monkeypatch.setattr(ReportRecords, "record_requested", failing_once)
    with pytest.raises(ClientError):
        world.planner.tick(_plenty)

    world.store.set_next_due(plan_id, world.clock())
    world.planner.tick(_plenty)

    entry = world.store.entry(plan_id, window.key, 1)
    assert (entry.state, entry.report_id) == (WindowState.REQUESTED, made)
    assert world.records.get(made).pull_window == PullWindowRef(plan_id, window.key, 1)
    assert world.calls("createReport") == 0


class _Killed(BaseException):
    """The process ending (a timeout): nothing after it runs, no handler catches it."""


def test_a_schedule_created_but_not_recorded_is_adopted_by_the_next_run_not_taken_for_foreign(
    world, monkeypatch
):
    now = world.clock()
    plan_id = world.post()["planId"]
    recorded = world.store.set_schedule

    def killed_before_the_record(*args, **kwargs):
        raise _Killed()

    # The planner stops after createReportSchedule answered, before the schedule's id is recorded.
    monkeypatch.setattr(world.store, "set_schedule", killed_before_the_record)
    with pytest.raises(_Killed):
        world.planner.tick(_plenty)
    monkeypatch.setattr(world.store, "set_schedule", recorded)
    (made,) = world.schedules()
    assert world.on_plan("GET", plan_id)["schedule"] is None

    world.planner.tick(_plenty)

    shown = world.on_plan("GET", plan_id)
    tomorrow = world.midnight_after(now)
    assert shown["schedule"] == {
        "state": "active",
        "reportScheduleId": made,
        "coversWindowsEndingFrom": iso_second(tomorrow),
    }
    assert list(world.schedules()) == [made] and world.calls("createReportSchedule") == 1
    assert world.store.schedule_intent(plan_id) is None  # settled with the record


def test_an_intent_adopts_only_a_schedule_of_its_period_and_options(world):
    theirs = world.reports(SELLER_ID, "NA").create_report_schedule(ORDERS, [US], "P7D")
    plan_id = world.post()["planId"]
    world.store.record_schedule_intent(
        plan_id,
        ScheduleIntent("P1D", iso_second(world.midnight_after(world.clock())), "2030-01-01T00:00:00Z"),
    )

    world.planner.tick(_plenty)

    assert world.on_plan("GET", plan_id)["schedule"] == {"state": "foreign"}
    assert list(world.schedules()) == [theirs]


@pytest.mark.parametrize(
    ("found", "adopted"),
    [
        ({"period": "P1D", "nextReportCreationTime": "2030-01-02T00:30:00.000Z"}, True),
        ({"period": "P1D", "nextReportCreationTime": "2030-01-05T00:30:00Z"}, True),  # moved on by periods
        ({"period": "P7D", "nextReportCreationTime": "2030-01-02T00:30:00Z"}, False),
        ({"period": "P1D", "nextReportCreationTime": "2030-01-01T00:30:00Z"}, False),  # before the intent
        ({"period": "P1D", "nextReportCreationTime": "2030-01-02T09:00:00Z"}, False),  # another time of day
        (
            {"period": "P1D", "nextReportCreationTime": "2030-01-02T00:30:00Z", "reportOptions": {"a": "b"}},
            False,
        ),
        ({"period": "P1D", "nextReportCreationTime": "soon"}, False),
    ],
)
def test_a_schedule_intent_matches_the_schedule_it_created(found, adopted):
    intent = ScheduleIntent("P1D", "2030-01-02T00:30:00Z", "2030-01-02T00:00:00Z")
    assert intent.matches(found) is adopted


def test_a_plan_deleted_and_posted_again_before_a_tick_cancels_the_old_schedule_and_keeps_the_new(world):
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    (old,) = world.schedules()

    world.on_plan("DELETE", plan_id)
    assert world.post()["planId"] == plan_id  # the same body, before the planner cancelled the old schedule
    world.planner.tick(_plenty)

    (new,) = world.schedules()
    assert new != old
    assert world.calls("cancelReportSchedule") == 1
    shown = world.on_plan("GET", plan_id)
    assert (shown["schedule"]["state"], shown["schedule"]["reportScheduleId"]) == ("active", new)
    assert world.store.get_plan(plan_id).schedules_to_cancel == ()

    world.on_plan("DELETE", plan_id)
    world.planner.tick(_plenty)
    assert world.schedules() == {} and world.calls("cancelReportSchedule") == 2


def test_a_plan_posted_again_paused_still_cancels_its_deleted_lifes_schedule(world):
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    world.on_plan("DELETE", plan_id)
    world.post()
    world.on_plan("PATCH", plan_id, {"paused": True})

    world.planner.tick(_plenty)

    assert world.schedules() == {} and world.calls("cancelReportSchedule") == 1
    later = world.clock() + 30 * DAY
    assert all(plan_id not in list(world.store.due_plans(later, shard=s)) for s in range(PullStore.SHARDS))


def test_a_second_replacing_plan_of_the_same_lane_is_refused_naming_the_first(world):
    first = world.post(replaceExistingSchedule=True)["planId"]
    other_start = (world.clock().date() - DAY).isoformat()
    body = {
        "sellerId": SELLER_ID,
        "marketplaceIds": [US],
        "reportType": ORDERS,
        "cadence": "daily",
        "startDate": other_start,
        "mode": "amazon-schedule",
        "replaceExistingSchedule": True,
    }

    with pytest.raises(ApiError) as caught:
        world.api.answer(api_event("POST", "/plans", body, caller_arn=OPERATOR_ARN))
    assert (caught.value.status, caught.value.code) == (409, "ScheduleLaneTaken")
    assert first in caught.value.message and "replaceExistingSchedule" in caught.value.message

    # Beside it without replacing: accepted; asking to replace later is refused the same way.
    second = world.post(startDate=other_start)["planId"]
    event = api_event(
        "PATCH", f"/plans/{second}", {"replaceExistingSchedule": True}, {"planId": second}, OPERATOR_ARN
    )
    event["resource"] = "/plans/{planId}"
    with pytest.raises(ApiError) as patched:
        world.api.answer(event)
    assert (patched.value.status, patched.value.code) == (409, "ScheduleLaneTaken") and first in str(
        patched.value.message
    )

    world.planner.tick(_plenty)
    # Whichever plan ran first, the replacing one holds the lane after the first tick (the other may have
    # created a schedule first, which it replaced) and the next ticks change nothing: no flip-flop.
    created = world.calls("createReportSchedule")
    for _ in range(3):
        world.emulator.advance_time(3600)
        world.planner.tick(_plenty)
    (ours,) = world.schedules()
    assert world.calls("createReportSchedule") == created <= 2
    assert world.on_plan("GET", first)["schedule"]["reportScheduleId"] == ours
    assert world.on_plan("GET", second)["schedule"] == {"state": "foreign"}


def test_a_refused_schedule_is_tried_again_after_a_week_while_createreport_pulls_the_windows(world):
    world.emulator.refuse_schedules_of(ORDERS)
    world.go_to_noon()
    plan_id = world.post(startDate=(world.clock().date() - DAY).isoformat())["planId"]
    world.planner.tick(_plenty)
    assert world.calls("createReportSchedule") == 1

    # Six days on: still refused, not asked again; the windows meanwhile come from createReport.
    world.emulator.advance_time((6 * DAY).total_seconds())
    world.planner.tick(_plenty)
    assert world.calls("createReportSchedule") == 1
    assert world.calls("createReport") == 7
    assert world.on_plan("GET", plan_id)["schedule"]["state"] == "refused"

    # Amazon now accepts the type; a week after the refusal the plan tries again and gets its schedule.
    with world.emulator.app.state.lock:
        world.emulator.app.schedule_refusals.pop(ORDERS)
    world.emulator.advance_time((DAY + timedelta(hours=1)).total_seconds())
    world.planner.tick(_plenty)

    (schedule,) = world.schedules()
    assert world.calls("createReportSchedule") == 2
    shown = world.on_plan("GET", plan_id)
    assert (shown["schedule"]["state"], shown["schedule"]["reportScheduleId"]) == ("active", schedule)


def test_each_poll_lists_only_the_schedules_reports_made_since_the_last_one(world):
    plan_id = world.post()["planId"]
    world.planner.tick(_plenty)
    (schedule_id,) = world.schedules()
    for _ in range(10):  # ten days: the schedule makes a report each midnight, each filed by a later tick
        world.emulator.advance_time(DAY.total_seconds())
        world.planner.tick(_plenty)
    filed = [e for e in world.store.entries(plan_id) if e.report_schedule_id == schedule_id]
    assert len(filed) == 10

    world.emulator.advance_time(DAY.total_seconds())
    world.planner.tick(_plenty)

    listing = [e for e in world.emulator.exchanges if e.operation_id == "getReports"][-1]
    (created_since,) = listing.query["createdSince"]
    assert datetime.fromisoformat(created_since.replace("Z", "+00:00")) >= world.clock() - DAY - timedelta(
        hours=1
    )
    listed = json.loads(listing.response_body)["reports"]
    assert len(listed) <= 2 < len(filed), "the poll paged through the schedule's whole history"
    assert len([e for e in world.store.entries(plan_id) if e.report_schedule_id == schedule_id]) == 11
