"""/plans: create, list, show, pause, resume, change and delete pull plans, and a plan's coverage (one
function for the six methods; sp_reports.pipeline.plan_requests tells them apart and does the work)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._observability import observability
from sp_reports.pipeline.plan_requests import PlanRequests
from sp_reports.pipeline.pull_coverage import PlannerPace
from sp_reports.pipeline.pull_ledger import PullStore
from sp_reports.pipeline.report_budget import DEFAULT_SELLER_DAILY_REPORT_BUDGET
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.token_store import TokenStore

logger, tracer, metrics = observability()
config = _config.required(["TOKENS_TABLE_NAME", "PULL_PLANS_TABLE_NAME", "REPORTS_TABLE_NAME"])
dynamodb = boto3.client("dynamodb")
requests = PlanRequests(
    store=PullStore(config["PULL_PLANS_TABLE_NAME"], dynamodb),
    # Whether a seller has a token is read without the token: no KMS client, no key.
    tokens=TokenStore(config["TOKENS_TABLE_NAME"], "", dynamodb, None),
    boundary=tenant_boundary(dynamodb),
    seller_daily_budget=_config.positive_int(
        "SELLER_DAILY_REPORT_BUDGET", DEFAULT_SELLER_DAILY_REPORT_BUDGET
    ),
    logger=logger,
    metrics=metrics,
    # The planner's pace, for the coverage's estimate of a backfill's end (unknown when not given).
    pace=PlannerPace.from_settings(
        os.environ.get("PULL_PLANNER_MAX_REPORTS_PER_TICK"),
        os.environ.get("PULL_PLANNER_SCHEDULE_EXPRESSION"),
    ),
    restricted_allowed=_config.boolean("ALLOW_RESTRICTED_REPORT_TYPES", False),
    # A coverage's stored windows say their conversion, read from their reports' records.
    conversions=ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb).conversions,
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    return requests.answer(event)
