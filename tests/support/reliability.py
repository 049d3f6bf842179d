"""Helpers of the reliability suite, for its test modules and its conftest: the report pipeline driver and the
figures."""

from __future__ import annotations

import json
from types import ModuleType

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportStatus
from sp_reports_harness.repository import REPO_ROOT
from tests.support import api_events, aws_resources, notification_messages  # noqa: F401 - for the suite
from tests.support.canaries import SELLER_ID, assert_no_secrets
from tests.support.lambda_testing import VirtualClock  # noqa: F401 - re-exported for the suite's conftest

TESTS_DIR = REPO_ROOT / "tests"
RESULTS_PATH = REPO_ROOT / ".build" / "reliability" / "results.json"


class AttackResults:
    """Rows of docs/reliability.md, filled by the tests that pass (a failing test records nothing)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def record(self, row: str, *, attack: str, cases: int, outcome: str, lost: int | None) -> None:
        """`lost`: what the attack could have lost and did, as measured by the test (None: nothing to lose,
        e.g. a policy check)."""
        entry = self.rows.setdefault(
            row, {"attack": attack, "cases": 0, "outcomes": [], "lost": None, "tests": 0}
        )
        entry["cases"] += cases
        if lost is not None:
            entry["lost"] = (entry["lost"] or 0) + lost
        entry["tests"] += 1
        if outcome not in entry["outcomes"]:
            entry["outcomes"].append(outcome)


SECRET_SCANS: dict[str, int] = {}


def scan_for_secrets(text: str, where: str, *extra: str) -> None:
    """assert_no_secrets, counted per kind of output for the figures (only scans that passed count)."""
    assert_no_secrets(text, *extra)
    SECRET_SCANS[where] = SECRET_SCANS.get(where, 0) + 1


def check_output_for_secrets(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Read (and so consume) what was printed so far, fail on a secret, return it for further checks."""
    captured = capsys.readouterr()
    text = captured.out + captured.err
    scan_for_secrets(text, "logs (stdout/stderr)", *extra)
    return text


REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
DOCUMENT = b"".join(b"sku-%05d\tItem %05d\t%d.99\n" % (n, n, n % 100) for n in range(2000))
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class ReportPipeline:
    """The seller authorised and subscribed; reports are requested through POST /reports, finished in the
    emulator, announced to the processor and run through the workflow (moto SFN + real handlers)."""

    def __init__(self, workflow, emulator, load_handler, lambda_context) -> None:
        self.workflow = workflow
        self.emulator = emulator
        self.lambda_context = lambda_context
        self.requested: list[str] = []
        self.creator = load_handler("report_creator")
        self.processor = load_handler("notifications_processor", STATE_MACHINE_ARN=workflow.state_machine_arn)
        from sp_reports.pipeline.report_records import ReportRecords

        self.records = ReportRecords(workflow.resources.reports_table, boto3.client("dynamodb"))

    def request_report(self, seller_id: str = SELLER_ID) -> str:
        body = {
            "SellerId": seller_id,
            "RegionCode": "NA",
            "ReportType": REPORT_TYPE,
            "MarketplaceIds": ["ATVPDKIKX0DER"],
        }
        response = self.creator.handler(api_events.api_event("POST", "/reports", body), self.lambda_context)
        assert response["statusCode"] == 202, response["body"]
        scan_for_secrets(response["body"], "API answers")
        report_id = json.loads(response["body"])["reportId"]
        self.requested.append(report_id)
        return report_id

    def notification_bodies(self, report_id: str) -> list[str]:
        bodies = [
            sent.body
            for sent in self.emulator.sent_notifications
            # Other types (APPLICATION_OAUTH_CHANGED) carry no report.
            if sent.message.get("payload", {}).get("reportProcessingFinishedNotification", {}).get("reportId")
            == report_id
        ]
        assert bodies, f"SP-API sent no notification for report {report_id}"
        return bodies

    def deliver(self, report_id: str, processor: ModuleType | None = None) -> dict:
        """One SQS delivery of the report's notification; returns the processor's batch answer."""
        event = notification_messages.sqs_event(*self.notification_bodies(report_id))
        return (processor or self.processor).handler(event, self.lambda_context)

    def executions_of(self, report_id: str) -> list[dict]:
        from sp_reports.pipeline.notifications_processing import execution_name

        return [e for e in self.workflow.executions() if e["name"] == execution_name(report_id)]

    def run(self, report_id: str, status: str = "DONE", document: bytes | None = DOCUMENT) -> dict:
        """Finish the report in SP-API, deliver its notification, wait for its execution to end."""
        self.emulator.finish_report(report_id, status, document if status != "CANCELLED" else None)
        assert self.deliver(report_id) == {"batchItemFailures": []}
        (execution,) = self.executions_of(report_id)
        return self.workflow.wait(execution["executionArn"], timeout=120)

    def lost_reports(self, emails: int = 1) -> int:
        """Reports requested through this pipeline that ended with neither their object stored (DONE) nor a
        recorded failure reason (FAILED) nor CANCELLED, or without exactly `emails` emails (0 for a report
        quarantined for a seller mismatch: recorded FAILED and counted in a metric, not emailed)."""
        lost = 0
        stored = set(self.stored_objects())
        for report_id in self.requested:
            record = self.records.get(report_id)
            ended = record is not None and (
                (record.status is ReportStatus.DONE and record.s3_key in stored)
                or (record.status is ReportStatus.FAILED and bool(record.failure_reason))
                or record.status is ReportStatus.CANCELLED
            )
            if not ended or len(self.emails_about(report_id)) != emails:
                lost += 1
        return lost

    def emails_about(self, report_id: str) -> list[dict]:
        return [email for email in self.workflow.emails() if report_id in email["message"]]

    def stored_objects(self) -> list[str]:
        listing = boto3.client("s3").list_objects_v2(Bucket=self.workflow.resources.bucket)
        return [item["Key"] for item in listing.get("Contents", [])]

    def open_uploads(self) -> list[dict]:
        return (
            boto3.client("s3")
            .list_multipart_uploads(Bucket=self.workflow.resources.bucket)
            .get("Uploads", [])
        )

    def assert_nothing_stuck(self) -> None:
        statuses = [e["status"] for e in self.workflow.executions()]
        assert all(status in TERMINAL for status in statuses), f"executions still running: {statuses}"

    def assert_no_secret_in_history(self, execution: dict) -> None:
        history = json.dumps(self.workflow.history(execution["executionArn"]), default=str)
        scan_for_secrets(history + json.dumps(execution, default=str), "execution histories")
        assert "/documents/" not in history  # no document URL, signed or not


def planned_resources(plan: dict, resource_type: str) -> dict[str, dict]:
    """address -> planned attributes (`change.after`) of every resource of `resource_type` in the plan."""
    return {
        change["address"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["type"] == resource_type
    }


def planned_resource(plan: dict, address: str) -> dict:
    for change in plan["resource_changes"]:
        if change["address"] == address:
            return change["change"]["after"]
    raise AssertionError(f"{address} is not in the plan")
