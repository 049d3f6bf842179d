"""Scheduled (EventBridge Scheduler) pull planner: one tick requests the due windows of every pull plan
(sp_reports.pipeline.pull_planner).

The schedule's event carries nothing the tick needs. A tick stops STOP_WITH_SECONDS_LEFT before the
function's timeout and never starts more than PULL_PLANNER_MAX_REPORTS_PER_TICK reports; the next tick
resumes. Discover plans' reports are found with getReports and their store workflow started as the sweep
starts one (STATE_MACHINE_ARN). A failure outside one seller's SP-API calls (DynamoDB, KMS, the app's LWA
credentials) fails the invocation, which the schedule's Errors alarm reports.
"""

from __future__ import annotations

from typing import Any

import boto3

from sp_reports.handlers import _config
from sp_reports.handlers._lazy_client import LazyClient
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.notifications_processing import ReportNotificationProcessor
from sp_reports.pipeline.pull_discovery import PullDiscovery
from sp_reports.pipeline.pull_ledger import PullStore
from sp_reports.pipeline.pull_planner import PlannerSettings, PullPlanner
from sp_reports.pipeline.pull_window_objects import WindowObjects
from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes
from sp_reports.pipeline.report_cooldowns import ReportCooldowns
from sp_reports.pipeline.report_records import DEFAULT_TTL_DAYS, ReportRecords
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.token_store import TokenStore

logger, tracer, metrics = observability()
config = _config.required(
    [
        "TOKENS_TABLE_NAME",
        "REPORTS_TABLE_NAME",
        "PULL_PLANS_TABLE_NAME",
        "LWA_CREDENTIALS_SECRET_ARN",
        "REPORTS_BUCKET_NAME",
        "REPORTS_KMS_KEY_ID",
        "STATE_MACHINE_ARN",
    ]
)
dynamodb = boto3.client("dynamodb")
store = PullStore(config["PULL_PLANS_TABLE_NAME"], dynamodb)
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=TokenStore(config["TOKENS_TABLE_NAME"], "", dynamodb, boto3.client("kms")),
)
records = ReportRecords(
    config["REPORTS_TABLE_NAME"],
    dynamodb,
    ttl_days=_config.positive_int("REPORT_RECORD_TTL_DAYS", DEFAULT_TTL_DAYS, maximum=3650),
)
planner = PullPlanner(
    store=store,
    records=records,
    sweep_state=SweepState(config["REPORTS_TABLE_NAME"], dynamodb),
    reports_for=spapi_clients.reports,
    window_objects=WindowObjects(
        boto3.client("s3"), bucket=config["REPORTS_BUCKET_NAME"], kms_key_id=config["REPORTS_KMS_KEY_ID"]
    ),
    outcomes=PullWindowOutcomes(store, logger=logger, metrics=metrics),
    logger=logger,
    metrics=metrics,
    cooldowns=ReportCooldowns(config["REPORTS_TABLE_NAME"], dynamodb),
    settings=PlannerSettings(
        max_reports_per_tick=_config.positive_int("PULL_PLANNER_MAX_REPORTS_PER_TICK", 200, maximum=10000)
    ),
    discovery=PullDiscovery(
        store=store,
        records=records,
        # The notifications processor's own rules (records, execution names): a discovered report is
        # recorded as requested, so the policy for unrequested reports does not apply to it.
        processor=ReportNotificationProcessor(
            records,
            # Only to start a discovered report's workflow: most ticks discover none.
            LazyClient("stepfunctions"),
            config["STATE_MACHINE_ARN"],
            process_unrequested=False,
        ),
        reports_for=spapi_clients.reports,
        logger=logger,
        metrics=metrics,
    ),
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return planner.tick(lambda: context.get_remaining_time_in_millis() / 1000.0)
