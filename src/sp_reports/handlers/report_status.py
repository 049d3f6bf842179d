"""GET /reports/{reportId}: where is my report? Its recorded status and, once stored, a fresh download
link."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._lazy_client import LazyClient
from sp_reports.handlers._observability import observability
from sp_reports.pipeline.api_requests import ApiError, parse_report_id
from sp_reports.pipeline.download_links import ROLE_CHAINING_MAX_SECONDS, DownloadLinks
from sp_reports.pipeline.report_records import ReportRecord, ReportRecords

logger, tracer, metrics = observability()
config = _config.required(["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "DOWNLOAD_LINK_SIGNER_ROLE_ARN"])
url_ttl_seconds = _config.positive_int("PRESIGNED_URL_TTL_SECONDS", 3600, maximum=ROLE_CHAINING_MAX_SECONDS)
dynamodb = boto3.client("dynamodb")
report_records = ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb)
boundary = tenant_boundary(dynamodb)
sts = LazyClient("sts")  # only for a stored report's link: a pending, failed or unknown report needs none
download_links = DownloadLinks(sts, config["DOWNLOAD_LINK_SIGNER_ROLE_ARN"], url_ttl_seconds)


def describe(record: ReportRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reportId": record.report_id,
        "sellerId": record.seller_id,
        "regionCode": record.region_code,
        "reportType": record.report_type,
        "marketplaceIds": list(record.marketplace_ids),
        "status": record.status.value,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }
    if record.data_start_time:
        body["dataStartTime"] = record.data_start_time
    if record.data_end_time:
        body["dataEndTime"] = record.data_end_time
    if record.failure_reason:
        body["failureReason"] = record.failure_reason
    if record.s3_bucket and record.s3_key:
        body["s3"] = {"bucket": record.s3_bucket, "key": record.s3_key, "size": record.object_size}
    if record.charset is not None:
        body["charset"] = record.charset.describe()
    return body


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    report_id = parse_report_id(event)
    logger.append_keys(report_id=report_id)
    record = report_records.get(report_id)
    if record is None:
        raise ApiError(404, "ReportNotFound", f"reportId: no report {report_id} is recorded")
    boundary.admit_record(event, report_id, record.seller_id)
    body = describe(record)
    if record.s3_key and record.s3_bucket == config["REPORTS_BUCKET_NAME"]:
        link = download_links.link(record.s3_bucket, record.s3_key)
        body["downloadUrl"] = link.url
        body["downloadUrlExpiresAt"] = link.expires_at_text
    logger.info("report described", extra={"status": record.status.value})
    metrics.add_metric(name="ReportStatusQueries", unit=MetricUnit.Count, value=1)
    return 200, body
