"""The report workflow's last task: tell people how a report ended, and record its final status.

The task's input is `{"outcome": READY|NO_DATA|FAILED, "report": <the execution's state>}`, its output
`{"reportId", "status", "emailSent"[, "confirmedRecipients"]}`: the status alone, never the document's link,
which reaches only the email (and only with `download_links`, the deployment's email_download_links).
Publishing is not delivering: the topic's confirmed subscriptions are counted first, and only a delivery to
somebody stops a later run (a re-run of the execution) from sending the outcome again.
A report requested for a pull plan's window (its record's `pull_window`) also settles the window's ledger
entry (sp_reports.pipeline.pull_window_outcomes), before the email and on a re-run too: settling is
idempotent, and a run that stopped between the two must not leave the window unsettled. Such a report is
emailed only when it failed: a stored or empty window shows in the plan's coverage and manifest, and a
fleet's plans make thousands of window reports a day, too many emails for anybody to read.
A READY report whose conversion failed after its retries (ConvertReport's Catch) has that failure recorded
here, as the record's Conversion (FAILED and the error's name: sp_reports.pipeline.conversion_failures), and
counted (ConversionFailed), before anything else: the raw file is delivered all the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.pipeline.conversion_failures import CONVERSION_FAILED_METRIC, conversion_failure
from sp_reports.pipeline.download_links import DownloadLinks
from sp_reports.pipeline.notifications_processing import ReportContext
from sp_reports.pipeline.report_outcomes import (
    Email,
    Outcome,
    ReportSummary,
    TopicSubscribers,
    compose_email,
    failure_reason_from_state,
    topic_subscribers,
)
from sp_reports.pipeline.report_records import (
    PullWindowRef,
    ReportNotRecordedError,
    ReportRecord,
    ReportRecords,
    ReportStatus,
)
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger

if TYPE_CHECKING:
    from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes

FINAL_STATUS = {
    Outcome.READY: ReportStatus.DONE,
    Outcome.NO_DATA: ReportStatus.CANCELLED,
    Outcome.FAILED: ReportStatus.FAILED,
}
OUTCOME_METRICS = {
    Outcome.READY: "ReportsDelivered",
    Outcome.NO_DATA: "ReportsWithoutData",
    Outcome.FAILED: "ReportsFailed",
}


class ReportOutcomeDelivery:
    def __init__(
        self,
        *,
        records: ReportRecords,
        sns_client: Any,
        topic_arn: str,
        reports_bucket: str,
        download_links: DownloadLinks | None,
        logger: StructuredLogger,
        metrics: MetricSink,
        pull_outcomes: PullWindowOutcomes | None = None,
    ) -> None:
        self._records = records
        self._pull_outcomes = pull_outcomes
        self._sns = sns_client
        self._topic_arn = topic_arn
        self._bucket = reports_bucket
        self._download_links = download_links
        self._logger = logger
        self._metrics = metrics

    def deliver(self, task_input: Mapping[str, Any]) -> dict[str, Any]:
        """Email the outcome to the topic and record the report's final status; the task's output."""
        outcome = Outcome(task_input["outcome"])
        state = task_input["report"]  # the execution's state: its input (the report's context), stored, error
        report = ReportContext.from_execution_input(state)
        self._logger.append_keys(
            report_id=report.report_id, seller_id=report.seller_id, outcome=outcome.value
        )
        # The one read of the record, and a needed one: the input is a snapshot from the execution's start, so
        # only the record can say whether an earlier run (a re-run, a failure report) already delivered this
        # outcome, and whether the report is recorded at all. It also has what the input does not carry: the
        # marketplaces and the data window the email names.
        record = self._records.get(report.report_id)
        stored = state.get("stored") if isinstance(state.get("stored"), dict) else {}
        if outcome is Outcome.READY:
            self._record_conversion_failure(report, record, state)
        if record is not None and record.is_terminal and record.notified_at:
            self._settle_window(report, record, record.status, stored, record.failure_reason)
            self._logger.info(
                "outcome already delivered to a confirmed subscriber; not sending it again",
                extra={"status": record.status.value},
            )
            self._metrics.add_metric(name="RepeatedOutcomesSuppressed", unit=COUNT, value=1)
            return {"reportId": report.report_id, "status": record.status.value, "emailSent": False}

        status = FINAL_STATUS[outcome]
        failure_reason = failure_reason_from_state(state) if outcome is Outcome.FAILED else None
        self._settle_window(report, record, status, stored, failure_reason)
        if outcome is not Outcome.FAILED and self._window_of(report, record) is not None:
            if record is not None:
                self._records.mark_finished(report.report_id, status, notified=False)
            self._logger.info(
                "plan window's report settled; only failures are emailed", extra={"status": status.value}
            )
            self._metrics.add_metric(name=OUTCOME_METRICS[outcome], unit=COUNT, value=1)
            return {"reportId": report.report_id, "status": status.value, "emailSent": False}
        email = self._email(outcome, report, record, status, stored, failure_reason)
        subscribers = self._subscribers()
        recipients = subscribers.confirmed if subscribers else None
        self._sns.publish(TopicArn=self._topic_arn, Subject=email.subject, Message=email.body)
        if record is not None:
            self._records.mark_finished(
                report.report_id, status, failure_reason=failure_reason, notified=True, recipients=recipients
            )
        else:
            self._logger.warning("report is not recorded; its final status is only in this email")
        self._log_delivery(subscribers, status, failure_reason)
        self._metrics.add_metric(name=OUTCOME_METRICS[outcome], unit=COUNT, value=1)
        return {
            "reportId": report.report_id,
            "status": status.value,
            # Published to the topic; confirmedRecipients says whether anybody could read it.
            "emailSent": True,
            "confirmedRecipients": recipients,
        }

    def _record_conversion_failure(
        self, report: ReportContext, record: ReportRecord | None, state: Mapping[str, Any]
    ) -> None:
        """Record and count a conversion that failed after its retries (module docstring)."""
        failure = conversion_failure(state)
        if failure is None:
            return
        self._metrics.add_metric(name=CONVERSION_FAILED_METRIC, unit=COUNT, value=1)
        self._logger.warning(
            "report conversion failed; the raw report is delivered",
            extra={"conversion_error": failure["error"]},
        )
        if record is None:
            return
        try:
            self._records.mark_converted(report.report_id, failure)
        except ReportNotRecordedError:
            self._logger.warning("report record went away; its conversion failure is only in this log")

    def _settle_window(
        self,
        report: ReportContext,
        record: ReportRecord | None,
        status: ReportStatus,
        stored: Mapping[str, Any],
        failure_reason: str | None,
    ) -> None:
        """Settle the plan window's ledger entry of a report requested for one (the record's window, else the
        execution input's)."""
        window = self._window_of(report, record)
        if window is None or self._pull_outcomes is None:
            return
        self._pull_outcomes.settle(
            report.report_id,
            report.report_type,
            window,
            status,
            s3_key=stored.get("windowKey"),
            reason=failure_reason,
        )

    @staticmethod
    def _window_of(report: ReportContext, record: ReportRecord | None) -> PullWindowRef | None:
        return (record.pull_window if record is not None else None) or report.pull_window

    def _email(
        self,
        outcome: Outcome,
        report: ReportContext,
        record: ReportRecord | None,
        status: ReportStatus,
        stored: Mapping[str, Any],
        failure_reason: str | None,
    ) -> Email:
        summary = ReportSummary(
            report_id=report.report_id,
            report_type=report.report_type,
            seller_id=report.seller_id,
            marketplace_ids=record.marketplace_ids if record else (),
            data_start_time=record.data_start_time if record else None,
            data_end_time=record.data_end_time if record else None,
        )
        download_url = url_expires_at = url_lifetime_seconds = None
        if outcome is Outcome.READY:
            if stored.get("bucket") != self._bucket or not stored.get("key"):
                raise ValueError(
                    "stored: the READY outcome needs the report's location in the reports bucket"
                )
            if self._download_links is not None:
                link = self._download_links.link(stored["bucket"], stored["key"])
                download_url, url_expires_at = link.url, link.expires_at_text
                url_lifetime_seconds = link.lifetime_seconds
        return compose_email(
            outcome,
            summary,
            status=status.value,
            bucket=stored.get("bucket"),
            key=stored.get("key"),
            size=stored.get("size"),
            download_url=download_url,
            url_expires_at=url_expires_at,
            url_ttl_seconds=url_lifetime_seconds,
            failure_reason=failure_reason,
        )

    def _subscribers(self) -> TopicSubscribers | None:
        """The topic's confirmed and pending subscriptions; None when SNS cannot say (the outcome is still
        sent, but no delivery is recorded)."""
        try:
            return topic_subscribers(self._sns, self._topic_arn)
        except (ClientError, BotoCoreError) as exc:
            code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
            self._logger.warning("cannot list the topic's subscriptions", extra={"error_code": code})
            return None

    def _log_delivery(
        self, subscribers: TopicSubscribers | None, status: ReportStatus, failure_reason: str | None
    ) -> None:
        recipients = subscribers.confirmed if subscribers else None
        details = {
            "status": status.value,
            "failure_reason": failure_reason,
            "confirmed_recipients": recipients,
        }
        if subscribers is None:
            self._logger.warning("outcome published; who received it is unknown", extra=details)
            self._metrics.add_metric(name="OutcomeRecipientsUnknown", unit=COUNT, value=1)
        elif subscribers.confirmed == 0:
            self._logger.warning(
                "outcome published but no subscription is confirmed: nobody received it",
                extra={**details, "pending_subscriptions": subscribers.pending},
            )
            self._metrics.add_metric(name="OutcomesWithoutConfirmedRecipient", unit=COUNT, value=1)
        else:
            self._logger.info("outcome emailed", extra=details)
