"""Workflow task: tell people how a report ended, and record the final status.

A READY email names the report, where it is stored and the command that fetches it (`sp-reports reports get
<reportId>`, which signs its request as its caller and so passes the API's IAM and tenant checks), not a link:
whoever receives the topic's messages (an email list, any subscription the topic's protocols allow) would
otherwise hold a bearer credential for the document. With EMAIL_DOWNLOAD_LINKS (root email_download_links)
the email also carries a presigned link, signed here, inside the function, so the URL reaches only the email:
the task's output (and so the execution history) carries the status alone. This is also the Catch target of
every state: it records FAILED with the reason and says so.

An email subscription receives nothing until its owner confirms it (SNS deletes it unconfirmed after 48
hours), so publishing is not delivering: the topic's confirmed subscriptions are counted first, the record
says "published, no confirmed recipient" or "delivered to N", and only a delivery to somebody stops a later
run (a re-run of the execution) from sending the outcome again.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.handlers import _config
from sp_reports.handlers._lazy_client import LazyClient
from sp_reports.handlers._observability import observability
from sp_reports.pipeline.download_links import ROLE_CHAINING_MAX_SECONDS, DownloadLinks
from sp_reports.pipeline.notifications_processing import ReportContext
from sp_reports.pipeline.report_outcomes import (
    Outcome,
    ReportSummary,
    TopicSubscribers,
    compose_email,
    failure_reason_from_state,
    topic_subscribers,
)
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus

logger, tracer, metrics = observability()
# Presigned links in emails only where the deployment opted in (root email_download_links); only then is the
# function given the link signer and allowed to assume it.
email_download_links = _config.boolean("EMAIL_DOWNLOAD_LINKS", False)
config = _config.required(["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "NOTIFICATIONS_TOPIC_ARN"])
report_records = ReportRecords(config["REPORTS_TABLE_NAME"], boto3.client("dynamodb"))
sts = LazyClient("sts")  # only for a READY outcome's link: NO_DATA, FAILED, already delivered need none
download_links = (
    DownloadLinks(
        sts,
        _config.required(["DOWNLOAD_LINK_SIGNER_ROLE_ARN"])["DOWNLOAD_LINK_SIGNER_ROLE_ARN"],
        _config.positive_int("PRESIGNED_URL_TTL_SECONDS", 3600, maximum=ROLE_CHAINING_MAX_SECONDS),
    )
    if email_download_links
    else None
)
sns = boto3.client("sns")

_FINAL_STATUS = {
    Outcome.READY: ReportStatus.DONE,
    Outcome.NO_DATA: ReportStatus.CANCELLED,
    Outcome.FAILED: ReportStatus.FAILED,
}
_OUTCOME_METRICS = {
    Outcome.READY: "ReportsDelivered",
    Outcome.NO_DATA: "ReportsWithoutData",
    Outcome.FAILED: "ReportsFailed",
}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = Outcome(event["outcome"])
    state = event["report"]  # the execution's state: its input (the report's context) plus stored and error
    report = ReportContext.from_execution_input(state)
    logger.append_keys(report_id=report.report_id, seller_id=report.seller_id, outcome=outcome.value)
    # The one read of the record, and a needed one: the input is a snapshot from the execution's start, so
    # only the record can say whether an earlier run (a re-run, a failure report) already delivered this
    # outcome, and whether the report is recorded at all. It also has what the input does not carry: the
    # marketplaces and the data window the email names.
    record = report_records.get(report.report_id)
    if record is not None and record.is_terminal and record.notified_at:
        logger.info(
            "outcome already delivered to a confirmed subscriber; not sending it again",
            extra={"status": record.status.value},
        )
        metrics.add_metric(name="RepeatedOutcomesSuppressed", unit=MetricUnit.Count, value=1)
        return {"reportId": report.report_id, "status": record.status.value, "emailSent": False}

    summary = ReportSummary(
        report_id=report.report_id,
        report_type=report.report_type,
        seller_id=report.seller_id,
        marketplace_ids=record.marketplace_ids if record else (),
        data_start_time=record.data_start_time if record else None,
        data_end_time=record.data_end_time if record else None,
    )
    status = _FINAL_STATUS[outcome]
    stored = state.get("stored") if isinstance(state.get("stored"), dict) else {}
    failure_reason = failure_reason_from_state(state) if outcome is Outcome.FAILED else None
    download_url = url_expires_at = url_lifetime_seconds = None
    if outcome is Outcome.READY:
        if stored.get("bucket") != config["REPORTS_BUCKET_NAME"] or not stored.get("key"):
            raise ValueError("stored: the READY outcome needs the report's location in the reports bucket")
        if download_links is not None:
            link = download_links.link(stored["bucket"], stored["key"])
            download_url, url_expires_at = link.url, link.expires_at_text
            url_lifetime_seconds = link.lifetime_seconds
    email = compose_email(
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
    subscribers = _subscribers()
    recipients = subscribers.confirmed if subscribers else None
    sns.publish(TopicArn=config["NOTIFICATIONS_TOPIC_ARN"], Subject=email.subject, Message=email.body)
    if record is not None:
        report_records.mark_finished(
            report.report_id, status, failure_reason=failure_reason, notified=True, recipients=recipients
        )
    else:
        logger.warning("report is not recorded; its final status is only in this email")
    details = {"status": status.value, "failure_reason": failure_reason, "confirmed_recipients": recipients}
    if subscribers is None:
        logger.warning("outcome published; who received it is unknown", extra=details)
        metrics.add_metric(name="OutcomeRecipientsUnknown", unit=MetricUnit.Count, value=1)
    elif subscribers.confirmed == 0:
        logger.warning(
            "outcome published but no subscription is confirmed: nobody received it",
            extra={**details, "pending_subscriptions": subscribers.pending},
        )
        metrics.add_metric(name="OutcomesWithoutConfirmedRecipient", unit=MetricUnit.Count, value=1)
    else:
        logger.info("outcome emailed", extra=details)
    metrics.add_metric(name=_OUTCOME_METRICS[outcome], unit=MetricUnit.Count, value=1)
    return {
        "reportId": report.report_id,
        "status": status.value,
        "emailSent": True,  # published to the topic; confirmedRecipients says whether anybody could read it
        "confirmedRecipients": recipients,
    }


def _subscribers() -> TopicSubscribers | None:
    """The topic's confirmed and pending subscriptions; None when SNS cannot say (the outcome is still sent,
    but no delivery is recorded)."""
    try:
        return topic_subscribers(sns, config["NOTIFICATIONS_TOPIC_ARN"])
    except (ClientError, BotoCoreError) as exc:
        code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
        logger.warning("cannot list the topic's subscriptions", extra={"error_code": code})
        return None
