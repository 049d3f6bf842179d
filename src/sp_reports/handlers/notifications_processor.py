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
of
our application erases the seller's token and sweep state, so that nothing more is requested, swept or fetched
for it; another application's is dropped like any other foreign notification.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._observability import observability
from sp_reports.handlers._sqs_batch import SqsMessage, partial_batch_response
from sp_reports.pipeline.authorization_changes import ApplicationOAuthChanged, parse_application_oauth_changed
from sp_reports.pipeline.notifications_processing import (
    InvalidNotificationError,
    NotificationOutcome,
    ReportNotificationProcessor,
    UnsupportedNotificationError,
    parse_report_processing_finished,
)
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

_OUTCOME_METRICS = {
    NotificationOutcome.STARTED: "ExecutionsStarted",
    NotificationOutcome.DUPLICATE_OF_RUNNING: "DuplicatesOfRunningExecutions",
    NotificationOutcome.DUPLICATE: "DuplicateNotifications",
    NotificationOutcome.FAILURE_REPORTED: "FailedExecutionsReported",
    NotificationOutcome.ALREADY_FINISHED: "DuplicateNotifications",
    NotificationOutcome.UNREQUESTED_SKIPPED: "UnrequestedReportsSkipped",
    NotificationOutcome.FOREIGN_APPLICATION: "ForeignApplicationNotifications",
    NotificationOutcome.SELLER_MISMATCH: "SellerMismatchesQuarantined",
}
_OUTCOME_LOGS = {
    NotificationOutcome.STARTED: "notification processed: execution started",
    NotificationOutcome.DUPLICATE_OF_RUNNING: "duplicate notification: the report's execution still runs",
    NotificationOutcome.DUPLICATE: "duplicate notification: the report's execution already ended",
    NotificationOutcome.FAILURE_REPORTED: (
        "the report's execution ended without success and recorded nothing: reporting the failure"
    ),
    NotificationOutcome.ALREADY_FINISHED: "duplicate notification: the report already has its outcome",
    NotificationOutcome.UNREQUESTED_SKIPPED: "notification processed: unrequested report left alone",
    NotificationOutcome.FOREIGN_APPLICATION: "notification of another SP-API application dropped",
    NotificationOutcome.SELLER_MISMATCH: (
        "seller mismatch: the notification names another selling partner than the report's; recorded failed"
    ),
}
_WARNINGS = frozenset(
    {
        NotificationOutcome.FAILURE_REPORTED,
        NotificationOutcome.FOREIGN_APPLICATION,
        NotificationOutcome.SELLER_MISMATCH,
    }
)


@tracer.capture_method
def process_message(record: SqsMessage) -> None:
    logger.remove_keys(["report_id", "seller_id", "notification_id"])  # keys of the batch's previous message
    logger.append_keys(message_id=record.message_id)
    try:
        authorization_change = parse_application_oauth_changed(record.body)
    except InvalidNotificationError as exc:
        logger.warning("malformed notification dropped", extra={"reason": str(exc)})
        metrics.add_metric(name="InvalidNotifications", unit=MetricUnit.Count, value=1)
        return
    if authorization_change is not None:
        _process_authorization_change(authorization_change)
        return
    try:
        notification = parse_report_processing_finished(record.body)
    except UnsupportedNotificationError as exc:
        logger.warning("notification of another type dropped", extra={"reason": str(exc)})
        metrics.add_metric(name="UnsupportedNotifications", unit=MetricUnit.Count, value=1)
        return
    except InvalidNotificationError as exc:
        logger.warning("malformed notification dropped", extra={"reason": str(exc)})
        metrics.add_metric(name="InvalidNotifications", unit=MetricUnit.Count, value=1)
        return
    logger.append_keys(
        report_id=notification.report_id,
        seller_id=notification.partner_id,
        notification_id=notification.notification_id,
    )
    try:
        result = notification_processor.process(notification)
    except Exception:
        # Back to the queue (partial batch failure); after maxReceiveCount attempts, the DLQ.
        logger.exception("notification processing failed; it will be retried")
        metrics.add_metric(name="NotificationFailures", unit=MetricUnit.Count, value=1)
        raise
    log = logger.warning if result.outcome in _WARNINGS else logger.info
    log(
        _OUTCOME_LOGS[result.outcome],
        extra={
            "outcome": result.outcome.value,
            "processing_status": notification.processing_status,
            "requested": result.requested,
            "execution_name": result.execution_name,
            "execution_status": result.execution_status,
            # Identifiers, not secrets: which application sent it, whom it names.
            "application_id": notification.application_id,
            "account_id": notification.account_id,
        },
    )
    metrics.add_metric(name=_OUTCOME_METRICS[result.outcome], unit=MetricUnit.Count, value=1)
    if result.seller_bound:
        logger.info("the seller's stored token is bound: Amazon named its seller as the report's owner")
        metrics.add_metric(name="TokensBound", unit=MetricUnit.Count, value=1)


def _process_authorization_change(change: ApplicationOAuthChanged) -> None:
    logger.append_keys(seller_id=change.seller_id, notification_id=change.notification_id)
    if application_id is not None and change.application_id != application_id:
        logger.warning(
            "notification of another SP-API application dropped",
            extra={"application_id": change.application_id, "change_type": change.change_type},
        )
        metrics.add_metric(name="ForeignApplicationNotifications", unit=MetricUnit.Count, value=1)
        return
    if not change.deauthorized:
        logger.info("seller authorised the application", extra={"change_type": change.change_type})
        metrics.add_metric(name="SellersAuthorized", unit=MetricUnit.Count, value=1)
        return
    # A failure raises: the message goes back to the queue and is retried (the erasure is idempotent).
    result = seller_erasure.revoke(change.seller_id)
    logger.warning(
        "seller deauthorised the application: its token and sweep state erased",
        extra={"erased": result.counts()},
    )
    metrics.add_metric(name="SellersDeauthorized", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return partial_batch_response(event, process_message)
