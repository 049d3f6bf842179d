"""The report sweep against the SP-API emulator and moto: pagination, the usage plan, the watermark, reports
stuck unfinished, reports of other applications, revoked tokens, and stopping before the timeout."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from sp_reports.pipeline.notifications_processing import NotificationOutcome, ReportNotificationProcessor
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.report_sweep import (
    SWEEP_CALL_DEADLINE,
    WATERMARK_LAG,
    ReportSweep,
    SweepResult,
    SweepSettings,
)
from sp_reports.pipeline.sweep_state import SweepState, format_time, parse_time
from sp_reports.pipeline.token_store import TokenStore
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.ratelimit import RateLimiter
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from spapi_emulator import state as emulator_state
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

TYPE_A = "GET_MERCHANT_LISTINGS_ALL_DATA"
TYPE_B = "GET_FLAT_FILE_OPEN_LISTINGS_DATA"
OTHER_SELLER = "A1OTHERSELLER9"
OTHER_TOKEN = "Atzr|CANARY-REFRESH-other-seller-41c2"
PLENTY = 600.0


class EmulatorTime:
    """The HTTP client's clock and sleep, moving the emulator's clock too: a rate-limit wait lets SP-API's
    bucket refill as it would, and the test does not wait."""

    def __init__(self, app) -> None:
        self.app = app
        self.slept = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.slept += seconds
        self.app.advance_time(seconds)


class World:
    def __init__(self, resources, emulator) -> None:
        self.emulator = emulator
        self.app = emulator.app
        self.app.config.auto_advance = False
        dynamodb = boto3.client("dynamodb")
        self.tokens = TokenStore(
            resources.tokens_table, resources.tokens_key_id, dynamodb, boto3.client("kms")
        )
        self.records = ReportRecords(resources.reports_table, dynamodb, clock=self.app.wall)
        self.state = SweepState(resources.reports_table, dynamodb, clock=self.app.wall)
        self._table = resources.reports_table
        self.stepfunctions = boto3.client("stepfunctions")
        self.state_machine_arn = self.stepfunctions.create_state_machine(
            name="sp-reports-report-workflow",
            definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
            roleArn="arn:aws:iam::123456789012:role/sp-reports-workflow",
        )["stateMachineArn"]
        self.time = EmulatorTime(self.app)
        # The deadline the sweeper's clients have (sp_reports.handlers.report_sweeper).
        self.http = SpApiHttpClient(
            spapi_endpoint("NA"), clock=self.time, sleep=self.time.sleep, deadline=SWEEP_CALL_DEADLINE
        )
        self.http.rate_limiter = RateLimiter(clock=self.time)
        self.lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))
        self.tokens.put(SELLER_ID, REFRESH_TOKEN)

    def sweep(self, **settings) -> ReportSweep:
        settings.setdefault("stuck_after", timedelta(hours=6))
        return ReportSweep(
            tokens=self.tokens,
            state=self.state,
            records=self.records,
            processor=ReportNotificationProcessor(
                self.records, self.stepfunctions, self.state_machine_arn, process_unrequested=False
            ),
            reports_for=lambda seller, region: ReportsClient(
                self.http, self.lwa.seller_token_provider(self.tokens.get(seller))
            ),
            settings=SweepSettings(**settings),
            clock=self.app.wall,
        )

    def first_request(self, seller_id: str, report_type: str, ago: timedelta) -> None:
        """Our API requested a report of this type `ago` (which placed the first watermark)."""
        earlier = SweepState(
            self._table, boto3.client("dynamodb"), clock=lambda: self.app.wall() - ago.total_seconds()
        )
        earlier.note_request(seller_id, "NA", report_type)

    def report(
        self,
        status: str,
        *,
        ago: timedelta = timedelta(minutes=5),
        seller_id: str = SELLER_ID,
        report_type: str = TYPE_A,
        ours: bool = True,
    ) -> str:
        report_id = self.app.state.next_report_id()
        self.app.add_report(
            emulator_state.Report(
                report_id=report_id,
                seller_id=seller_id,
                report_type=report_type,
                marketplace_ids=["ATVPDKIKX0DER"],
                created=self.app.now() - ago,
                created_mono=self.app.monotonic(),
            )
        )
        if status == "IN_PROGRESS":
            self.app.start_report(report_id)
        elif status != "IN_QUEUE":
            self.app.finish_report(report_id, status, b"sku\tprice\n" if status == "DONE" else None)
        if ours:
            self.records.record_requested(
                report_id, ReportSpecification(seller_id, "NA", report_type, ["ATVPDKIKX0DER"])
            )
        return report_id

    def executions(self) -> list[str]:
        return [
            e["name"]
            for e in self.stepfunctions.list_executions(stateMachineArn=self.state_machine_arn)["executions"]
        ]

    def get_reports_calls(self) -> list:
        return [e for e in self.emulator.exchanges if e.operation_id == "getReports"]

    def watermark(self, seller_id: str = SELLER_ID):
        return self.state.seller(seller_id).regions["NA"].since


@pytest.fixture
def world(resources, spapi_emulator) -> World:
    return World(resources, spapi_emulator)


def _at_the_listing_start_less_the_lag(world: World, watermark, before) -> bool:
    """The watermark lies WATERMARK_LAG before a moment of the run (to the second it is stored with)."""
    return before - WATERMARK_LAG - timedelta(seconds=1) <= watermark <= world.app.now() - WATERMARK_LAG


def _plenty() -> float:
    return PLENTY


def test_every_page_is_listed_and_the_next_token_is_sent_alone(world):
    requested_at = world.app.now()
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=1))
    finished = [world.report(status) for status in ["DONE", "FATAL", "CANCELLED"] * 8]

    result = world.sweep(page_size=10).run(_plenty)

    assert sorted(r.report_id for r in result.recovered) == sorted(finished)
    assert all(r.outcome is NotificationOutcome.STARTED for r in result.recovered)
    assert sorted(world.executions()) == sorted(f"report-{report_id}" for report_id in finished)
    first, *rest = world.get_reports_calls()
    assert first.query["reportTypes"] == [TYPE_A] and first.query["pageSize"] == ["10"]
    assert first.query["processingStatuses"] == ["CANCELLED,DONE,FATAL,IN_PROGRESS,IN_QUEUE"]
    (since,) = first.query["createdSince"]
    expected = requested_at - timedelta(hours=1, minutes=15)
    assert abs((parse_time(since) - expected).total_seconds()) < 2
    assert len(rest) == 2 and all(set(call.query) == {"nextToken"} for call in rest)
    assert result.getreports_calls == 3
    assert world.records.get(finished[0]).status is ReportStatus.PROCESSING


def test_pages_beyond_the_burst_wait_for_the_usage_plan_instead_of_earning_429s(world):
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=1))
    for _ in range(13):
        world.report("DONE")

    result = world.sweep(page_size=1).run(_plenty)

    assert len(result.recovered) == 13 and result.getreports_calls == 13 and result.failures == []
    # Burst 10, then one call per 1/0.0222 s (reports_2021-06-30.json): the last three calls waited for it.
    assert world.time.slept >= 3 / 0.0222 - 1
    statuses = [call.status for call in world.get_reports_calls()]
    assert statuses[:10] == [200] * 10 and statuses.count(200) == 13
    # SP-API counts a call when it arrives, the client when it leaves: a call sent the instant its token is
    # due can still meet a 429, which the client waits out and retries within the sweep's call deadline.
    assert statuses.count(429) <= 3


def test_the_watermark_waits_for_unfinished_reports_of_ours_then_moves_on(world):
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=3))
    unfinished = world.report("IN_PROGRESS", ago=timedelta(hours=2))
    done = world.report("DONE", ago=timedelta(hours=1))

    first = world.sweep().run(_plenty)
    assert [r.report_id for r in first.recovered] == [done]
    held = world.app.state.reports[unfinished].created
    assert world.watermark() == parse_time(format_time(held))  # to the second, not after it

    world.app.finish_report(unfinished, "DONE", b"sku\n")
    before = world.app.now()
    second = world.sweep().run(_plenty)
    assert [r.report_id for r in second.recovered] == [unfinished]
    assert world.get_reports_calls()[-1].query["createdSince"] == [format_time(held)]
    moved = world.watermark()
    assert _at_the_listing_start_less_the_lag(world, moved, before)

    third = world.sweep().run(_plenty)
    assert third.recovered == [] and world.get_reports_calls()[-1].query["createdSince"] == [
        format_time(moved)
    ]
    assert sorted(world.executions()) == sorted([f"report-{done}", f"report-{unfinished}"])


def test_a_report_unfinished_long_after_its_request_is_reported_not_waited_on(world):
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=9))
    stuck = world.report("IN_QUEUE", ago=timedelta(hours=7))
    young = world.report("IN_PROGRESS", ago=timedelta(hours=1))

    result = world.sweep(stuck_after=timedelta(hours=6)).run(_plenty)

    found = [(s.seller_id, s.report_id, s.processing_status) for s in result.stuck]
    assert found == [(SELLER_ID, stuck, "IN_QUEUE")]
    # The young one holds the watermark; the stuck one does not.
    assert world.watermark() == parse_time(format_time(world.app.state.reports[young].created))
    assert world.executions() == []


def test_reports_of_other_applications_are_left_alone_and_nothing_is_written_for_them(world):
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=3))
    foreign_done = world.report("DONE", ours=False)
    world.report("IN_PROGRESS", ago=timedelta(hours=2), ours=False)
    before = world.app.now()

    result = world.sweep().run(_plenty)

    assert result.recovered == [] and world.executions() == []
    assert world.records.get(foreign_done) is None
    assert _at_the_listing_start_less_the_lag(world, world.watermark(), before)


def test_a_report_whose_record_write_failed_is_recovered_through_its_request_intent(world):
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=1))
    world.records.record_intent(ReportSpecification(SELLER_ID, "NA", TYPE_A, ["ATVPDKIKX0DER"]))
    report_id = world.report("DONE", ours=False)

    result = world.sweep().run(_plenty)

    assert [r.report_id for r in result.recovered] == [report_id]
    record = world.records.get(report_id)
    assert record.requested and record.status is ReportStatus.PROCESSING


def test_a_revoked_token_is_recorded_and_skipped_until_post_tokens_replaces_it(world):
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=1))
    report_id = world.report("DONE")
    world.emulator.revoke(REFRESH_TOKEN)

    first = world.sweep().run(_plenty)
    assert [(s.seller_id, s.reason, s.newly_revoked) for s in first.skipped] == [
        (SELLER_ID, "token-revoked", True)
    ]
    assert first.recovered == [] and world.get_reports_calls() == []
    lwa_calls = len([e for e in world.emulator.exchanges if e.kind == "lwa"])

    second = world.sweep().run(_plenty)
    assert [(s.reason, s.newly_revoked) for s in second.skipped] == [("token-revoked", False)]
    assert len([e for e in world.emulator.exchanges if e.kind == "lwa"]) == lwa_calls  # not asked again

    fresh = "Atzr|CANARY-REFRESH-reauthorised-77d1"
    world.emulator.register_seller(fresh, SELLER_ID)
    time.sleep(0.001)  # UpdatedAt has microseconds: the replacement is a new value
    world.tokens.put(SELLER_ID, fresh)
    third = world.sweep().run(_plenty)
    assert third.skipped == [] and [r.report_id for r in third.recovered] == [report_id]


def test_the_sweep_stops_before_its_timeout_and_the_next_run_resumes_with_the_seller_it_left(world):
    world.emulator.register_seller(OTHER_TOKEN, OTHER_SELLER)
    world.tokens.put(OTHER_SELLER, OTHER_TOKEN)
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=1))
    world.first_request(OTHER_SELLER, TYPE_B, timedelta(hours=1))
    mine = world.report("DONE")
    theirs = world.report("DONE", seller_id=OTHER_SELLER, report_type=TYPE_B)
    # Sellers go in id order: A1OTHERSELLER9, then A3TH9S8BH6GOGM. Time for one call only.
    remaining = iter([PLENTY, 60.0])
    before = world.watermark(SELLER_ID)

    first = world.sweep().run(lambda: next(remaining))
    assert first.stopped_early and [r.report_id for r in first.recovered] == [theirs]
    assert [call.query["reportTypes"] for call in world.get_reports_calls()] == [[TYPE_B]]
    assert world.watermark(SELLER_ID) == before  # untouched: the seller was not swept
    assert world.state.cursor() == SELLER_ID

    second = world.sweep().run(_plenty)
    assert not second.stopped_early and [r.report_id for r in second.recovered] == [mine]
    assert [call.query["reportTypes"] for call in world.get_reports_calls()[1:]] == [[TYPE_A], [TYPE_B]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reportType", ".."),
        ("reportType", "."),
        ("reportType", "A/B"),
        ("reportType", ""),
        ("reportId", ".."),
        ("reportId", "1/2"),
    ],
)
def test_a_listed_report_whose_id_or_type_cannot_be_a_key_segment_is_passed_over(world, field, value):
    world.first_request(SELLER_ID, TYPE_A, timedelta(hours=3))
    report_id = world.report("DONE", ago=timedelta(hours=1))
    listed = {
        "reportId": report_id,
        "reportType": TYPE_A,
        "processingStatus": "DONE",
        "createdTime": format_time(world.app.now()),
        "reportDocumentId": "amzn1.spdoc.1.4.na.doc",
    }
    sweep = world.sweep()
    now = datetime.fromtimestamp(world.app.wall(), UTC)
    assert sweep._settle(SELLER_ID, "NA", {**listed, field: value}, now, SweepResult()) is None
    assert world.executions() == []
    result = SweepResult()
    sweep._settle(SELLER_ID, "NA", listed, now, result)  # the same report, listed as SP-API lists it
    assert [r.report_id for r in result.recovered] == [report_id]
