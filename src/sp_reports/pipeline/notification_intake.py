"""One SP-API notification from the queue, taken in: parsed, checked, acted on, logged and counted.

REPORT_PROCESSING_FINISHED goes to the notifications processor (sp_reports.pipeline.notifications_processing),
which starts the report's workflow once; APPLICATION_OAUTH_CHANGED of our application that deauthorises a
seller erases its token and sweep state (sp_reports.pipeline.authorization_changes, seller_erasure `revoke`).
A malformed message, another notification type or another application's notification would fail the same way
forever: it is logged (its path and reason, never the body) and counted, then dropped. A failure worth
retrying (DynamoDB, Step Functions) is logged, counted and raised, so that the message goes back to the queue.
"""

from __future__ import annotations

from sp_reports.pipeline.authorization_changes import ApplicationOAuthChanged, parse_application_oauth_changed
from sp_reports.pipeline.notifications_processing import (
    InvalidNotificationError,
    NotificationOutcome,
    ReportNotificationProcessor,
    UnsupportedNotificationError,
    parse_report_processing_finished,
)
from sp_reports.pipeline.seller_erasure import SellerErasure
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger

OUTCOME_METRICS = {
    NotificationOutcome.STARTED: "ExecutionsStarted",
    NotificationOutcome.DUPLICATE_OF_RUNNING: "DuplicatesOfRunningExecutions",
    NotificationOutcome.DUPLICATE: "DuplicateNotifications",
    NotificationOutcome.FAILURE_REPORTED: "FailedExecutionsReported",
    NotificationOutcome.ALREADY_FINISHED: "DuplicateNotifications",
    NotificationOutcome.UNREQUESTED_SKIPPED: "UnrequestedReportsSkipped",
    NotificationOutcome.FOREIGN_APPLICATION: "ForeignApplicationNotifications",
    NotificationOutcome.SELLER_MISMATCH: "SellerMismatchesQuarantined",
}
OUTCOME_LOGS = {
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


class NotificationIntake:
    def __init__(
        self,
        *,
        processor: ReportNotificationProcessor,
        seller_erasure: SellerErasure,
        application_id: str | None,
        logger: StructuredLogger,
        metrics: MetricSink,
    ) -> None:
        self._processor = processor
        self._seller_erasure = seller_erasure
        # Our SP-API application's id: notifications of any other are dropped (None: all are accepted).
        self._application_id = application_id
        self._logger = logger
        self._metrics = metrics

    def take(self, message_id: str, body: str) -> None:
        """Act on one queue message; raises only for a failure worth retrying."""
        # The keys of the batch's previous message go; this one's id stays on every line of it.
        self._logger.remove_keys(["report_id", "seller_id", "notification_id"])
        self._logger.append_keys(message_id=message_id)
        try:
            authorization_change = parse_application_oauth_changed(body)
        except InvalidNotificationError as exc:
            self._drop("malformed notification dropped", "InvalidNotifications", exc)
            return
        if authorization_change is not None:
            self._take_authorization_change(authorization_change)
            return
        try:
            notification = parse_report_processing_finished(body)
        except UnsupportedNotificationError as exc:
            self._drop("notification of another type dropped", "UnsupportedNotifications", exc)
            return
        except InvalidNotificationError as exc:
            self._drop("malformed notification dropped", "InvalidNotifications", exc)
            return
        self._logger.append_keys(
            report_id=notification.report_id,
            seller_id=notification.partner_id,
            notification_id=notification.notification_id,
        )
        try:
            result = self._processor.process(notification)
        except Exception:
            # Back to the queue (partial batch failure); after maxReceiveCount attempts, the DLQ.
            self._logger.exception("notification processing failed; it will be retried")
            self._metrics.add_metric(name="NotificationFailures", unit=COUNT, value=1)
            raise
        log = self._logger.warning if result.outcome in _WARNINGS else self._logger.info
        log(
            OUTCOME_LOGS[result.outcome],
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
        self._metrics.add_metric(name=OUTCOME_METRICS[result.outcome], unit=COUNT, value=1)
        if result.seller_bound:
            self._logger.info(
                "the seller's stored token is bound: Amazon named its seller as the report's owner"
            )
            self._metrics.add_metric(name="TokensBound", unit=COUNT, value=1)

    def _drop(self, message: str, metric: str, reason: Exception) -> None:
        self._logger.warning(message, extra={"reason": str(reason)})
        self._metrics.add_metric(name=metric, unit=COUNT, value=1)

    def _take_authorization_change(self, change: ApplicationOAuthChanged) -> None:
        self._logger.append_keys(seller_id=change.seller_id, notification_id=change.notification_id)
        if self._application_id is not None and change.application_id != self._application_id:
            self._logger.warning(
                "notification of another SP-API application dropped",
                extra={"application_id": change.application_id, "change_type": change.change_type},
            )
            self._metrics.add_metric(name="ForeignApplicationNotifications", unit=COUNT, value=1)
            return
        if not change.deauthorized:
            self._logger.info("seller authorised the application", extra={"change_type": change.change_type})
            self._metrics.add_metric(name="SellersAuthorized", unit=COUNT, value=1)
            return
        # A failure raises: the message goes back to the queue and is retried (the erasure is idempotent).
        result = self._seller_erasure.revoke(change.seller_id)
        self._logger.warning(
            "seller deauthorised the application: its token and sweep state erased",
            extra={"erased": result.counts()},
        )
        self._metrics.add_metric(name="SellersDeauthorized", unit=COUNT, value=1)
