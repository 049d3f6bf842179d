"""The report workflow's storing task: fetch a report's document from SP-API and stream it into S3.

The task's input is the execution's input (`ReportContext`, settled by the notifications processor), its
output the S3 location alone: `{"bucket", "key", "size", "alreadyStored", "errorDocument"[,
"failureReason"]}`; the document URL never leaves the SP-API client. DONE reports store the report itself;
FATAL reports store SP-API's error document beside it and hand its reason on, read from the document's first
bytes as they stream past. The key is deterministic and an existing object is left alone (no SP-API call at
all), so a re-run rewrites nothing. A DONE report requested for a pull plan's window (the context's
`pull_window`) is then also placed at the window's key and named by the window's manifest
(sp_reports.pipeline.pull_window_objects; the output gains `"windowKey"`), again idempotently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sp_reports.pipeline.document_charsets import DocumentForStorage, StoredCharset
from sp_reports.pipeline.notifications_processing import ReportContext
from sp_reports.pipeline.pull_window_objects import WindowObjects, WindowPlacement
from sp_reports.pipeline.report_outcomes import failure_reason_from_error_document
from sp_reports.pipeline.report_records import PullWindowRef, ReportNotRecordedError, ReportRecords
from sp_reports.pipeline.report_storage import (
    StoredObject,
    content_type_for_key,
    data_class_tags,
    error_document_key,
    is_text_media_type,
    report_key,
    report_media_type,
    store_report_document,
)
from sp_reports.pipeline.telemetry import BYTES, COUNT, MetricSink, StructuredLogger
from sp_reports.spapi.documents import iter_report_document
from sp_reports.spapi.report_types import report_type
from sp_reports.spapi.reports import ReportsClient, find_report_region

ERROR_DOCUMENT_READ_LIMIT = 64 * 1024


class ReportDocumentMissingError(Exception):
    """SP-API said DONE but named no document to fetch, or no region knows the report."""


@dataclass(frozen=True)
class DocumentUploads:
    """Where and how documents are written: the reports bucket, its KMS key, the multipart part size, the
    largest document the function can store within its timeout, and whether text is transcoded to UTF-8."""

    bucket: str
    kms_key_id: str
    part_size: int
    max_document_bytes: int
    transcode_to_utf8: bool = False


class ReportDocumentStorer:
    def __init__(
        self,
        *,
        s3_client: Any,
        uploads: DocumentUploads,
        records: ReportRecords,
        reports_for: Callable[[str, str], ReportsClient],
        logger: StructuredLogger,
        metrics: MetricSink,
    ) -> None:
        self._s3 = s3_client
        self._uploads = uploads
        self._records = records
        self._reports_for = reports_for  # (seller_id, region_code) -> the seller's Reports client there
        self._logger = logger
        self._metrics = metrics
        self._windows = WindowObjects(s3_client, bucket=uploads.bucket, kms_key_id=uploads.kms_key_id)

    def store(self, execution_input: Mapping[str, Any]) -> dict[str, Any]:
        """Store the report's document (or find it stored), record where; the task's output."""
        report = ReportContext.from_execution_input(execution_input)
        self._logger.append_keys(
            report_id=report.report_id,
            seller_id=report.seller_id,
            processing_status=report.processing_status,
            report_document_id=report.report_document_id,
        )
        if not report.report_document_id:
            raise ReportDocumentMissingError(
                f"report {report.report_id} ({report.processing_status}) names no reportDocumentId"
            )
        is_error_document = report.processing_status == "FATAL"
        error_document_head = bytearray()  # what the failure reason is read from, kept while streaming
        key = (error_document_key if is_error_document else report_key)(
            report.seller_id, report.report_type, report.report_id
        )
        # SP-API writes error documents as JSON; a report's media type comes from the report-type catalogue.
        media_type = content_type_for_key(key) if is_error_document else report_media_type(report.report_type)
        document = DocumentForStorage(
            lambda: iter_report_document(
                self._document_reports_client(report), report.report_document_id or ""
            ),
            report.marketplace_ids,
            transcode=self._uploads.transcode_to_utf8,
            text=is_text_media_type(media_type),
        )
        stored = store_report_document(
            _kept_head(document, error_document_head if is_error_document else None),
            self._s3,
            self._uploads.bucket,
            key,
            {
                "report-id": report.report_id,
                "report-type": report.report_type,
                "seller-id": report.seller_id,
                "report-document-id": report.report_document_id,
                "processing-status": report.processing_status or "",
            },
            self._uploads.part_size,
            kms_key_id=self._uploads.kms_key_id,
            late_headers=lambda: (document.charset.content_type(media_type), document.charset.metadata()),
            max_bytes=self._uploads.max_document_bytes,
            served_bytes=lambda: document.served_bytes,
            # The bucket's lifecycle expires restricted (PII) documents sooner, by this tag.
            tags=data_class_tags(report.report_type),
        )
        charset = (
            StoredCharset.from_object(stored.content_type, stored.metadata)
            if stored.already_existed
            else document.charset
        )
        self._record_stored(report, stored, charset)
        output: dict[str, Any] = {
            "bucket": stored.bucket,
            "key": stored.key,
            "size": stored.size,
            "alreadyStored": stored.already_existed,
            "errorDocument": is_error_document,
        }
        if is_error_document:
            output["failureReason"] = self._failure_reason(stored, bytes(error_document_head))
        elif report.pull_window is not None:
            output["windowKey"] = self._place_in_window(report, report.pull_window, stored)
        return output

    def _place_in_window(self, report: ReportContext, window: PullWindowRef, stored: StoredObject) -> str:
        """Copy a plan window's report to the window's key and update its manifest; the window key."""
        placement = WindowPlacement.of(
            plan_id=window.plan_id,
            seller_id=report.seller_id,
            report_type=report.report_type,
            report_id=report.report_id,
            window_key=window.window_key,
            version=window.version,
        )
        placed = self._windows.place(placement, stored.key)
        self._logger.info(
            "report placed in its plan window",
            extra={
                "plan_id": window.plan_id,
                "window_key": window.window_key,
                "window_version": window.version,
                "s3_window_key": placed.key,
                "manifest_current_version": placed.current_version,
            },
        )
        if not placed.current:
            self._metrics.add_metric(name="WindowVersionsSuperseded", unit=COUNT, value=1)
        return placed.key

    def _document_reports_client(self, report: ReportContext) -> ReportsClient:
        """The client that fetches this report's document: a restricted type's getReportDocument needs a
        Restricted Data Token for the document's path (docs/spapi-notes.md#restricted-data-tokens)."""
        reports = self._reports_client(report)
        rules = report_type(report.report_type)
        return reports.with_restricted_documents() if rules is not None and rules.restricted else reports

    def _reports_client(self, report: ReportContext) -> ReportsClient:
        """The Reports client of the report's region. A report nobody requested has no recorded region: the
        one whose SP-API knows it is found (sp_reports.spapi.reports.find_report_region)."""
        if report.region_code:
            return self._reports_for(report.seller_id, report.region_code)
        found = find_report_region(
            report.report_id, lambda region_code: self._reports_for(report.seller_id, region_code)
        )
        if found is None:
            raise ReportDocumentMissingError(
                f"report {report.report_id} is unknown to SP-API in every region"
            )
        region_code, reports = found
        self._logger.info("region found for unrequested report", extra={"region_code": region_code})
        return reports

    def _record_stored(self, report: ReportContext, stored: StoredObject, charset: StoredCharset) -> None:
        """Record where the document is and its charset (a report started by hand may have no record), log
        and count it."""
        try:
            self._records.mark_stored(
                report.report_id,
                bucket=stored.bucket,
                key=stored.key,
                size=stored.size,
                report_document_id=report.report_document_id,
                charset=charset,
            )
        except ReportNotRecordedError:
            self._logger.warning("report is not recorded; its location is only in the workflow's state")
        self._logger.info(
            "document stored" if not stored.already_existed else "document already stored",
            extra={
                "s3_key": stored.key,
                "size": stored.size,
                "error_document": report.processing_status == "FATAL",
                "charset": charset.describe(),
            },
        )
        self._metrics.add_metric(
            name="DocumentsAlreadyStored" if stored.already_existed else "DocumentsStored",
            unit=COUNT,
            value=1,
        )
        if not stored.already_existed:
            self._metrics.add_metric(name="StoredBytes", unit=BYTES, value=stored.size)

    def _failure_reason(self, stored: StoredObject, error_document_head: bytes) -> str:
        """Why SP-API could not produce the report, from the error document's first bytes: those kept while
        streaming it, or, when an earlier run had already stored it (nothing was streamed now), read from
        S3."""
        if stored.size == 0:
            return "SP-API's error document is empty"
        if stored.already_existed:
            error_document_head = self._s3.get_object(
                Bucket=stored.bucket, Key=stored.key, Range=f"bytes=0-{ERROR_DOCUMENT_READ_LIMIT - 1}"
            )["Body"].read()
        return failure_reason_from_error_document(error_document_head)


def _kept_head(document: DocumentForStorage, error_document_head: bytearray | None) -> Iterator[bytes]:
    """The document's chunks as stored. Runs only when the object is not stored yet: a stored report costs
    no SP-API call. Keeps the first ERROR_DOCUMENT_READ_LIMIT bytes in `error_document_head` when given one,
    so that a FATAL report's reason needs no read of what was just written."""
    for chunk in document:
        if error_document_head is not None and len(error_document_head) < ERROR_DOCUMENT_READ_LIMIT:
            error_document_head.extend(chunk[: ERROR_DOCUMENT_READ_LIMIT - len(error_document_head)])
        yield chunk
