"""The sweeper Lambda's wiring: its answer and metrics, its configuration, its lazy Step Functions client, and
the invocation's remaining time; what a sweep logs and counts is reports_pipeline's test_scheduled_sweep."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.sweep_state import SweepState
from spapi_emulator import state as emulator_state
from tests.support.canaries import SELLER_ID, assert_no_secrets

REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"


def _context(remaining_ms: int) -> SimpleNamespace:
    return SimpleNamespace(
        function_name="sp-reports-report-sweeper",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sp-reports-report-sweeper",
        aws_request_id="c0ffee00-0000-4000-8000-000000000000",
        get_remaining_time_in_millis=lambda: remaining_ms,
    )


@pytest.fixture
def load_sweeper(spapi_emulator, load_handler, stored_seller, state_machine_arn, fast_spapi_retries):
    """Loads the function in the test itself, so its logger writes to the test's captured stdout."""
    spapi_emulator.app.config.auto_advance = False

    def load():
        module = load_handler(
            "report_sweeper", STATE_MACHINE_ARN=state_machine_arn, SWEEP_STUCK_AFTER_HOURS="2"
        )
        fast_spapi_retries(module, "NA")
        return module

    return load


def _report(app, status: str, ago: timedelta) -> str:
    report_id = app.state.next_report_id()
    app.add_report(
        emulator_state.Report(
            report_id=report_id,
            seller_id=SELLER_ID,
            report_type=REPORT_TYPE,
            marketplace_ids=["ATVPDKIKX0DER"],
            created=app.now() - ago,
            created_mono=app.monotonic(),
        )
    )
    if status == "IN_PROGRESS":
        app.start_report(report_id)
    elif status == "DONE":
        app.finish_report(report_id, "DONE", b"sku\n")
    return report_id


def _ours(resources, spapi_emulator, *statuses_and_ages) -> list[str]:
    app = spapi_emulator.app
    dynamodb = boto3.client("dynamodb")
    SweepState(resources.reports_table, dynamodb, clock=lambda: app.wall() - 4 * 3600).note_request(
        SELLER_ID, "NA", REPORT_TYPE
    )
    records = ReportRecords(resources.reports_table, dynamodb)
    ids = []
    for status, ago in statuses_and_ages:
        report_id = _report(app, status, ago)
        records.record_requested(
            report_id, ReportSpecification(SELLER_ID, "NA", REPORT_TYPE, ["ATVPDKIKX0DER"])
        )
        ids.append(report_id)
    return ids


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_the_handler_answers_the_sweeps_counts_and_flushes_them_as_metrics_in_its_lambda_context(
    load_sweeper, resources, spapi_emulator, capsys
):
    _done, stuck = _ours(
        resources, spapi_emulator, ("DONE", timedelta(minutes=10)), ("IN_PROGRESS", timedelta(hours=3))
    )

    sweeper = load_sweeper()
    answer = sweeper.handler({}, _context(600_000))

    assert answer["ReportsRecoveredBySweep"] == 1 and answer["SweepReportsStuck"] == 1
    out = capsys.readouterr().out
    lines = _lines(out)
    (warning,) = [line for line in lines if line.get("level") == "WARNING"]
    # The service logs through the function's logger: its lines carry the invocation's context, and the
    # stuck-after hours come from SWEEP_STUCK_AFTER_HOURS.
    assert warning["report_id"] == stuck and "more than 2 h after its request" in warning["message"]
    assert warning["function_name"] == "sp-reports-report-sweeper"
    (emf,) = [line for line in lines if "_aws" in line]
    assert (emf["ReportsRecoveredBySweep"], emf["SweepReportsStuck"], emf["SweepSellersSkipped"]) == (
        [1.0],
        [1.0],
        [0.0],
    )
    assert_no_secrets(out)


def test_the_step_functions_client_is_created_only_when_a_report_is_recovered(
    load_sweeper, resources, spapi_emulator
):
    _ours(resources, spapi_emulator, ("IN_PROGRESS", timedelta(hours=3)))
    sweeper = load_sweeper()
    assert sweeper.handler({}, _context(600_000))["SweepReportsStuck"] == 1
    assert not sweeper.stepfunctions.created  # a sweep that recovers nothing starts no workflow

    _ours(resources, spapi_emulator, ("DONE", timedelta(minutes=10)))
    assert sweeper.handler({}, _context(600_000))["ReportsRecoveredBySweep"] == 1
    assert sweeper.stepfunctions.created


def test_too_little_time_left_stops_the_sweep_before_any_call_and_keeps_the_seller_for_the_next_run(
    load_sweeper, resources, spapi_emulator
):
    _ours(resources, spapi_emulator, ("DONE", timedelta(minutes=10)))

    sweeper = load_sweeper()
    answer = sweeper.handler({}, _context(120_000))  # less than one getReports call may need

    assert answer["StoppedEarly"] is True and answer["SweepGetReportsCalls"] == 0
    assert not [e for e in spapi_emulator.exchanges if e.operation_id == "getReports"]
    assert SweepState(resources.reports_table, boto3.client("dynamodb")).cursor() == SELLER_ID
