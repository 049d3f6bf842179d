"""A scheduled run of the report sweep, called as the sweeper's handler calls it: what it logs (sellers and
reports, never a token) and counts, and its answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sp_reports.pipeline.scheduled_sweep import ScheduledSweep
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets
from tests.support.sweep_world import World

PLENTY = 600.0


@pytest.fixture
def world(resources, spapi_emulator) -> World:
    return World(resources, spapi_emulator)


def _scheduled(world: World, telemetry, stuck_after_hours: int = 2) -> ScheduledSweep:
    return ScheduledSweep(
        world.sweep(stuck_after=timedelta(hours=stuck_after_hours)),
        stuck_after_hours=stuck_after_hours,
        logger=telemetry.logger,
        metrics=telemetry.metrics,
    )


def test_recovered_and_stuck_reports_are_logged_with_seller_and_report_and_counted(world, telemetry):
    world.first_request(SELLER_ID, "GET_MERCHANT_LISTINGS_ALL_DATA", timedelta(hours=4))
    done = world.report("DONE", ago=timedelta(minutes=10))
    stuck = world.report("IN_PROGRESS", ago=timedelta(hours=3))

    answer = _scheduled(world, telemetry).run(lambda: PLENTY)

    assert answer["ReportsRecoveredBySweep"] == 1 and answer["SweepReportsStuck"] == 1
    assert answer["StoppedEarly"] is False
    lines = telemetry.lines()
    (recovered,) = [line for line in lines if line["message"].startswith("finished report")]
    assert (recovered["seller_id"], recovered["report_id"]) == (SELLER_ID, done)
    assert recovered["execution_name"] == f"report-{done}"
    (warning,) = [line for line in lines if line["level"] == "WARNING"]
    assert stuck in warning["message"] and SELLER_ID in warning["message"]
    assert "more than 2 h after its request" in warning["message"]
    assert (warning["seller_id"], warning["report_id"], warning["processing_status"]) == (
        SELLER_ID,
        stuck,
        "IN_PROGRESS",
    )
    counts = telemetry.counts()
    assert (
        counts["ReportsRecoveredBySweep"],
        counts["SweepReportsStuck"],
        counts["SweepSellersSkipped"],
    ) == (
        1,
        1,
        0,
    )
    assert (
        counts["SweepSellersSwept"] == 1 and counts["SweepGetReportsCalls"] == answer["SweepGetReportsCalls"]
    )
    assert_no_secrets(telemetry.output.getvalue())


def test_a_revoked_seller_is_skipped_counted_and_its_token_never_logged(world, telemetry):
    world.first_request(SELLER_ID, "GET_MERCHANT_LISTINGS_ALL_DATA", timedelta(hours=4))
    world.report("DONE", ago=timedelta(minutes=10))
    world.emulator.revoke(REFRESH_TOKEN)
    scheduled = _scheduled(world, telemetry)

    first = scheduled.run(lambda: PLENTY)
    second = scheduled.run(lambda: PLENTY)

    assert first["SweepSellersSkipped"] == 1 and second["SweepSellersSkipped"] == 1
    assert first["ReportsRecoveredBySweep"] == 0
    skipped = [line for line in telemetry.lines() if line["message"].startswith("seller skipped")]
    assert [(line["seller_id"], line["newly"]) for line in skipped] == [(SELLER_ID, True), (SELLER_ID, False)]
    assert all("refused by LWA (invalid_grant)" in line["message"] for line in skipped)
    assert telemetry.counts()["SweepSellersSkipped"] == 2
    assert_no_secrets(telemetry.output.getvalue())


def test_a_run_out_of_time_says_so_and_is_counted_as_stopped_early(world, telemetry):
    world.first_request(SELLER_ID, "GET_MERCHANT_LISTINGS_ALL_DATA", timedelta(hours=4))
    world.report("DONE", ago=timedelta(minutes=10))

    answer = _scheduled(world, telemetry).run(lambda: 120.0)  # less than one getReports call may need

    assert answer["StoppedEarly"] is True and answer["SweepGetReportsCalls"] == 0
    assert any(line["message"].startswith("sweep stopped before its timeout") for line in telemetry.lines())
