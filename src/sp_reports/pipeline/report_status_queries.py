"""GET /reports/{reportId} behind the door: a report's recorded status and, once stored in the reports
bucket, a fresh download link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sp_reports.pipeline.api_requests import ApiError, parse_report_id
from sp_reports.pipeline.download_links import DownloadLinks
from sp_reports.pipeline.report_records import ReportRecord, ReportRecords
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.pipeline.tenancy import TenantBoundary


def describe(record: ReportRecord) -> dict[str, Any]:
    """The answer's body for a report: what its record holds, the link aside."""
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


class ReportStatusQueries:
    def __init__(
        self,
        *,
        records: ReportRecords,
        reports_bucket: str,
        download_links: DownloadLinks,
        boundary: TenantBoundary,
        logger: StructuredLogger,
        metrics: MetricSink,
    ) -> None:
        self._records = records
        self._bucket = reports_bucket
        self._download_links = download_links
        self._boundary = boundary
        self._logger = logger
        self._metrics = metrics

    def answer(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """The API event's report described: (status, body) of the answer; ApiError 404 for an unknown one."""
        report_id = parse_report_id(event)
        self._logger.append_keys(report_id=report_id)
        record = self._records.get(report_id)
        if record is None:
            raise ApiError(404, "ReportNotFound", f"reportId: no report {report_id} is recorded")
        self._boundary.admit_record(event, report_id, record.seller_id)
        body = describe(record)
        if record.s3_key and record.s3_bucket == self._bucket:
            link = self._download_links.link(record.s3_bucket, record.s3_key)
            body["downloadUrl"] = link.url
            body["downloadUrlExpiresAt"] = link.expires_at_text
        self._logger.info("report described", extra={"status": record.status.value})
        self._metrics.add_metric(name="ReportStatusQueries", unit=COUNT, value=1)
        return 200, body
