"""Pull plans of mode discover (sp_reports.pipeline.pull_discovery, run by the planner's tick) against moto
and the SP-API emulator's settlement reports: each report Amazon makes is recorded once in the ledger and the
reports table with its window and stored once by its workflow; a tick run again duplicates nothing; a
discovery cut short between the ledger and the workflow finishes without a second execution; a report not
stored a week before SP-API drops it is counted for the alarm; the coverage lists the discovered windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from sp_reports.pipeline.notifications_processing import (
    NotificationOutcome,
    ReportNotificationProcessor,
    ReportProcessingFinished,
    execution_name,
)
from sp_reports.pipeline.pull_coverage import coverage
from sp_reports.pipeline.pull_discovery import DISCOVERY_INTERVAL, PullDiscovery
from sp_reports.pipeline.pull_ledger import PullStore, WindowState
from sp_reports.pipeline.pull_planner import PullPlanner
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_window_objects import WindowObjects
from sp_reports.pipeline.pull_window_outcomes import DEFAULT_RETRY_DELAY, PullWindowOutcomes
from sp_reports.pipeline.report_cooldowns import ReportCooldowns
from sp_reports.pipeline.report_document_storer import DocumentUploads, ReportDocumentStorer
from sp_reports.pipeline.report_records import PullWindowRef, ReportRecords, ReportStatus
from sp_reports.pipeline.report_storage import MIN_PART_SIZE
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from spapi_emulator.settlements import PUBLICATION_DELAY, SETTLEMENT_PERIOD, V2_FLAT_FILE, SettlementAccount
from tests.support.aws_resources import create_pull_plans_table
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

US = "ATVPDKIKX0DER"
DAY = timedelta(days=1)


def _plenty() -> float:
    return 600.0


class _StepFunctionsFailingOnce:
    """Step Functions whose first StartExecution fails (the discovery is cut short after the ledger)."""

    def __init__(self, client) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.failures_left = 1

    def start_execution(self, **kwargs):
        if self.failures_left:
            self.failures_left -= 1
            raise self._client.exceptions.ClientError(
                {"Error": {"Code": "ServiceUnavailable", "Message": "try again"}}, "StartExecution"
            )
        return self._client.start_execution(**kwargs)

    def describe_execution(self, **kwargs):
        return self._client.describe_execution(**kwargs)


@pytest.fixture
def world(aws, resources, spapi_emulator, telemetry):
    spapi_emulator.disable_rate_limits()
    app = spapi_emulator.app
    dynamodb = boto3.client("dynamodb")
    store = PullStore(create_pull_plans_table(), dynamodb)
    records = ReportRecords(resources.reports_table, dynamodb, clock=app.wall)
    stepfunctions = boto3.client("stepfunctions")
    state_machine_arn = stepfunctions.create_state_machine(
        name="sp-reports-report-workflow",
        definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
        roleArn="arn:aws:iam::123456789012:role/sp-reports-workflow",
    )["stateMachineArn"]

    def reports_for(seller_id: str, region_code: str) -> ReportsClient:
        # A client of its own per call: the emulator's clock jumps weeks, past any cached access token.
        lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))
        return ReportsClient(
            SpApiHttpClient(spapi_endpoint(region_code)), lwa.seller_token_provider(REFRESH_TOKEN)
        )

    def clock() -> datetime:
        return app.now()

    outcomes = PullWindowOutcomes(store, logger=telemetry.logger, metrics=telemetry.metrics, clock=clock)

    class World:
        def __init__(self) -> None:
            self.app, self.store, self.records, self.telemetry = app, store, records, telemetry
            self.stepfunctions, self.state_machine_arn = stepfunctions, state_machine_arn
            self.outcomes = outcomes
            self.handled: set[str] = set()  # executions whose tasks ran

        def planner(self, stepfunctions_client=None) -> PullPlanner:
            processor = ReportNotificationProcessor(
                records, stepfunctions_client or stepfunctions, state_machine_arn, process_unrequested=False
            )
            return PullPlanner(
                store=store,
                records=records,
                sweep_state=SweepState(resources.reports_table, dynamodb, clock=app.wall),
                reports_for=reports_for,
                cooldowns=ReportCooldowns(resources.reports_table, dynamodb),
                window_objects=WindowObjects(
                    boto3.client("s3"), bucket=resources.bucket, kms_key_id=resources.reports_key_id
                ),
                outcomes=outcomes,
                logger=telemetry.logger,
                metrics=telemetry.metrics,
                clock=clock,
                discovery=PullDiscovery(
                    store=store,
                    records=records,
                    processor=processor,
                    reports_for=reports_for,
                    logger=telemetry.logger,
                    metrics=telemetry.metrics,
                ),
            )

        def plan(self):
            plan = plan_from_request(
                {
                    "sellerId": SELLER_ID,
                    "marketplaceIds": [US],
                    "reportType": V2_FLAT_FILE,
                    "mode": "discover",
                    "startDate": app.now().date().isoformat(),
                },
                now=app.now(),
            )
            store.put_plan(plan)
            return plan

        def settlements_from_now(self) -> SettlementAccount:
            account = SettlementAccount(seller_id=SELLER_ID, marketplace_id=US, period_start=app.now())
            spapi_emulator.open_settlements(account)
            return account

        def later(self, delta: timedelta) -> None:
            """Let `delta` pass; the reports made meanwhile finish (a second more: IN_QUEUE, then DONE)."""
            app.advance_time(delta.total_seconds())
            app.advance_time(0.5)
            app.advance_time(0.5)

        def executions(self) -> list[dict]:
            listed = stepfunctions.list_executions(stateMachineArn=state_machine_arn)["executions"]
            return [stepfunctions.describe_execution(executionArn=e["executionArn"]) for e in listed]

        def fail_workflows(self, reason: str = "storing the document failed: S3 refused the upload") -> int:
            """Each started execution not run yet fails to store: the notifier settles the window FAILED and
            records (and emails) the failure, as the workflow's NotifyFailed path does. How many failed."""
            failed = 0
            for execution in self.executions():
                if execution["name"] in self.handled:
                    continue
                self.handled.add(execution["name"])
                document = json.loads(execution["input"])
                outcomes.settle(
                    document["reportId"],
                    document["reportType"],
                    PullWindowRef.from_description(document["pullWindow"]),
                    ReportStatus.FAILED,
                    reason=reason,
                )
                records.mark_finished(
                    document["reportId"],
                    ReportStatus.FAILED,
                    failure_reason=reason,
                    notified=True,
                    recipients=1,
                )
                failed += 1
            return failed

        def run_workflows(self) -> None:
            """What each started execution does: the storer stores the report and places it in its window,
            the notifier settles the window (as the workflow's tasks call them)."""
            storer = ReportDocumentStorer(
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
            for execution in self.executions():
                if execution["name"] in self.handled:
                    continue
                self.handled.add(execution["name"])
                document = json.loads(execution["input"])
                output = storer.store(document)
                records.mark_finished(document["reportId"], ReportStatus.DONE, notified=False)
                outcomes.settle(
                    document["reportId"],
                    document["reportType"],
                    PullWindowRef.from_description(document["pullWindow"]),
                    ReportStatus.DONE,
                    s3_key=output["windowKey"],
                )

        def window_objects(self) -> list[str]:
            listing = boto3.client("s3").list_objects_v2(Bucket=resources.bucket, Prefix="plans/")
            return sorted(item["Key"] for item in listing.get("Contents", []))

    return World()


def test_two_settlement_periods_are_each_stored_once_and_a_rerun_duplicates_nothing(world):
    plan = world.plan()
    account = world.settlements_from_now()
    world.later(2 * SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))

    answer = world.planner().tick(_plenty)
    world.run_workflows()

    assert answer["reportsDiscovered"] == 2
    entries = world.store.entries(plan.plan_id)
    assert [entry.report_id for entry in entries] == account.made
    assert all(entry.state is WindowState.STORED and entry.version == 1 for entry in entries)
    reports = {report_id: world.app.state.reports[report_id] for report_id in account.made}
    for entry in entries:
        report = reports[entry.report_id]
        # The window is the report's own period: [dataStartTime, dataEndTime + 1 s).
        assert entry.window.data_start_time == report.data_start_time.replace("+00:00", "Z")
        assert entry.window.data_end_time == report.data_end_time.replace("+00:00", "Z")
        record = world.records.get(entry.report_id)
        assert record.requested and record.pull_window == PullWindowRef(plan.plan_id, entry.window_key, 1)
    assert len(world.executions()) == 2
    stored = world.window_objects()
    # Each in its period's folder, named to the second (not calendar days).
    for entry in entries:
        folder = f"{entry.window.start:%Y-%m-%dT%H%M%SZ}_{entry.window.end:%Y-%m-%dT%H%M%SZ}"
        assert entry.s3_key.endswith(f"/{US}/{folder}/v001/report.tsv")
    assert len([key for key in stored if key.endswith("/v001/report.tsv")]) == 2
    assert len([key for key in stored if key.endswith("manifest.json")]) == 2

    world.later(DISCOVERY_INTERVAL + timedelta(minutes=1))
    again = world.planner().tick(_plenty)

    assert again["plans"] == 1 and again["reportsDiscovered"] == 0
    assert len(world.executions()) == 2
    assert [entry.report_id for entry in world.store.entries(plan.plan_id)] == account.made
    assert world.window_objects() == stored


def test_a_plan_is_due_again_after_the_discovery_interval_and_finds_the_next_period(world):
    plan = world.plan()
    account = world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    assert world.planner().tick(_plenty)["reportsDiscovered"] == 1

    assert world.planner().tick(_plenty)["plans"] == 0  # not due before the interval has passed
    world.later(SETTLEMENT_PERIOD)
    assert world.planner().tick(_plenty)["reportsDiscovered"] == 1

    assert [entry.report_id for entry in world.store.entries(plan.plan_id)] == account.made


def test_a_discovery_cut_short_before_the_workflow_finishes_it_without_a_second_execution(world):
    plan = world.plan()
    world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    failing = _StepFunctionsFailingOnce(world.stepfunctions)

    world.planner(failing).tick(_plenty)
    (entry,) = world.store.entries(plan.plan_id)
    assert entry.state is WindowState.REQUESTED and world.executions() == []

    # The failed report holds the watermark: the next discovery lists it again and starts its workflow.
    world.later(DISCOVERY_INTERVAL + timedelta(minutes=1))
    world.planner(failing).tick(_plenty)
    world.later(DISCOVERY_INTERVAL + timedelta(minutes=1))
    world.planner().tick(_plenty)

    assert [execution["name"] for execution in world.executions()] == [f"report-{entry.report_id}"]
    assert [e.report_id for e in world.store.entries(plan.plan_id)] == [entry.report_id]


def test_a_report_its_notification_recorded_as_unrequested_is_still_stored_for_the_plan(world):
    plan = world.plan()
    account = world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    (report_id,) = account.made
    report = world.app.state.reports[report_id]
    # SP-API announced it first; the notifications processor, storing no unrequested reports, skipped it.
    skipped = ReportNotificationProcessor(
        world.records, world.stepfunctions, world.state_machine_arn, process_unrequested=False
    ).process(
        ReportProcessingFinished(
            "n-1", "2026-01-01T00:00:00Z", report_id, V2_FLAT_FILE, "DONE", None, SELLER_ID,
            report.report_document_id,
        )
    )  # fmt: skip
    assert skipped.outcome is NotificationOutcome.UNREQUESTED_SKIPPED

    world.planner().tick(_plenty)
    world.run_workflows()

    (entry,) = world.store.entries(plan.plan_id)
    assert (entry.report_id, entry.state) == (report_id, WindowState.STORED)
    assert [execution["name"] for execution in world.executions()] == [f"report-{report_id}"]


def test_a_discovered_report_not_stored_near_its_expiry_is_counted_and_named(world):
    plan = world.plan()
    account = world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    world.planner().tick(_plenty)  # discovered, and its workflow never stores it
    first = account.made[0]
    assert world.telemetry.counts()["DiscoveredReportsNearExpiry"] == 0

    # Eight days before SP-API drops its document (30 days after it is made, the catalogue's
    # documentRetentionDays): not yet; six days before: counted, and named in the log.
    world.later(22 * DAY - PUBLICATION_DELAY - timedelta(minutes=1))
    world.planner().tick(_plenty)
    assert world.telemetry.counts()["DiscoveredReportsNearExpiry"] == 0
    world.later(2 * DAY)
    world.planner().tick(_plenty)

    assert world.telemetry.counts()["DiscoveredReportsNearExpiry"] == 1
    (warning,) = [
        line
        for line in world.telemetry.lines()
        if "near SP-API's document retention" in line.get("message", "")
    ]
    assert warning["report_id"] == first and warning["plan_id"] == plan.plan_id
    assert first in world.app.state.reports  # SP-API still has it: there is time to act


def test_the_coverage_lists_the_discovered_windows_with_their_expiry(world):
    plan = world.plan()
    account = world.settlements_from_now()
    world.later(2 * SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    world.planner().tick(_plenty)
    now = world.app.now()

    answer = coverage(plan, world.store, (now - 30 * DAY).date(), now.date(), now)

    assert [window["versions"][0]["reportId"] for window in answer["windows"]] == account.made
    assert {window["status"] for window in answer["windows"]} == {"requested"}
    created = datetime.fromisoformat(world.app.state.reports[account.made[0]].to_model()["createdTime"][:19])
    assert answer["windows"][0]["expiresAt"] == (created.replace(tzinfo=UTC) + 30 * DAY).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert answer["summary"] == {"requested": 2}
    assert answer["backfill"]["windowsLeft"] == 0


def test_a_refused_token_stops_the_discovery_and_the_plan_is_tried_again_soon(world, spapi_emulator):
    plan = world.plan()
    world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    spapi_emulator.revoke(REFRESH_TOKEN)

    answer = world.planner().tick(_plenty)

    assert answer["plans"] == 1 and world.store.entries(plan.plan_id) == []
    assert world.telemetry.counts()["DiscoveryFailures"] == 1
    assert world.store.discovered_since(plan.plan_id) is None  # the next discovery lists from the start again
    (warning,) = [
        line for line in world.telemetry.lines() if "discovery for a plan stopped" in line["message"]
    ]
    assert "LWA refused" in warning["reason"] and REFRESH_TOKEN not in json.dumps(warning)
    world.later(timedelta(minutes=6))
    assert world.planner().tick(_plenty)["plans"] == 1  # due again after RETRY_AFTER_FAILURE


def test_a_seller_whose_get_reports_quota_is_spent_is_left_for_a_later_tick(world, monkeypatch):
    plan = world.plan()
    world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    with monkeypatch.context() as spent:
        spent.setattr(ReportsClient, "seconds_until_call", lambda self, operation: 30.0)
        answer = world.planner().tick(_plenty)

    assert answer["plans"] == 1 and world.store.entries(plan.plan_id) == []
    assert world.telemetry.counts().get("DiscoveryFailures", 0) == 0
    world.later(timedelta(minutes=6))
    assert world.planner().tick(_plenty)["reportsDiscovered"] == 1


def _after_the_retry_delay(world) -> None:
    """The failed store's retry time (the type's cooldown, else an hour) and the next discovery have come."""
    world.later(max(DEFAULT_RETRY_DELAY, DISCOVERY_INTERVAL) + timedelta(minutes=1))


def test_a_discovered_report_whose_store_failed_is_stored_again_by_an_execution_of_its_own(world):
    plan = world.plan()
    account = world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    world.planner().tick(_plenty)
    (report_id,) = account.made
    assert world.fail_workflows() == 1
    (failed,) = world.store.entries(plan.plan_id)
    assert (failed.state, failed.attempts) == (WindowState.FAILED, 1)

    world.later(DISCOVERY_INTERVAL + timedelta(minutes=1))  # due again, but not yet the retry time
    world.planner().tick(_plenty)
    assert len(world.executions()) == 1

    _after_the_retry_delay(world)
    world.planner().tick(_plenty)

    names = sorted(execution["name"] for execution in world.executions())
    second = execution_name(report_id, attempt=2)
    assert names == sorted([f"report-{report_id}", second]) and second != f"report-{report_id}"
    (retrying,) = world.store.entries(plan.plan_id)
    assert (retrying.state, retrying.attempts, retrying.report_id) == (WindowState.REQUESTED, 2, report_id)
    record = world.records.get(report_id)
    # Reopened for the attempt; the first attempt's failure is kept, not lost.
    assert record.status is ReportStatus.PROCESSING and record.pull_window.attempt == 2
    assert record.failure_reason is None and record.notified_at is None
    (history,) = record.failure_history
    assert history["Attempt"] == 1 and "S3 refused the upload" in history["FailureReason"]
    assert history["OutcomePublishedAt"]
    (started,) = [e for e in world.executions() if e["name"] == second]
    assert json.loads(started["input"])["pullWindow"]["attempt"] == 2

    world.run_workflows()
    (stored,) = world.store.entries(plan.plan_id)
    assert (stored.state, stored.attempts) == (WindowState.STORED, 2)
    assert len([key for key in world.window_objects() if key.endswith("/v001/report.tsv")]) == 1

    _after_the_retry_delay(world)
    world.planner().tick(_plenty)  # a stored window is not retried
    assert len(world.executions()) == 2


def test_a_discovered_report_whose_store_fails_three_times_is_parked_and_alarms(world):
    plan = world.plan()
    world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    world.planner().tick(_plenty)
    for _ in range(3):
        assert world.fail_workflows() == 1
        _after_the_retry_delay(world)
        world.planner().tick(_plenty)

    (parked,) = world.store.entries(plan.plan_id)
    assert (parked.state, parked.attempts) == (WindowState.PARKED, 3)
    assert len(world.executions()) == 3  # no fourth attempt
    assert world.telemetry.counts()["WindowsParked"] == 1
    now = world.app.now()
    (window,) = coverage(plan, world.store, (now - 30 * DAY).date(), now.date(), now)["windows"]
    assert window["status"] == "parked" and "parked after 3 failed attempts" in window["reason"]
    assert "S3 refused the upload" in window["reason"]
    assert len(world.records.get(parked.report_id).failure_history) == 2


def test_a_retry_stopped_after_its_claim_is_finished_by_the_next_discovery_once(world):
    plan = world.plan()
    world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    world.planner().tick(_plenty)
    world.fail_workflows()
    _after_the_retry_delay(world)
    (failed,) = world.store.entries(plan.plan_id)
    # A discovery that took the retry and stopped before reopening the record or starting the execution.
    taken = world.store.claim_store_retry(
        plan.plan_id, failed.window_key, 1, failed.report_id, now=world.app.now()
    )
    assert taken is not None and taken.attempts == 2
    assert (
        world.store.claim_store_retry(
            plan.plan_id, failed.window_key, 1, failed.report_id, now=world.app.now()
        )
        is None
    )  # one caller wins

    world.planner().tick(_plenty)
    world.later(DISCOVERY_INTERVAL + timedelta(minutes=1))
    world.planner().tick(_plenty)  # finds its execution: no second one

    assert sorted(e["name"] for e in world.executions()) == sorted(
        [f"report-{failed.report_id}", execution_name(failed.report_id, attempt=2)]
    )
    assert world.records.get(failed.report_id).pull_window.attempt == 2
    world.run_workflows()
    assert world.store.entries(plan.plan_id)[0].state is WindowState.STORED


def test_a_failed_store_whose_document_sp_api_dropped_is_parked(world):
    plan = world.plan()
    account = world.settlements_from_now()
    world.later(SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1))
    world.planner().tick(_plenty)
    world.fail_workflows()
    first = account.made[0]

    world.later(31 * DAY)  # past the 30 days' document retention, without a discovery meanwhile
    world.planner().tick(_plenty)

    parked = world.store.entries(plan.plan_id)[0]
    assert parked.report_id == first
    assert parked.state is WindowState.PARKED and "dropped the report's document" in parked.reason
    assert [e["name"] for e in world.executions() if first in e["name"]] == [f"report-{first}"]
    assert world.telemetry.counts()["WindowsParked"] == 1
