"""The pull planner's tick (sp_reports.pipeline.pull_planner) against moto and the SP-API emulator: the due
windows requested once each, in order (incremental, look-backs, backfill), within the per-plan and per-tick
caps; a planner stopped between the claim and createReport or between createReport and the ledger record
resumed without a second report; a seller whose token LWA refuses waits while others go on; createReport
refused counts as a failed attempt; a report that finished before its record named its window is placed and
settled."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.pull_ledger import SHARDS, PullStore, WindowState, due_shard
from sp_reports.pipeline.pull_planner import PlannerSettings, PullPlanner
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_window_objects import WindowObjects
from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes
from sp_reports.pipeline.pull_windows import Window, iso_second
from sp_reports.pipeline.report_budget import CALLER, DailyReportBudget
from sp_reports.pipeline.report_cooldowns import SENT_WITHIN, ReportCooldowns
from sp_reports.pipeline.report_records import PullWindowRef, ReportRecords, ReportStatus
from sp_reports.pipeline.report_requesting import ReportRequesting
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.tenancy import TenantBoundary
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.errors import SpApiClientError, SpApiServerError, SpApiThrottledError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient, ReportsPage
from tests.support.api_events import api_event
from tests.support.aws_resources import REGION, create_pull_plans_table
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"  # no hold-back, no cooldown
US = "ATVPDKIKX0DER"
OTHER_SELLER, OTHER_TOKEN = "A2OTHERSELLER9", "Atzr|other-seller-refresh-token"
# Yesterday noon (UTC): every window the planner sees has ended for the emulator's real clock too.
NOW = datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC) - timedelta(hours=12)
DAY = timedelta(days=1)
START = NOW.date() - 3 * DAY


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Killed(BaseException):
    """The planner's process stopping (a timeout, a crash): nothing of it runs on."""


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def world(aws, resources, spapi_emulator, telemetry, clock):
    spapi_emulator.disable_rate_limits()
    spapi_emulator.register_seller(OTHER_TOKEN, OTHER_SELLER)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    store = PullStore(create_pull_plans_table(), dynamodb)
    records = ReportRecords(resources.reports_table, dynamodb)
    lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))
    http = SpApiHttpClient(spapi_endpoint("NA"))
    tokens = {SELLER_ID: REFRESH_TOKEN, OTHER_SELLER: OTHER_TOKEN}
    window_objects = WindowObjects(
        boto3.client("s3"), bucket=resources.bucket, kms_key_id=resources.reports_key_id, clock=clock
    )
    outcomes = PullWindowOutcomes(store, logger=telemetry.logger, metrics=telemetry.metrics, clock=clock)

    class World:
        def planner(self, store_=None, **settings) -> PullPlanner:
            return PullPlanner(
                store=store_ or store,
                records=records,
                sweep_state=SweepState(resources.reports_table, dynamodb),
                reports_for=lambda seller_id, region_code: ReportsClient(
                    http, lwa.seller_token_provider(tokens[seller_id])
                ),
                window_objects=window_objects,
                outcomes=outcomes,
                logger=telemetry.logger,
                metrics=telemetry.metrics,
                cooldowns=ReportCooldowns(resources.reports_table, dynamodb),
                settings=PlannerSettings(**settings),
                clock=clock,
            )

        def plan(
            self, seller_id=SELLER_ID, look_back_days=(1,), start=START, report_type=REPORT_TYPE, store_=True
        ):
            plan = plan_from_request(
                {
                    "sellerId": seller_id,
                    "marketplaceIds": [US],
                    "reportType": report_type,
                    "cadence": "daily",
                    "lookBackDays": list(look_back_days),
                    "startDate": start.isoformat(),
                },
                now=clock.now,
            )
            if store_:
                store.put_plan(plan)
            return plan

        def add_seller(self, seller_id: str) -> None:
            tokens[seller_id] = f"Atzr|{seller_id.lower()}-refresh-token"
            spapi_emulator.register_seller(tokens[seller_id], seller_id)

        def emulated_reports(self, seller_id=SELLER_ID) -> list:
            return [r for r in spapi_emulator.reports.values() if r.seller_id == seller_id]

    world = World()
    world.store, world.records, world.emulator, world.telemetry = store, records, spapi_emulator, telemetry
    world.resources, world.outcomes = resources, outcomes
    return world


def _plenty() -> float:
    return 600.0


def _day(offset: int) -> datetime:
    return datetime.combine(NOW.date() + offset * DAY, time(0), tzinfo=UTC)


def _window(offset: int) -> Window:
    return Window(_day(offset), _day(offset + 1), (US,))


def _requested(world, plan) -> dict[tuple[str, int], str]:
    return {
        (e.window_key, e.version): e.report_id
        for e in world.store.entries(plan.plan_id)
        if e.state is WindowState.REQUESTED
    }


def test_a_tick_requests_each_due_window_once_as_its_latest_due_version(world):
    plan = world.plan()
    answer = world.planner().tick(_plenty)

    assert answer["reportsCreated"] == 3
    # The two older windows are past their one-day look-back: requested once, as version 2; yesterday's
    # window (it ended at midnight) is due as version 1 only.
    assert set(_requested(world, plan)) == {
        (_window(-3).key, 2),
        (_window(-2).key, 2),
        (_window(-1).key, 1),
    }
    for (window_key, version), report_id in _requested(world, plan).items():
        record = world.records.get(report_id)
        assert record.pull_window == PullWindowRef(plan.plan_id, window_key, version)
        window = Window.from_key(window_key)
        assert (record.data_start_time, record.data_end_time) == (
            iso_second(window.start),
            iso_second(window.end - timedelta(seconds=1)),
        )
        emulated = world.emulator.report(report_id)
        assert emulated.marketplace_ids == [US]
    assert len(world.emulated_reports()) == 3

    again = world.planner().tick(_plenty)

    assert again["reportsCreated"] == 0
    assert len(world.emulated_reports()) == 3
    # Not due again until its reports are read back, an hour after their request (RECONCILE_AFTER).
    shard = _shard(world, plan)
    assert list(world.store.due_plans(NOW + timedelta(minutes=59), shard=shard)) == []
    assert list(world.store.due_plans(NOW + timedelta(minutes=60), shard=shard)) == [plan.plan_id]


def _shard(world, plan) -> int:
    from sp_reports.pipeline.pull_ledger import due_shard

    return due_shard(plan.plan_id)


def test_the_newest_window_comes_first_then_the_backfill_oldest_first_and_the_plan_resumes(world):
    plan = world.plan(look_back_days=())
    planner = world.planner(max_reports_per_plan=1)

    planner.tick(_plenty)
    assert set(_requested(world, plan)) == {(_window(-1).key, 1)}  # incremental first
    planner.tick(_plenty)  # the plan stayed due: the next tick resumes it
    assert set(_requested(world, plan)) == {(_window(-1).key, 1), (_window(-3).key, 1)}  # then the oldest
    planner.tick(_plenty)
    assert len(_requested(world, plan)) == 3
    assert planner.tick(_plenty)["reportsCreated"] == 0


def test_never_more_reports_per_tick_than_the_cap_and_every_seller_is_served(world):
    first, second = world.plan(look_back_days=()), world.plan(seller_id=OTHER_SELLER, look_back_days=())
    planner = world.planner(max_reports_per_tick=2, max_reports_per_plan=1)

    assert planner.tick(_plenty)["reportsCreated"] == 2
    assert len(_requested(world, first)) == 1 and len(_requested(world, second)) == 1
    assert planner.tick(_plenty)["reportsCreated"] == 2
    assert planner.tick(_plenty)["reportsCreated"] == 2
    assert planner.tick(_plenty)["reportsCreated"] == 0


def _walk_position(plan, now: datetime) -> int:
    """Where the tick's walk of the due index reaches the plan's shard (it starts at another shard each
    minute)."""
    return (due_shard(plan.plan_id) - int(now.timestamp() // 60) % SHARDS) % SHARDS


def _newest_window_requested_already(world, plan) -> None:
    """The plan's incremental window was requested by an earlier tick: only its backfill is left."""
    world.store.claim(plan.plan_id, _window(-1), 1, now=NOW)
    world.store.record_report(
        plan.plan_id, _window(-1), 1, f"5{abs(hash(plan.plan_id)) % 10**10:010d}", now=NOW
    )


def test_a_sellers_incremental_window_is_requested_before_any_backfill_of_the_fleet(world):
    backfilling = []
    for index in range(4):
        seller_id = f"A1BACKFILL{index:04d}"
        world.add_seller(seller_id)
        backfilling.append(world.plan(seller_id=seller_id, look_back_days=(), start=NOW.date() - 30 * DAY))
        _newest_window_requested_already(world, backfilling[-1])
    last = max(_walk_position(plan, NOW) for plan in backfilling)
    # A seller whose one plan the walk of the due index reaches after every backfill plan, and last of all
    # within the shard (the index gives the longest due first).
    current = next(
        plan
        for plan in (
            world.plan(
                seller_id=f"A1CURRENT{index:04d}", look_back_days=(), start=NOW.date() - DAY, store_=False
            )
            for index in range(200)
        )
        if _walk_position(plan, NOW) >= last
    )
    world.add_seller(current.seller_id)
    world.store.put_plan(current)
    for plan in backfilling:
        world.store.set_next_due(plan.plan_id, NOW - timedelta(hours=1))
    world.store.set_next_due(current.plan_id, NOW)

    answer = world.planner(max_reports_per_tick=3).tick(_plenty)

    assert answer["reportsCreated"] == 3
    assert set(_requested(world, current)) == {(_window(-1).key, 1)}
    # The cap's other two reports are backfill, each for another seller.
    assert sorted(len(_requested(world, plan)) - 1 for plan in backfilling) == [0, 0, 1, 1]


def test_backfill_is_shared_round_robin_across_sellers_not_plans(world):
    many, one, another = "A1MANYPLANS0001", "A1ONEPLAN00001", "A1ONEPLAN00002"
    for seller_id in (many, one, another):
        world.add_seller(seller_id)
    start = NOW.date() - 20 * DAY
    plans = {
        many: [
            world.plan(seller_id=many, look_back_days=(), start=start),
            world.plan(
                seller_id=many,
                look_back_days=(),
                start=start,
                report_type="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
            ),
        ],
        one: [world.plan(seller_id=one, look_back_days=(), start=start)],
        another: [world.plan(seller_id=another, look_back_days=(), start=start)],
    }
    for plan in [plan for seller_plans in plans.values() for plan in seller_plans]:
        _newest_window_requested_already(world, plan)

    answer = world.planner(max_reports_per_tick=8, max_reports_per_plan=5).tick(_plenty)

    # Rounds across sellers, one backfill report each: 3, 6, then two of the three sellers get a third.
    assert answer["reportsCreated"] == 8
    backfilled = {
        seller: [len(_requested(world, plan)) - 1 for plan in seller_plans]
        for seller, seller_plans in plans.items()
    }
    assert sorted(sum(counts) for counts in backfilled.values()) == [2, 3, 3]
    # The seller with two plans gets no more than another seller: its plans take turns.
    assert sorted(backfilled[many]) in ([1, 1], [1, 2])


def test_a_tick_stops_when_the_remaining_time_runs_low_and_the_next_resumes(world):
    plan = world.plan(look_back_days=())
    remaining = iter([600.0, 600.0, 10.0, 10.0, 10.0, 10.0])

    answer = world.planner().tick(lambda: next(remaining, 10.0))

    assert answer["stoppedForTime"]
    assert answer["reportsCreated"] < 3
    world.planner().tick(_plenty)
    assert len(_requested(world, plan)) == 3
    assert len(world.emulated_reports()) == 3


def test_a_paused_or_deleted_plan_is_taken_off_the_index(world):
    plan = world.plan()
    world.store.update_plan(plan.plan_id, paused=True)
    world.store.set_next_due(plan.plan_id, NOW)

    assert world.planner().tick(_plenty)["reportsCreated"] == 0
    assert list(world.store.due_plans(NOW, shard=_shard(world, plan))) == []
    assert world.emulated_reports() == []


def test_a_claim_left_before_create_report_is_taken_over_and_requested_once(world, clock):
    plan = world.plan(look_back_days=())
    window = _window(-1)
    world.store.claim(plan.plan_id, window, 1, now=NOW)  # a planner claimed, then stopped

    assert (window.key, 1) not in _requested(world, plan)
    world.planner().tick(_plenty)
    assert (window.key, 1) not in _requested(world, plan)  # too fresh a claim to take over

    clock.now = NOW + timedelta(minutes=21)
    world.planner().tick(_plenty)

    report_id = _requested(world, plan)[(window.key, 1)]
    matching = [r for r in world.emulated_reports() if r.data_start_time.startswith(window.key[:10])]
    assert [r.report_id for r in matching] == [report_id]


class _KilledAfter(PullStore):
    """The pull store of a planner that stops right after SP-API accepted the report (before the ledger
    records it)."""

    def record_report(self, *args, **kwargs):
        raise Killed()


def test_a_planner_stopped_after_create_report_never_makes_a_second_report(world, clock):
    plan = world.plan(look_back_days=())
    killed = world.planner(_KilledAfter(world.store._table_name, world.store._dynamodb))

    with pytest.raises(Killed):
        killed.tick(_plenty)

    (made,) = world.emulated_reports()
    assert _requested(world, plan) == {}
    clock.now = NOW + timedelta(minutes=21)
    answer = world.planner().tick(_plenty)

    assert answer["reportsAdopted"] == 1
    assert _requested(world, plan)[(_window(-1).key, 1)] == made.report_id
    assert world.records.get(made.report_id).pull_window == PullWindowRef(plan.plan_id, _window(-1).key, 1)
    # Every window requested once: the adopted one and the two others.
    assert len(_requested(world, plan)) == 3
    assert len(world.emulated_reports()) == 3


def test_a_second_take_over_still_finds_the_report_made_before_the_first(world, clock, monkeypatch):
    # getReports' createdSince is compared with the emulator's own clock, so both clocks read the same time:
    # noon tomorrow, when the day before's window is due whatever the hour the test runs at.
    real = datetime.now(UTC).replace(microsecond=0)
    noon = datetime.combine(real.date() + DAY, time(12), UTC)
    world.emulator.advance_time((noon - real).total_seconds())
    real = clock.now = noon
    plan = world.plan(look_back_days=(), start=noon.date() - DAY)
    killed_store = _KilledAfter(world.store._table_name, world.store._dynamodb)
    with pytest.raises(Killed):
        world.planner(killed_store, max_reports_per_plan=1).tick(_plenty)
    (made,) = world.emulated_reports()

    def unavailable(self, *args, **kwargs):
        raise SpApiServerError(503, "ServiceUnavailable", "down")

    # The first take-over's getReports fails: the claim stays, taken over at +21 minutes.
    monkeypatch.setattr(ReportsClient, "get_reports", unavailable)
    clock.now = real + timedelta(minutes=21)
    world.emulator.advance_time(21 * 60)
    world.planner(max_reports_per_plan=1).tick(_plenty)
    monkeypatch.undo()
    clock.now = real + timedelta(minutes=42)
    world.emulator.advance_time(21 * 60)
    answer = world.planner(max_reports_per_plan=1).tick(_plenty)

    assert answer["reportsAdopted"] == 1
    (entry,) = world.store.entries(plan.plan_id)
    assert (entry.state, entry.report_id) == (WindowState.REQUESTED, made.report_id)
    assert [r.report_id for r in world.emulated_reports()] == [made.report_id]


def test_a_seller_whose_token_lwa_refuses_waits_and_the_others_go_on(world):
    refused = world.plan(seller_id=OTHER_SELLER, look_back_days=())
    served = world.plan(look_back_days=())
    world.emulator.revoke(OTHER_TOKEN)

    answer = world.planner().tick(_plenty)

    assert answer["reportsCreated"] == 3
    assert len(_requested(world, served)) == 3
    (waiting,) = world.store.entries(refused.plan_id)  # one LWA refusal, one window written
    assert waiting.state is WindowState.WAITING_FOR_TOKEN
    assert "LWA refused" in waiting.reason and "invalid_grant" in waiting.reason
    assert waiting.attempts == 0
    assert world.emulated_reports(OTHER_SELLER) == []


def test_create_report_refused_counts_as_a_failed_attempt_with_its_reason(world):
    plan = world.plan(look_back_days=())
    world.emulator.refuse_report_type(REPORT_TYPE, "Report type is not available for this seller")

    world.planner().tick(_plenty)

    entries = world.store.entries(plan.plan_id)
    assert len(entries) == 3
    for failed in entries:
        assert failed.state is WindowState.FAILED
        assert "createReport refused" in failed.reason and "not available" in failed.reason
        assert failed.retry_after == iso_second(NOW + timedelta(hours=1))  # no cooldown: the default delay
        assert failed.attempts == 1
    assert world.emulated_reports() == []


def test_a_report_finished_before_its_record_named_its_window_is_placed_and_settled(world, clock):
    plan = world.plan(look_back_days=())
    window = _window(-1)
    world.store.claim(plan.plan_id, window, 1, now=NOW)
    # Its report was recorded from its intent (no window) and its workflow stored it already.
    report_id = world.records.create_and_record(
        ReportSpecification(SELLER_ID, "NA", REPORT_TYPE, [US], window.data_start_time, window.data_end_time),
        lambda spec: "50009990001",
    ).report_id
    world.store.record_report(plan.plan_id, window, 1, report_id, now=NOW)
    source_key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"
    boto3.client("s3").put_object(Bucket=world.resources.bucket, Key=source_key, Body=b"order\n1\n")
    world.records.mark_stored(
        report_id, bucket=world.resources.bucket, key=source_key, size=8, report_document_id="d"
    )
    world.records.mark_finished(report_id, ReportStatus.DONE, notified=False)

    clock.now = NOW + timedelta(hours=2)
    answer = world.planner(max_reports_per_plan=5).tick(_plenty)

    assert answer["windowsReconciled"] == 1
    entry = world.store.entry(plan.plan_id, window.key, 1)
    assert entry.state is WindowState.STORED
    assert (
        entry.s3_key == f"plans/{SELLER_ID}/{REPORT_TYPE}/{plan.plan_id}/{US}/"
        f"{window.key[:10]}_{_day(0).date()}/v001/report.tsv"
    )
    assert world.records.get(report_id).pull_window == PullWindowRef(plan.plan_id, window.key, 1)


class _TakenOverMeanwhile(PullStore):
    """A pull store where another planner recorded another report for the version while this one was stalled
    between createReport and its record."""

    def record_report(self, plan_id, window, version, report_id, **kwargs):
        super().record_report(plan_id, window, version, "50000000000", **kwargs)
        return super().record_report(plan_id, window, version, report_id, **kwargs)


def test_a_stalled_planners_record_after_a_take_over_is_refused_and_counted(world):
    plan = world.plan(look_back_days=())
    stalled = world.planner(_TakenOverMeanwhile(world.store._table_name, world.store._dynamodb))

    answer = stalled.tick(_plenty)

    assert answer["reportsCreated"] == 3
    assert set(_requested(world, plan).values()) == {"50000000000"}  # the other report keeps the windows
    assert world.telemetry.counts()["PlannerLedgerConflicts"] == 3


class _OutcomeRedeliveredDuringTheRetry(PullStore):
    """A pull store where the FATAL outcome of the window's first report is delivered again (an SQS
    redelivery, a workflow re-run) while the planner's retry is between createReport and its record."""

    def __init__(self, store: PullStore, deliver) -> None:
        super().__init__(store._table_name, store._dynamodb)
        self._deliver = deliver

    def record_report(self, *args, **kwargs):
        self._deliver()
        return super().record_report(*args, **kwargs)


def test_a_late_outcome_of_a_superseded_report_neither_settles_the_retry_nor_aborts_the_tick(world, clock):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY)
    world.planner().tick(_plenty)
    (entry,) = world.store.entries(plan.plan_id)
    first = world.records.get(entry.report_id)
    assert first.pull_window.attempt == 1
    failed = ReportStatus.FAILED
    world.outcomes.settle(first.report_id, REPORT_TYPE, first.pull_window, failed, reason="FATAL")
    other = world.plan(seller_id=OTHER_SELLER, look_back_days=(), start=NOW.date() - DAY)

    def redeliver():
        world.outcomes.settle(
            first.report_id, REPORT_TYPE, first.pull_window, ReportStatus.FAILED, reason="FATAL again"
        )

    clock.now = NOW + timedelta(hours=2)
    answer = world.planner(_OutcomeRedeliveredDuringTheRetry(world.store, redeliver)).tick(_plenty)

    assert answer["reportsCreated"] == 2  # the retry and the other plan's window
    (retried,) = world.store.entries(plan.plan_id)
    assert (retried.state, retried.attempts) == (WindowState.REQUESTED, 2)
    assert retried.report_id not in (None, first.report_id)
    assert world.records.get(retried.report_id).pull_window.attempt == 2
    assert len(_requested(world, other)) == 1


COOLDOWN_TYPE = "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"  # one report per 30 minutes in the catalogue


def test_a_cooldown_type_gets_one_report_per_cooldown_and_the_plan_is_due_when_it_ends(world, clock):
    plan = world.plan(look_back_days=(), report_type=COOLDOWN_TYPE)
    assert plan.rules.cooldown == timedelta(minutes=30)
    shard = _shard(world, plan)

    answer = world.planner().tick(_plenty)

    assert answer["reportsCreated"] == 1 and answer["windowsCoolingDown"] >= 1
    assert len(_requested(world, plan)) == 1
    # The cooldown counts from the take plus the time createReport may take to be sent (SENT_WITHIN).
    ends = timedelta(minutes=30) + SENT_WITHIN
    assert list(world.store.due_plans(NOW + ends - timedelta(seconds=1), shard=shard)) == []
    assert list(world.store.due_plans(NOW + ends, shard=shard)) == [plan.plan_id]
    assert world.planner().tick(_plenty)["reportsCreated"] == 0  # still inside the cooldown

    for step in (1, 2):
        clock.now = NOW + step * ends
        world.emulator.advance_time(ends.total_seconds())  # the emulator fails (FATAL) a report within it
        assert world.planner().tick(_plenty)["reportsCreated"] == 1
    assert len(_requested(world, plan)) == 3
    emulated = world.emulated_reports()
    assert len(emulated) == 3
    assert all(report.fatal_reason is None for report in emulated)


def test_a_transient_failure_on_the_only_due_window_keeps_the_plan_due_until_it_is_requested(
    world, clock, monkeypatch
):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY)
    shard = _shard(world, plan)

    def unavailable(self, *args, **kwargs):
        raise SpApiServerError(503, "ServiceUnavailable", "down")

    monkeypatch.setattr(ReportsClient, "create_report", unavailable)
    world.planner().tick(_plenty)
    (claimed,) = world.store.entries(plan.plan_id)
    assert claimed.state is WindowState.CLAIMED
    assert list(world.store.due_plans(NOW, shard=shard)) == [plan.plan_id]  # the next tick, not tomorrow
    world.planner().tick(_plenty)
    # Then due when the claim may be taken over.
    assert list(world.store.due_plans(NOW + timedelta(minutes=19), shard=shard)) == []
    assert list(world.store.due_plans(NOW + timedelta(minutes=20), shard=shard)) == [plan.plan_id]

    monkeypatch.undo()
    clock.now = NOW + timedelta(minutes=20)
    world.planner().tick(_plenty)
    assert len(_requested(world, plan)) == 1


def test_a_seller_throttled_on_the_only_due_window_keeps_the_plan_due(world, monkeypatch):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY)
    monkeypatch.setattr(ReportsClient, "seconds_until_call", lambda self, operation: 30.0)

    world.planner().tick(_plenty)

    assert world.store.entries(plan.plan_id) == []
    assert list(world.store.due_plans(NOW, shard=_shard(world, plan))) == [plan.plan_id]
    monkeypatch.undo()
    world.planner().tick(_plenty)
    assert len(_requested(world, plan)) == 1


def _denied(self, *args, **kwargs):
    raise SpApiClientError(403, "Unauthorized", "Access to requested resource is denied.")


def test_create_report_denied_is_a_failed_attempt_and_parks_at_the_third(world, clock, monkeypatch):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY)
    monkeypatch.setattr(ReportsClient, "create_report", _denied)
    states = []
    for hours in (0, 1, 2):
        clock.now = NOW + timedelta(hours=hours)
        world.planner().tick(_plenty)
        (entry,) = world.store.entries(plan.plan_id)
        states.append((entry.state, entry.attempts))
    assert states == [(WindowState.FAILED, 1), (WindowState.FAILED, 2), (WindowState.PARKED, 3)]
    assert "HTTP 403" in entry.reason and "denied" in entry.reason
    assert world.telemetry.counts()["WindowsParked"] == 1


def test_get_reports_denied_in_a_take_over_is_a_failed_attempt(world, clock, monkeypatch):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY)
    world.store.claim(plan.plan_id, _window(-1), 1, now=NOW)  # a planner claimed, then stopped
    monkeypatch.setattr(ReportsClient, "get_reports", _denied)
    clock.now = NOW + timedelta(minutes=21)

    world.planner().tick(_plenty)

    (entry,) = world.store.entries(plan.plan_id)
    assert (entry.state, entry.attempts) == (WindowState.FAILED, 1)
    assert "getReports refused (HTTP 403)" in entry.reason


def test_a_create_report_our_rate_limiter_never_sent_gives_the_claim_back_at_once(world, clock, monkeypatch):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY)

    def not_sent(self, *args, **kwargs):
        raise SpApiThrottledError(None, "ClientRateLimited", "the next call in 3.0 s", retry_after=3.0)

    monkeypatch.setattr(ReportsClient, "create_report", not_sent)
    world.planner().tick(_plenty)

    (released,) = world.store.entries(plan.plan_id)
    assert (released.state, released.attempts) == (WindowState.FAILED, 0)
    assert list(world.store.due_plans(NOW, shard=_shard(world, plan))) == [plan.plan_id]
    monkeypatch.undo()
    clock.now = NOW + timedelta(minutes=5)
    world.planner().tick(_plenty)
    (requested,) = world.store.entries(plan.plan_id)
    assert (requested.state, requested.attempts) == (WindowState.REQUESTED, 1)


def test_two_plans_of_a_seller_share_the_types_cooldown_so_sp_api_fails_neither(world, clock):
    # The same seller, type and marketplace; another cadence makes another plan (another id).
    daily = world.plan(look_back_days=(), report_type=COOLDOWN_TYPE, start=NOW.date() - DAY)
    weekly = plan_from_request(
        {
            "sellerId": SELLER_ID,
            "marketplaceIds": [US],
            "reportType": COOLDOWN_TYPE,
            "cadence": "weekly",
            "startDate": (NOW.date() - 14 * DAY).isoformat(),
        },
        now=clock.now,
    )
    world.store.put_plan(weekly)
    assert daily.plan_id != weekly.plan_id

    answer = world.planner().tick(_plenty)

    assert answer["reportsCreated"] == 1 and answer["windowsCoolingDown"] >= 1
    (made,) = world.emulated_reports()
    assert made.fatal_reason is None
    # The plan left waiting is due when the seller's cooldown of the type ends, and gets it then.
    (waiting,) = [plan for plan in (daily, weekly) if not _requested(world, plan)]
    ends = NOW + timedelta(minutes=30) + SENT_WITHIN
    assert waiting.plan_id not in world.store.due_plans(
        ends - timedelta(seconds=1), shard=_shard(world, waiting)
    )
    assert waiting.plan_id in world.store.due_plans(ends, shard=_shard(world, waiting))
    clock.now = ends
    world.emulator.advance_time((ends - NOW).total_seconds())
    assert world.planner().tick(_plenty)["reportsCreated"] == 1
    assert len(_requested(world, waiting)) == 1
    assert all(report.fatal_reason is None for report in world.emulated_reports())


def _post_reports(world, clock, report_type=COOLDOWN_TYPE):
    """POST /reports' service for SELLER_ID in NA, sharing the world's tables and emulator."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))
    requesting = ReportRequesting(
        records=world.records,
        sweep_state=SweepState(world.resources.reports_table, dynamodb),
        seller_budget=DailyReportBudget(world.resources.reports_table, dynamodb, 100),
        caller_budget=DailyReportBudget(world.resources.reports_table, dynamodb, 100, scope=CALLER),
        reports_for=lambda seller_id, region_code: ReportsClient(
            SpApiHttpClient(spapi_endpoint(region_code)), lwa.seller_token_provider(REFRESH_TOKEN)
        ),
        boundary=TenantBoundary(None),
        logger=world.telemetry.logger,
        metrics=world.telemetry.metrics,
        cooldowns=ReportCooldowns(world.resources.reports_table, dynamodb),
        clock=clock,
    )
    body = {"SellerId": SELLER_ID, "RegionCode": "NA", "ReportType": report_type, "MarketplaceIds": US}
    return requesting.request(api_event("POST", "/reports", body))


def test_a_report_post_reports_made_holds_the_planners_windows_of_the_type_back(world, clock):
    real = datetime.now(UTC).replace(microsecond=0)  # the emulator judges the cooldown on its own clock
    clock.now = real
    status, _ = _post_reports(world, clock)
    assert status == 202
    plan = world.plan(look_back_days=(), report_type=COOLDOWN_TYPE, start=real.date() - 2 * DAY)

    answer = world.planner().tick(_plenty)

    assert answer["reportsCreated"] == 0 and answer["windowsCoolingDown"] >= 1
    assert world.store.entries(plan.plan_id) == []  # nothing claimed: the windows wait for the cooldown
    (made,) = world.emulated_reports()
    assert made.fatal_reason is None


def test_a_window_the_planner_just_requested_holds_post_reports_back_with_a_429(world, clock, monkeypatch):
    real = datetime.now(UTC).replace(microsecond=0)
    clock.now = real
    plan = world.plan(look_back_days=(), report_type=COOLDOWN_TYPE, start=real.date() - 2 * DAY)
    assert world.planner().tick(_plenty)["reportsCreated"] == 1
    # Even before SP-API lists the planner's report (getReports finds nothing), the shared cooldown holds.
    monkeypatch.setattr(ReportsClient, "get_reports", lambda self, *args, **kwargs: ReportsPage(reports=()))

    with pytest.raises(ApiError) as refused:
        _post_reports(world, clock)

    assert refused.value.status == 429 and refused.value.code == "ReportTypeCooldown"
    assert int(refused.value.headers["Retry-After"]) == (timedelta(minutes=30) + SENT_WITHIN).total_seconds()
    assert len(world.emulated_reports()) == 1 and len(_requested(world, plan)) == 1


def test_a_plan_with_a_long_history_has_its_ledger_read_once_per_tick(world):
    plan = world.plan(look_back_days=(), start=NOW.date() - 120 * DAY)
    for offset in range(-120, -1):  # every window stored but yesterday's, which has just become available
        world.store.claim(plan.plan_id, _window(offset), 1, now=NOW - DAY)
        world.store.settle(
            plan.plan_id, _window(offset).key, 1, WindowState.STORED, s3_key="k", now=NOW - DAY
        )
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    queries: list[dict] = []
    dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.Query", lambda params, **_: queries.append(dict(params))
    )
    counted = PullStore(world.store._table_name, dynamodb)

    answer = world.planner(counted).tick(_plenty)

    assert answer["reportsCreated"] == 1
    ledger_queries = [q for q in queries if "IndexName" not in q]
    assert len(ledger_queries) == 1  # before acting; what the tick wrote makes the next due time
    assert len([q for q in queries if q.get("IndexName") == "due"]) == SHARDS
    # The next due time comes from the write: the report is read back an hour after its request.
    shard = _shard(world, plan)
    assert list(world.store.due_plans(NOW + timedelta(minutes=59), shard=shard)) == []
    assert list(world.store.due_plans(NOW + timedelta(minutes=60), shard=shard)) == [plan.plan_id]


def test_a_long_backfill_of_a_cooldown_type_waits_for_the_cooldown_not_the_next_tick(world):
    plan = world.plan(look_back_days=(), report_type=COOLDOWN_TYPE, start=NOW.date() - 20 * DAY)

    assert world.planner().tick(_plenty)["reportsCreated"] == 1

    # Twenty windows left, more than the plan may start in a tick, all in the lane that is cooling down.
    shard = _shard(world, plan)
    ends = NOW + timedelta(minutes=30) + SENT_WITHIN
    assert list(world.store.due_plans(ends - timedelta(seconds=1), shard=shard)) == []
    assert list(world.store.due_plans(ends, shard=shard)) == [plan.plan_id]


def _lane_free(world, plan, at: datetime) -> bool:
    """Whether the plan's lane may take the type's cooldown at `at` (nobody holds it)."""
    cooldowns = ReportCooldowns(world.resources.reports_table, boto3.client("dynamodb", region_name=REGION))
    return (
        cooldowns.take(plan.seller_id, plan.report_type, (US,), until=at + timedelta(minutes=30), now=at)
        is None
    )


def test_a_take_over_that_makes_no_report_gives_the_cooldown_back(world, clock, monkeypatch):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY, report_type=COOLDOWN_TYPE)
    world.store.claim(plan.plan_id, _window(-1), 1, now=NOW)  # a planner claimed, then stopped
    monkeypatch.setattr(ReportsClient, "get_reports", _denied)
    clock.now = NOW + timedelta(minutes=21)

    world.planner().tick(_plenty)

    (entry,) = world.store.entries(plan.plan_id)
    assert entry.state is WindowState.FAILED
    assert _lane_free(world, plan, clock.now)


def test_a_take_over_that_adopts_the_report_made_before_gives_the_cooldown_back(world, clock, monkeypatch):
    plan = world.plan(look_back_days=(), start=NOW.date() - DAY, report_type=COOLDOWN_TYPE)
    window = _window(-1)
    world.store.claim(plan.plan_id, window, 1, now=NOW)  # a planner claimed, then stopped after createReport
    made = {
        "reportId": "50001019999",
        "reportType": COOLDOWN_TYPE,
        "marketplaceIds": [US],
        "dataStartTime": window.data_start_time,
        "dataEndTime": window.data_end_time,
        "processingStatus": "IN_QUEUE",
        "createdTime": iso_second(NOW),
    }
    monkeypatch.setattr(ReportsClient, "get_reports", lambda self, *a, **k: ReportsPage((made,), None))
    clock.now = NOW + timedelta(minutes=21)

    assert world.planner().tick(_plenty)["reportsAdopted"] == 1

    assert _requested(world, plan) == {(window.key, 1): made["reportId"]}
    assert _lane_free(world, plan, clock.now)
