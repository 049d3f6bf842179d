"""A plan window's report ending, settled in its ledger entry (sp_reports.pipeline.pull_window_outcomes)
against moto's DynamoDB: DONE -> STORED, CANCELLED -> NO_DATA, FATAL -> FAILED after the type's cooldown and
PARKED (with its metric) at the third attempt; re-runs and superseded reports change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from sp_reports.pipeline.pull_ledger import LedgerConflictError, PullStore, WindowState
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_window_outcomes import DEFAULT_RETRY_DELAY, PullWindowOutcomes, retry_delay
from sp_reports.pipeline.pull_windows import Window, iso_second
from sp_reports.pipeline.report_records import PullWindowRef, ReportStatus
from tests.support.aws_resources import REGION, create_pull_plans_table

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
US = "ATVPDKIKX0DER"
REPORT_TYPE = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"  # a 30-minute cooldown in the catalogue
WINDOW = Window(datetime(2026, 12, 6, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC), (US,))


@pytest.fixture
def store(aws):
    return PullStore(create_pull_plans_table(), boto3.client("dynamodb", region_name=REGION))


@pytest.fixture
def plan(store):
    plan = plan_from_request(
        {
            "sellerId": "A3TH9S8BH6GOGM",
            "marketplaceIds": [US],
            "reportType": REPORT_TYPE,
            "cadence": "daily",
            "startDate": "2026-12-01",
        },
        now=NOW,
    )
    store.put_plan(plan)
    return plan


@pytest.fixture
def outcomes(store, telemetry):
    return PullWindowOutcomes(store, logger=telemetry.logger, metrics=telemetry.metrics, clock=lambda: NOW)


def _requested(store, plan, report_id: str) -> PullWindowRef:
    store.claim(plan.plan_id, WINDOW, 1, now=NOW)
    store.record_report(plan.plan_id, WINDOW, 1, report_id, now=NOW)
    return PullWindowRef(plan.plan_id, WINDOW.key, 1)


def test_done_is_stored_with_the_window_key(store, plan, outcomes, telemetry):
    window = _requested(store, plan, "501")
    entry = outcomes.settle("501", REPORT_TYPE, window, ReportStatus.DONE, s3_key="plans/x/v001/report.tsv")
    assert (entry.state, entry.s3_key) == (WindowState.STORED, "plans/x/v001/report.tsv")
    assert telemetry.counts() == {"WindowsStored": 1}
    # The workflow re-run settles nothing twice.
    again = outcomes.settle("501", REPORT_TYPE, window, ReportStatus.DONE, s3_key="plans/x/v001/report.tsv")
    assert again == entry
    assert telemetry.counts() == {"WindowsStored": 1}


def test_done_without_the_window_key_is_left_for_the_planner(store, plan, outcomes):
    window = _requested(store, plan, "501")
    assert outcomes.settle("501", REPORT_TYPE, window, ReportStatus.DONE).state is WindowState.REQUESTED


def test_cancelled_is_complete_without_data_not_a_gap(store, plan, outcomes):
    window = _requested(store, plan, "501")
    entry = outcomes.settle("501", REPORT_TYPE, window, ReportStatus.CANCELLED)
    assert entry.state is WindowState.NO_DATA
    assert "no data" in entry.reason


def test_fatal_fails_until_the_type_cooldown_and_parks_at_the_third_attempt(store, plan, outcomes, telemetry):
    assert retry_delay(REPORT_TYPE) == timedelta(minutes=30)
    assert retry_delay("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL") == DEFAULT_RETRY_DELAY
    states = []
    for attempt in (1, 2, 3):
        report_id = f"50{attempt}"
        claimed = store.claim(plan.plan_id, WINDOW, 1, now=NOW + timedelta(hours=attempt))
        assert claimed is not None and claimed.attempts == attempt
        store.record_report(plan.plan_id, WINDOW, 1, report_id, now=NOW)
        entry = outcomes.settle(
            report_id,
            REPORT_TYPE,
            PullWindowRef(plan.plan_id, WINDOW.key, 1),
            ReportStatus.FAILED,
            reason="FATAL",
        )
        states.append(entry.state)
        if attempt < 3:
            assert entry.retry_after == iso_second(NOW + timedelta(minutes=30))
    assert states == [WindowState.FAILED, WindowState.FAILED, WindowState.PARKED]
    assert "parked after 3 failed attempts" in entry.reason and "FATAL" in entry.reason
    assert telemetry.counts() == {"WindowsFailed": 2, "WindowsParked": 1}
    # A parked window is not claimed again.
    assert store.claim(plan.plan_id, WINDOW, 1, now=NOW + timedelta(days=1)) is None


def test_the_outcome_of_a_superseded_report_changes_nothing(store, plan, outcomes):
    window = _requested(store, plan, "502")
    entry = outcomes.settle("501", REPORT_TYPE, window, ReportStatus.FAILED, reason="late FATAL of attempt 1")
    assert (entry.state, entry.report_id) == (WindowState.REQUESTED, "502")


def test_a_window_the_ledger_does_not_hold_is_logged_not_raised(store, plan, outcomes, telemetry):
    missing = PullWindowRef(plan.plan_id, WINDOW.key, 7)
    assert outcomes.settle("501", REPORT_TYPE, missing, ReportStatus.DONE, s3_key="k") is None
    assert any("does not hold" in line["message"] for line in telemetry.lines())


def test_a_late_outcome_of_a_superseded_attempt_never_settles_the_retry_claim(store, plan, outcomes):
    window = _requested(store, plan, "501")
    outcomes.settle("501", REPORT_TYPE, window, ReportStatus.FAILED, reason="FATAL")
    retry = store.claim(plan.plan_id, WINDOW, 1, now=NOW + timedelta(hours=1))
    assert (retry.state, retry.attempts, retry.report_id) == (WindowState.CLAIMED, 2, None)
    # 501's FATAL delivered again (a redelivery, a re-run) while attempt 2 is making its report.
    first_attempt = PullWindowRef(plan.plan_id, WINDOW.key, 1, attempt=1)

    entry = outcomes.settle("501", REPORT_TYPE, first_attempt, ReportStatus.FAILED, reason="FATAL again")

    assert (entry.state, entry.attempts) == (WindowState.CLAIMED, 2)
    assert store.record_report(plan.plan_id, WINDOW, 1, "502").state is WindowState.REQUESTED


def test_an_outcome_before_the_planner_records_the_report_settles_its_attempt(store, plan, outcomes):
    store.claim(plan.plan_id, WINDOW, 1, now=NOW)
    ours = PullWindowRef(plan.plan_id, WINDOW.key, 1, attempt=1)

    entry = outcomes.settle("501", REPORT_TYPE, ours, ReportStatus.CANCELLED)

    assert (entry.state, entry.report_id) == (WindowState.NO_DATA, "501")
    # The planner's record that follows is a no-op, not a conflict.
    assert store.record_report(plan.plan_id, WINDOW, 1, "501").state is WindowState.NO_DATA


def test_the_ledger_settles_an_outcome_only_for_its_report_or_its_attempt(store, plan):
    store.claim(plan.plan_id, WINDOW, 1, now=NOW)
    with pytest.raises(LedgerConflictError):
        store.settle(plan.plan_id, WINDOW.key, 1, WindowState.FAILED, if_report_id="500", if_attempt=2)
    store.record_report(plan.plan_id, WINDOW, 1, "501")
    with pytest.raises(LedgerConflictError):
        store.settle(plan.plan_id, WINDOW.key, 1, WindowState.FAILED, if_report_id="500", if_attempt=1)
    settled = store.settle(plan.plan_id, WINDOW.key, 1, WindowState.FAILED, if_report_id="501", if_attempt=1)
    assert settled.state is WindowState.FAILED
