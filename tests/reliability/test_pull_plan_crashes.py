"""Attack 4 (continued): the pull planner and the storer killed mid-way; a discovered report's store failing.

A daily pull plan has three due windows. The real pull_planner handler ticks as EventBridge Scheduler
invokes it (its clock set, so the windows are fixed), and is killed (an exception no handler catches, as a
timeout or crash ends the process) between the claim and createReport, or between createReport and the
ledger's record of it; the storer is killed (the function's timeout, Sandbox.Timedout) after the report is
stored and copied to its window but before the window's manifest is written. The next ticks resume; SP-API
finishes each report and its notification runs the workflow (moto's Step Functions with the real handlers).
Afterwards every window must be stored exactly once: one report per window in SP-API, the ledger STORED,
one version object and a manifest naming it (0 lost, 0 duplicated). A settlement report (mode discover),
which cannot be requested again, whose store fails is stored by a later discovery's execution of its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import boto3
import pytest

from sp_reports.pipeline.pull_ledger import PullStore, WindowState
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_windows import windows_between
from tests.support.aws_resources import create_pull_plans_table
from tests.support.canaries import SELLER_ID
from tests.support.lambda_testing import sleep_on_virtual_time
from tests.support.reliability import DOCUMENT, check_output_for_secrets

REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
US = "ATVPDKIKX0DER"
# Yesterday noon (UTC): the three windows before it have ended for the emulator's real clock too.
NOW = datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC) - timedelta(hours=12)


class Killed(BaseException):
    """The process ending (a timeout, out of memory): nothing after it runs, no handler catches it."""


def _scheduled_invocation_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="sp-reports-pull-planner",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sp-reports-pull-planner",
        aws_request_id="c0ffee00-0000-4000-8000-000000000002",
        get_remaining_time_in_millis=lambda: 290_000,
    )


class PlanWorld:
    def __init__(self, pipeline, load_handler) -> None:
        self.pipeline = pipeline
        self.store = PullStore(create_pull_plans_table(), boto3.client("dynamodb"))
        self.plan = plan_from_request(
            {
                "sellerId": SELLER_ID,
                "marketplaceIds": [US],
                "reportType": REPORT_TYPE,
                "cadence": "daily",
                "startDate": (NOW.date() - timedelta(days=3)).isoformat(),
            },
            now=NOW,
        )
        self.store.put_plan(self.plan)
        self.windows = windows_between(self.plan, NOW - timedelta(days=3), NOW - timedelta(hours=12))
        assert len(self.windows) == 3
        self.planner = load_handler("pull_planner")
        sleep_on_virtual_time(self.planner.spapi_clients.http("NA"))
        self.clock = NOW

    def tick(self, at: datetime) -> dict:
        self.planner.planner._clock = lambda: at
        return self.planner.handler({}, _scheduled_invocation_context())

    def finish_all(self) -> None:
        """SP-API finishes every report of the plan; each notification runs the workflow to its end."""
        for entry in self.store.entries(self.plan.plan_id):
            if entry.state is WindowState.REQUESTED:
                execution = self.pipeline.run(entry.report_id, "DONE", DOCUMENT)
                assert execution["status"] == "SUCCEEDED"

    def counts(self) -> tuple[int, int]:
        """(lost, duplicated) windows: not stored once with its manifest, or with more than one report."""
        s3 = boto3.client("s3")
        bucket = self.pipeline.workflow.resources.bucket
        reports = [r for r in self.pipeline.emulator.reports.values() if r.report_type == REPORT_TYPE]
        listing = s3.list_objects_v2(Bucket=bucket, Prefix="plans/").get("Contents", [])
        lost = duplicated = 0
        for window in self.windows:
            made = [r for r in reports if r.data_start_time and r.data_start_time.startswith(window.key[:19])]
            entry = self.store.entry(self.plan.plan_id, window.key, 1)
            folder = (
                f"plans/{SELLER_ID}/{REPORT_TYPE}/{self.plan.plan_id}/{US}/"
                f"{window.start.date()}_{window.end.date()}/"
            )
            objects = sorted(
                item["Key"].removeprefix(folder) for item in listing if item["Key"].startswith(folder)
            )
            stored = (
                entry is not None
                and entry.state is WindowState.STORED
                and objects
                == [
                    "manifest.json",
                    "v001/report.tsv",
                ]
            )
            if stored:
                manifest = json.loads(
                    s3.get_object(Bucket=bucket, Key=folder + "manifest.json")["Body"].read()
                )
                body = s3.get_object(Bucket=bucket, Key=folder + "v001/report.tsv")["Body"].read()
                stored = (
                    manifest["currentVersion"] == 1 and manifest["key"] == entry.s3_key and body == DOCUMENT
                )
            lost += 0 if stored else 1
            duplicated += max(0, len(made) - 1)
        return lost, duplicated


@pytest.fixture
def plan_world(report_pipeline, load_handler) -> PlanWorld:
    return PlanWorld(report_pipeline, load_handler)


def _kill_once(monkeypatch, target, name: str) -> list[int]:
    """The first call of `target.name` kills the process; later calls (another invocation) run as usual."""
    original, kills = getattr(target, name), []

    def killed(*args, **kwargs):
        if not kills:
            kills.append(1)
            raise Killed()
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, killed)
    return kills


def test_planner_killed_between_claim_and_create_report(plan_world, monkeypatch, capsys, attack_results):
    world = plan_world
    kills = _kill_once(monkeypatch, world.planner.planner._records, "create_and_record")
    with pytest.raises(Killed):
        world.tick(NOW)
    (claimed,) = world.store.entries(world.plan.plan_id)
    assert claimed.state is WindowState.CLAIMED and claimed.report_id is None

    assert world.tick(NOW + timedelta(minutes=1))["reportsCreated"] == 2  # the fresh claim is left alone
    assert world.tick(NOW + timedelta(minutes=21))["reportsCreated"] == 1  # taken over: none found, created
    assert world.tick(NOW + timedelta(minutes=22))["reportsCreated"] == 0
    world.finish_all()

    lost, duplicated = world.counts()
    assert (lost, duplicated, len(kills)) == (0, 0, 1)
    check_output_for_secrets(capsys)
    attack_results.record(
        "4-pull-crash-claim",
        attack="Pull planner killed between a window's claim and createReport (3 daily windows)",
        cases=len(world.windows),
        outcome=f"claim taken over after 20 min, no report found, requested once; {duplicated} duplicated",
        lost=lost,
    )


def test_planner_killed_between_create_report_and_the_record(plan_world, monkeypatch, capsys, attack_results):
    world = plan_world
    kills = _kill_once(monkeypatch, world.planner.store, "record_report")
    with pytest.raises(Killed):
        world.tick(NOW)
    (made,) = world.pipeline.emulator.reports.values()  # SP-API accepted it; the ledger does not know

    answer = world.tick(NOW + timedelta(minutes=21))
    assert (answer["reportsAdopted"], answer["reportsCreated"]) == (1, 2)
    world.finish_all()

    lost, duplicated = world.counts()
    assert (lost, duplicated, len(kills)) == (0, 0, 1)
    assert made.report_id in {e.report_id for e in world.store.entries(world.plan.plan_id)}
    check_output_for_secrets(capsys)
    attack_results.record(
        "4-pull-crash-create",
        attack="Pull planner killed after createReport, before the ledger's record (3 daily windows)",
        cases=len(world.windows),
        outcome=f"report found with getReports and adopted, no second createReport; {duplicated} duplicated",
        lost=lost,
    )


def test_storer_killed_while_placing_a_window(plan_world, monkeypatch, capsys, attack_results):
    world = plan_world
    timed_out = type("Sandbox.Timedout", (Exception,), {})  # how Step Functions sees the function's timeout
    windows = world.pipeline.workflow.storer.storer._windows
    original, kills = windows._write_manifest, []

    def killed_before_the_manifest(placement):
        if len(kills) < 1:
            kills.append(1)
            raise timed_out("Task timed out after 300.00 seconds")
        return original(placement)

    monkeypatch.setattr(windows, "_write_manifest", killed_before_the_manifest)
    assert world.tick(NOW)["reportsCreated"] == 3
    world.finish_all()

    lost, duplicated = world.counts()
    assert (lost, duplicated, len(kills)) == (0, 0, 1)
    assert world.pipeline.workflow.retry_sleeps == [5]  # the store ran again once
    check_output_for_secrets(capsys)
    attack_results.record(
        "4-pull-crash-store",
        attack="Storer killed (function timeout) after copying a window's report, before its manifest",
        cases=len(world.windows),
        outcome=(
            "store retried once by the workflow; copy kept, manifest written, window STORED; "
            f"{duplicated} duplicated"
        ),
        lost=lost,
    )


def test_a_discovered_reports_failed_store_is_retried_and_stored_once(
    report_pipeline, load_handler, spapi_emulator, capsys, attack_results
):
    """A settlement report (mode discover) cannot be requested again: when its workflow's store fails, the
    next discoveries store the same report again in an execution of its own, while SP-API keeps its
    document."""
    from sp_reports.pipeline.notifications_processing import execution_arn, execution_name
    from spapi_emulator.settlements import (
        PUBLICATION_DELAY,
        SETTLEMENT_PERIOD,
        V2_FLAT_FILE,
        SettlementAccount,
    )

    pipeline = report_pipeline
    store = PullStore(create_pull_plans_table(), boto3.client("dynamodb"))
    app = spapi_emulator.app
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
    spapi_emulator.open_settlements(
        SettlementAccount(seller_id=SELLER_ID, marketplace_id=US, period_start=app.now())
    )
    spapi_emulator.advance_time(
        (SETTLEMENT_PERIOD + PUBLICATION_DELAY + timedelta(minutes=1)).total_seconds()
    )
    (report_id,) = [r.report_id for r in spapi_emulator.reports.values() if r.report_type == V2_FLAT_FILE]
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    planner = load_handler("pull_planner", STATE_MACHINE_ARN=pipeline.workflow.state_machine_arn)
    sleep_on_virtual_time(planner.spapi_clients.http("NA"))

    def tick() -> dict:
        planner.planner._clock = app.now
        return planner.handler({}, _scheduled_invocation_context())

    # The store fails with an error no retrier names: the workflow's Catch reports the failure.
    refused = type("ReportDocumentTooLargeError", (Exception,), {})
    storer = pipeline.workflow.storer.storer
    original, failures = storer.store, []

    def failing_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise refused("the document did not fit in the function's time")
        return original(*args, **kwargs)

    storer.store = failing_once
    assert tick()["reportsDiscovered"] == 1
    first = pipeline.workflow.wait(execution_arn(pipeline.workflow.state_machine_arn, f"report-{report_id}"))
    assert first["status"] == "SUCCEEDED"  # the failure is the workflow's recorded outcome
    (failed,) = store.entries(plan.plan_id)
    assert failed.state is WindowState.FAILED

    spapi_emulator.advance_time(timedelta(minutes=61).total_seconds())
    tick()
    second_name = execution_name(report_id, attempt=2)
    (second,) = [e for e in pipeline.workflow.executions() if e["name"] == second_name]
    assert pipeline.workflow.wait(second["executionArn"], timeout=120)["status"] == "SUCCEEDED"
    spapi_emulator.advance_time(timedelta(minutes=61).total_seconds())
    tick()  # nothing left to retry

    (entry,) = store.entries(plan.plan_id)
    listing = boto3.client("s3").list_objects_v2(
        Bucket=pipeline.workflow.resources.bucket, Prefix=f"plans/{SELLER_ID}/{V2_FLAT_FILE}/"
    )
    versions = [item["Key"] for item in listing.get("Contents", []) if "/v001/" in item["Key"]]
    lost = 0 if entry.state is WindowState.STORED and versions == [entry.s3_key] else 1
    duplicated = len(pipeline.workflow.executions()) - 2
    record = pipeline.records.get(report_id)
    assert (lost, duplicated, entry.attempts, len(record.failure_history)) == (0, 0, 2, 1)
    check_output_for_secrets(capsys)
    attack_results.record(
        "4-pull-store-retry",
        attack="A discovered settlement report's store fails (no request possible: the report is Amazon's)",
        cases=1,
        outcome=(
            "stored again after the retry time by an execution named for attempt 2, record reopened with its "
            f"failure kept; {duplicated} duplicated"
        ),
        lost=lost,
    )
