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
A report requested for a pull plan's window also settles the window's ledger entry in PULL_PLANS_TABLE_NAME
(STORED, NO_DATA, FAILED with a retry time, PARKED after three failures: sp_reports.pipeline.
pull_window_outcomes); a deployment without the table settles nothing.
"""

from __future__ import annotations

import os
from typing import Any

import boto3

from sp_reports.handlers import _config
from sp_reports.handlers._lazy_client import LazyClient
from sp_reports.handlers._observability import observability
from sp_reports.pipeline.download_links import ROLE_CHAINING_MAX_SECONDS, DownloadLinks
from sp_reports.pipeline.report_outcome_delivery import ReportOutcomeDelivery
from sp_reports.pipeline.report_records import ReportRecords

logger, tracer, metrics = observability()


def _pull_outcomes(table_name: str) -> Any:
    """The plan windows' ledger, imported only where the deployment has one."""
    from sp_reports.pipeline.pull_ledger import PullStore
    from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes

    return PullWindowOutcomes(PullStore(table_name, dynamodb), logger=logger, metrics=metrics)


# Presigned links in emails only where the deployment opted in (root email_download_links); only then is the
# function given the link signer and allowed to assume it.
email_download_links = _config.boolean("EMAIL_DOWNLOAD_LINKS", False)
config = _config.required(["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "NOTIFICATIONS_TOPIC_ARN"])
dynamodb = boto3.client("dynamodb")
report_records = ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb)
pull_plans_table = os.environ.get("PULL_PLANS_TABLE_NAME", "").strip()
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
delivery = ReportOutcomeDelivery(
    records=report_records,
    sns_client=sns,
    topic_arn=config["NOTIFICATIONS_TOPIC_ARN"],
    reports_bucket=config["REPORTS_BUCKET_NAME"],
    download_links=download_links,
    logger=logger,
    metrics=metrics,
    pull_outcomes=_pull_outcomes(pull_plans_table) if pull_plans_table else None,
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return delivery.deliver(event)
