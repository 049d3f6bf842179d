"""The report sweep's world for tests: the SP-API emulator's reports, moto's tables and Step Functions, and
the sweep built as the sweeper function builds it, on a virtual clock."""

from __future__ import annotations

import time
from datetime import timedelta

import boto3

from sp_reports.pipeline.notifications_processing import ReportNotificationProcessor
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.report_sweep import SWEEP_CALL_DEADLINE, ReportSweep, SweepSettings
from sp_reports.pipeline.sweep_state import SweepState
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
