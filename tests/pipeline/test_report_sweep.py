"""The report sweep against the SP-API emulator and moto: pagination, the usage plan, the watermark, reports
stuck unfinished, reports of other applications, revoked tokens, and stopping before the timeout."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from sp_reports.pipeline.notifications_processing import NotificationOutcome
from sp_reports.pipeline.report_records import ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.report_sweep import WATERMARK_LAG, SweepResult
from sp_reports.pipeline.sweep_state import format_time, parse_time
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID
from tests.support.sweep_world import TYPE_A, World

TYPE_B = "GET_FLAT_FILE_OPEN_LISTINGS_DATA"
OTHER_SELLER = "A1OTHERSELLER9"
OTHER_TOKEN = "Atzr|CANARY-REFRESH-other-seller-41c2"
PLENTY = 600.0


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
