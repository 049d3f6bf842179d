"""GET /reports/{reportId}: where is my report? Its recorded status and, once stored, a fresh download
link."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._lazy_client import LazyClient
from sp_reports.handlers._observability import observability
from sp_reports.pipeline.download_links import ROLE_CHAINING_MAX_SECONDS, DownloadLinks
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_status_queries import ReportStatusQueries

logger, tracer, metrics = observability()
config = _config.required(["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "DOWNLOAD_LINK_SIGNER_ROLE_ARN"])
url_ttl_seconds = _config.positive_int("PRESIGNED_URL_TTL_SECONDS", 3600, maximum=ROLE_CHAINING_MAX_SECONDS)
dynamodb = boto3.client("dynamodb")
report_records = ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb)
boundary = tenant_boundary(dynamodb)
sts = LazyClient("sts")  # only for a stored report's link: a pending, failed or unknown report needs none
download_links = DownloadLinks(sts, config["DOWNLOAD_LINK_SIGNER_ROLE_ARN"], url_ttl_seconds)


queries = ReportStatusQueries(
    records=report_records,
    reports_bucket=config["REPORTS_BUCKET_NAME"],
    download_links=download_links,
    boundary=boundary,
    logger=logger,
    metrics=metrics,
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    return queries.answer(event)
