"""POST /reports: validate the request, plan its SP-API reports with the report-type catalogue, create and
record each.

The plan (sp_reports.pipeline.report_plans) applies the rules SP-API enforces per report type: a type
createReport cannot make is refused saying how to get it, a range beyond the type's maximum is split into
windows, several marketplaces of a single-marketplace type fan out, a type in its cooldown reuses a recent
report of ours or is answered 429 with Retry-After. A restricted (PII) type is refused with 403
unless the deployment allows them (ALLOW_RESTRICTED_REPORT_TYPES). A type the catalogue does not know is
requested unchanged.
The reports the plan would create are spent first from the caller's and the seller's daily budgets
(sp_reports.pipeline.report_budget): over either the request is answered 429 CallerReportBudgetExhausted or
SellerReportBudgetExhausted and nothing is created.

Each report's intent is written before createReport, so a report SP-API accepted is never lost to a record
write that fails afterwards: the answer still carries its id (a retry would create a second report), the
failure is logged and counted (ReportRecordsDeferred), and the notifications processor records the report
from the intent when SP-API announces it (sp_reports.pipeline.report_records, "Request intents")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.api_requests import api_error_for, parse_json_body, parse_report_request
from sp_reports.pipeline.report_budget import (
    CALLER,
    DEFAULT_CALLER_DAILY_REPORT_BUDGET,
    DEFAULT_SELLER_DAILY_REPORT_BUDGET,
    DailyReportBudget,
)
from sp_reports.pipeline.report_plans import carry_out, cooldown_decision, plan_answer, plan_report_request
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.tenancy import caller_principal
from sp_reports.pipeline.token_store import TokenStore

logger, tracer, metrics = observability()
config = _config.required(["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN"])
ttl_days = _config.positive_int("REPORT_RECORD_TTL_DAYS", 90, maximum=3650)
# Restricted (PII) report types only where the deployment opted in (root allow_restricted_report_types).
restricted_allowed = _config.boolean("ALLOW_RESTRICTED_REPORT_TYPES", False)
dynamodb = boto3.client("dynamodb")
report_records = ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb, ttl_days=ttl_days)
sweep_state = SweepState(config["REPORTS_TABLE_NAME"], dynamodb)
report_budget = DailyReportBudget(
    config["REPORTS_TABLE_NAME"],
    dynamodb,
    _config.positive_int("SELLER_DAILY_REPORT_BUDGET", DEFAULT_SELLER_DAILY_REPORT_BUDGET),
)
caller_budget = DailyReportBudget(
    config["REPORTS_TABLE_NAME"],
    dynamodb,
    _config.positive_int("CALLER_DAILY_REPORT_BUDGET", DEFAULT_CALLER_DAILY_REPORT_BUDGET),
    scope=CALLER,
)
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=TokenStore(config["TOKENS_TABLE_NAME"], "", dynamodb, boto3.client("kms")),
    deadline_seconds=20.0,  # API Gateway gives up after 29 s
)
boundary = tenant_boundary(dynamodb)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    request = parse_report_request(parse_json_body(event))
    asked = request.specification
    logger.append_keys(
        seller_id=asked.seller_id, region_code=asked.region_code, report_type=asked.report_type
    )
    boundary.admit(event, asked.seller_id)
    now = datetime.now(UTC)
    plan = plan_report_request(request, now, restricted_allowed=restricted_allowed)
    reports = spapi_clients.reports(asked.seller_id, asked.region_code)
    decision = cooldown_decision(
        plan,
        lambda report_type, marketplace_ids, since: list(
            reports.get_reports([report_type], marketplace_ids=marketplace_ids, created_since=since).reports
        ),
        lambda report_id: report_records.get(report_id) is not None,
        now,
    )

    def create(planned: ReportSpecification) -> tuple[str, bool]:
        created = report_records.create_and_record(
            planned, lambda specification: reports.create_report(**specification.create_report_arguments())
        )
        _note_for_the_sweep(planned)
        if not created.recorded:
            logger.error(
                "report accepted by SP-API but not recorded: its intent stands in",
                extra={"report_id": created.report_id, "intent_id": created.intent_id},
            )
            metrics.add_metric(name="ReportRecordsDeferred", unit=MetricUnit.Count, value=1)
        return created.report_id, created.recorded

    to_create = sum(1 for reuse in decision.reuse if reuse is None)
    with (
        caller_budget.reserved(caller_principal(event), to_create) as caller_reservation,
        report_budget.reserved(asked.seller_id, to_create) as reservation,
    ):
        outcome = carry_out(
            plan, decision, caller_reservation.counting(reservation.counting(create)), api_error_for
        )
    status, body = plan_answer(plan, outcome)
    logger.append_keys(report_id=body["reportId"])
    logger.info(
        "report requested",
        extra={
            "marketplace_ids": list(asked.marketplace_ids),
            "report_ids": body["reportIds"],
            "reused": len(outcome.reused),
            "failed": len(outcome.failed) + len(outcome.not_requested),
        },
    )
    metrics.add_metric(name="ReportsRequested", unit=MetricUnit.Count, value=len(outcome.created))
    if outcome.failed:
        metrics.add_metric(name="ReportPlansIncomplete", unit=MetricUnit.Count, value=1)
    return status, body


def _note_for_the_sweep(planned: ReportSpecification) -> None:
    """The sweep looks for reports of this type in this region from now on, so a report whose notification
    never comes is still found (sp_reports.pipeline.report_sweep). Written once SP-API accepted the report: a
    refused request leaves nothing behind."""
    try:
        sweep_state.note_request(planned.seller_id, planned.region_code, planned.report_type)
    except (ClientError, BotoCoreError):
        # The report exists and its notification will come; only the sweep's safety net misses this type
        # until the seller's next request of it. Not worth a second createReport by a retried POST.
        logger.exception("report type not noted for the sweep")
        metrics.add_metric(name="SweepNotesMissed", unit=MetricUnit.Count, value=1)
