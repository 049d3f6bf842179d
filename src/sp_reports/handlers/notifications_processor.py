"""SQS batch of SP-API notifications: validate each, start one workflow execution per report.

A duplicate is counted as what it is: of a running execution, of an ended one, or of a report that already
has its outcome. A duplicate that finds the execution FAILED, TIMED_OUT or ABORTED has that failure recorded
and emailed by the workflow (FailedExecutionsReported).

Partial batch failures: only messages whose processing failed for a reason worth retrying (DynamoDB or
Step Functions errors) go back to the queue, and after the queue's maxReceiveCount to its DLQ. A malformed
message or another notification type would fail the same way forever: it is logged (its path and reason,
never the body) and counted, then dropped. So is a notification of another SP-API application than ours
(SPAPI_APPLICATION_ID), before anything is read or written; a notification that names another selling
partner than the report's record has the report recorded FAILED ("seller mismatch") and nothing stored.

A notification of a report requested through our API that names the seller it was requested for binds that
seller's stored token (sp_reports.pipeline.notifications_processing, `_confirm_token`): a token POST /tokens
stored on the caller's word becomes bound once Amazon names its seller.

APPLICATION_OAUTH_CHANGED (a seller deauthorised our application, sp_reports.pipeline.authorization_changes)
of our application erases the seller's token and sweep state, so that nothing more is requested, swept or
fetched for it; another application's is dropped like any other foreign notification.
"""

from __future__ import annotations

import os
from typing import Any

import boto3

from sp_reports.handlers import _config
from sp_reports.handlers._observability import observability
from sp_reports.handlers._sqs_batch import SqsMessage, partial_batch_response
from sp_reports.pipeline.notification_intake import NotificationIntake
from sp_reports.pipeline.notifications_processing import ReportNotificationProcessor
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.seller_erasure import SellerErasure
from sp_reports.pipeline.token_store import TokenBindings

logger, tracer, metrics = observability()
config = _config.required(["REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "TOKENS_TABLE_NAME"])
process_unrequested = _config.boolean("PROCESS_UNREQUESTED_REPORTS", default=False)
# Our SP-API application's id (root spapi_application_id): notifications of any other are dropped.
application_id = os.environ.get("SPAPI_APPLICATION_ID", "").strip() or None
if application_id is None:
    logger.warning("SPAPI_APPLICATION_ID is not set: notifications of any SP-API application are accepted")
dynamodb = boto3.client("dynamodb")
notification_processor = ReportNotificationProcessor(
    ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb),
    boto3.client("stepfunctions"),
    config["STATE_MACHINE_ARN"],
    process_unrequested=process_unrequested,
    application_id=application_id,
    # Restricted (PII) reports nobody requested are stored only where the deployment allows them.
    restricted_allowed=_config.boolean("ALLOW_RESTRICTED_REPORT_TYPES", default=False),
    token_bindings=TokenBindings(config["TOKENS_TABLE_NAME"], dynamodb),
)

# A deauthorisation deletes items by key only: no bucket, no queue, no scan (seller_erasure, `revoke`).
seller_erasure = SellerErasure(
    tokens_table=config["TOKENS_TABLE_NAME"],
    reports_table=config["REPORTS_TABLE_NAME"],
    dynamodb_client=dynamodb,
)

intake = NotificationIntake(
    processor=notification_processor,
    seller_erasure=seller_erasure,
    application_id=application_id,
    logger=logger,
    metrics=metrics,
)


@tracer.capture_method
def process_message(record: SqsMessage) -> None:
    intake.take(record.message_id, record.body)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return partial_batch_response(event, process_message)
