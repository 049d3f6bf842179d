"""POST /reports behind the door: plan the request's SP-API reports, spend the daily budgets, create and
record each report, and answer.

The plan (sp_reports.pipeline.report_plans) applies the rules SP-API enforces per report type; the reports it
would create are spent first from the caller's and the seller's daily budgets
(sp_reports.pipeline.report_budget). A type with a cooldown is checked against SP-API's recent reports
(cooldown_decision) and then takes the cooldown the pull planner takes too
(sp_reports.pipeline.report_cooldowns) before each createReport. Each report's intent is written before
createReport, so a report SP-API accepted is never lost to a record write that fails afterwards: the answer
still carries its id, the failure is logged and counted (ReportRecordsDeferred), and the notifications
processor records the report from the intent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.pipeline.api_requests import api_error_for, parse_json_body, parse_report_request
from sp_reports.pipeline.report_budget import DailyReportBudget
from sp_reports.pipeline.report_cooldowns import ReportCooldowns, certainly_no_report, cooldown_end
from sp_reports.pipeline.report_plans import (
    ReportPlan,
    carry_out,
    cooldown_decision,
    cooldown_refusal,
    plan_answer,
    plan_report_request,
)
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.pipeline.tenancy import TenantBoundary, caller_principal
from sp_reports.spapi.reports import ReportsClient


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ReportRequesting:
    def __init__(
        self,
        *,
        records: ReportRecords,
        sweep_state: SweepState,
        seller_budget: DailyReportBudget,
        caller_budget: DailyReportBudget,
        reports_for: Callable[[str, str], ReportsClient],
        boundary: TenantBoundary,
        logger: StructuredLogger,
        metrics: MetricSink,
        cooldowns: ReportCooldowns,
        restricted_allowed: bool = False,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._records = records
        self._cooldowns = cooldowns
        self._sweep_state = sweep_state
        self._seller_budget = seller_budget
        self._caller_budget = caller_budget
        self._reports_for = reports_for  # (seller_id, region_code) -> the seller's Reports client there
        self._boundary = boundary
        self._logger = logger
        self._metrics = metrics
        # Restricted (PII) report types only where the deployment opted in (allow_restricted_report_types).
        self._restricted_allowed = restricted_allowed
        self._clock = clock

    def request(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """The API event's request carried out: (status, body) of the answer; ApiError when refused."""
        request = parse_report_request(parse_json_body(event))
        asked = request.specification
        self._logger.append_keys(
            seller_id=asked.seller_id, region_code=asked.region_code, report_type=asked.report_type
        )
        self._boundary.admit(event, asked.seller_id)
        now = self._clock()
        plan = plan_report_request(request, now, restricted_allowed=self._restricted_allowed)
        reports = self._reports_for(asked.seller_id, asked.region_code)
        decision = cooldown_decision(
            plan,
            lambda report_type, marketplace_ids, since: list(
                reports.get_reports(
                    [report_type], marketplace_ids=marketplace_ids, created_since=since
                ).reports
            ),
            lambda report_id: self._records.get(report_id) is not None,
            now,
        )

        def create(planned: ReportSpecification) -> tuple[str, bool]:
            return self._create(planned, reports)

        to_create = sum(1 for reuse in decision.reuse if reuse is None)
        with (
            self._caller_budget.reserved(caller_principal(event), to_create) as caller_reservation,
            self._seller_budget.reserved(asked.seller_id, to_create) as reservation,
        ):
            counted = caller_reservation.counting(reservation.counting(create))

            def create_in_cooldown(planned: ReportSpecification) -> tuple[str, bool]:
                return self._within_cooldown(plan, planned, counted)

            outcome = carry_out(plan, decision, create_in_cooldown, api_error_for)
        status, body = plan_answer(plan, outcome)
        self._logger.append_keys(report_id=body["reportId"])
        self._logger.info(
            "report requested",
            extra={
                "marketplace_ids": list(asked.marketplace_ids),
                "report_ids": body["reportIds"],
                "reused": len(outcome.reused),
                "failed": len(outcome.failed) + len(outcome.not_requested),
            },
        )
        self._metrics.add_metric(name="ReportsRequested", unit=COUNT, value=len(outcome.created))
        if outcome.failed:
            self._metrics.add_metric(name="ReportPlansIncomplete", unit=COUNT, value=1)
        return status, body

    def _within_cooldown(
        self,
        plan: ReportPlan,
        planned: ReportSpecification,
        create: Callable[[ReportSpecification], tuple[str, bool]],
    ) -> tuple[str, bool]:
        """Create the planned report after taking its type's cooldown for its marketplaces, the fact the pull
        planner takes too (sp_reports.pipeline.report_cooldowns): getReports (cooldown_decision) does not yet
        list a report the planner is about to make. Held by another: 429 with Retry-After; given back when
        createReport certainly made no report."""
        cooldown = plan.rules.cooldown if plan.rules is not None else None
        if plan.rules is None or not cooldown:
            return create(planned)
        taken_at = self._clock()
        until = cooldown_end(cooldown, taken_at)
        ends = self._cooldowns.take(
            planned.seller_id, planned.report_type, planned.marketplace_ids, until=until, now=taken_at
        )
        if ends is not None:
            raise cooldown_refusal(planned.report_type, plan.rules, (ends - taken_at).total_seconds())
        try:
            return create(planned)
        except Exception as failure:
            if certainly_no_report(failure):
                self._cooldowns.give_back(
                    planned.seller_id, planned.report_type, planned.marketplace_ids, until=until
                )
            raise

    def _create(self, planned: ReportSpecification, reports: ReportsClient) -> tuple[str, bool]:
        """createReport for one planned report, its intent written first: (report id, whether recorded)."""
        created = self._records.create_and_record(
            planned, lambda specification: reports.create_report(**specification.create_report_arguments())
        )
        self._note_for_the_sweep(planned)
        if not created.recorded:
            self._logger.error(
                "report accepted by SP-API but not recorded: its intent stands in",
                extra={"report_id": created.report_id, "intent_id": created.intent_id},
            )
            self._metrics.add_metric(name="ReportRecordsDeferred", unit=COUNT, value=1)
        return created.report_id, created.recorded

    def _note_for_the_sweep(self, planned: ReportSpecification) -> None:
        """The sweep looks for reports of this type in this region from now on, so a report whose notification
        never comes is still found (sp_reports.pipeline.report_sweep). Written once SP-API accepted the
        report: a refused request leaves nothing behind."""
        try:
            self._sweep_state.note_request(planned.seller_id, planned.region_code, planned.report_type)
        except (ClientError, BotoCoreError):
            # The report exists and its notification will come; only the sweep's safety net misses this type
            # until the seller's next request of it. Not worth a second createReport by a retried POST.
            self._logger.exception("report type not noted for the sweep")
            self._metrics.add_metric(name="SweepNotesMissed", unit=COUNT, value=1)
