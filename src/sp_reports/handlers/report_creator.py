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

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.report_budget import (
    CALLER,
    DEFAULT_CALLER_DAILY_REPORT_BUDGET,
    DEFAULT_SELLER_DAILY_REPORT_BUDGET,
    DailyReportBudget,
)
from sp_reports.pipeline.report_cooldowns import ReportCooldowns
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_requesting import ReportRequesting
from sp_reports.pipeline.sweep_state import SweepState
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
requesting = ReportRequesting(
    records=report_records,
    sweep_state=sweep_state,
    seller_budget=report_budget,
    caller_budget=caller_budget,
    reports_for=spapi_clients.reports,
    boundary=boundary,
    logger=logger,
    metrics=metrics,
    restricted_allowed=restricted_allowed,
    cooldowns=ReportCooldowns(config["REPORTS_TABLE_NAME"], dynamodb),
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    return requesting.request(event)
