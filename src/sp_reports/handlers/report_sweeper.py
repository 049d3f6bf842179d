"""Scheduled (EventBridge Scheduler) sweep: start the workflow of every finished report of ours that no
notification brought in (sp_reports.pipeline.report_sweep).

The schedule's event carries nothing the sweep needs. Each recovered report, each report still unfinished
long after its request and each skipped seller is logged with the seller and report ids (never a token) and
counted: ReportsRecoveredBySweep, SweepReportsStuck, SweepSellersSkipped, SweepFailures. A failure outside
one seller's SP-API calls (DynamoDB, KMS, Step Functions, the app's LWA credentials) fails the invocation,
which the function's Errors alarm reports.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3

from sp_reports.handlers import _config
from sp_reports.handlers._lazy_client import LazyClient
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.notifications_processing import ReportNotificationProcessor
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_sweep import SWEEP_CALL_DEADLINE, ReportSweep, SweepSettings
from sp_reports.pipeline.scheduled_sweep import ScheduledSweep
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.token_store import TokenStore

logger, tracer, metrics = observability()
config = _config.required(
    ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "LWA_CREDENTIALS_SECRET_ARN"]
)
stuck_after_hours = _config.positive_int("SWEEP_STUCK_AFTER_HOURS", 6, maximum=24 * 90)
amazon_generated_report_types = _config.word_list("SWEEP_AMAZON_GENERATED_REPORT_TYPES")
dynamodb = boto3.client("dynamodb")
token_store = TokenStore(config["TOKENS_TABLE_NAME"], "", dynamodb, boto3.client("kms"))
records = ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb)
# Only to start a recovered report's workflow: most sweeps recover none.
stepfunctions = LazyClient("stepfunctions")
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=token_store,
    # The sweep starts a call only with this much time left (SweepSettings.call_allowance_seconds).
    deadline_seconds=SWEEP_CALL_DEADLINE,
)
sweep = ReportSweep(
    tokens=token_store,
    state=SweepState(config["REPORTS_TABLE_NAME"], dynamodb),
    records=records,
    # The notifications processor's own rules (records, execution names); the unrequested-reports policy
    # is the processor's, and the opted-in Amazon-generated types are stored regardless.
    processor=ReportNotificationProcessor(
        records,
        stepfunctions,
        config["STATE_MACHINE_ARN"],
        process_unrequested=_config.boolean("PROCESS_UNREQUESTED_REPORTS", default=False),
        # Restricted (PII) reports nobody requested, opted-in Amazon-generated ones included, are stored only
        # where the deployment allows them.
        restricted_allowed=_config.boolean("ALLOW_RESTRICTED_REPORT_TYPES", default=False),
    ),
    reports_for=spapi_clients.reports,
    settings=SweepSettings(
        stuck_after=timedelta(hours=stuck_after_hours),
        amazon_generated_report_types=frozenset(amazon_generated_report_types),
    ),
)
scheduled_sweep = ScheduledSweep(sweep, stuck_after_hours=stuck_after_hours, logger=logger, metrics=metrics)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return scheduled_sweep.run(lambda: context.get_remaining_time_in_millis() / 1000.0)
