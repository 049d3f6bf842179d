"""Workflow task: fetch a report's document from SP-API and stream it into S3.

DONE reports store the report itself; FATAL reports store SP-API's error document beside it and hand its
reason on, read from the document's first bytes as they stream past. Whose report and which region come
from the execution input (`ReportContext`, settled by the processor): the record is not read again. The S3
key is deterministic and an existing object is left alone (no SP-API call at all), so a re-run rewrites
nothing. The output holds the S3 location only: the document URL never leaves this function.
The document's charset (from its download's Content-Type, else its marketplaces' documented default) is
named on the object and recorded; TRANSCODE_REPORTS_TO_UTF8 stores it as UTF-8 (document_charsets).
A document larger than MAX_DOCUMENT_BYTES, what the function can store within its timeout, is refused with
ReportDocumentTooLargeError: by its download's Content-Length before anything is stored, else when the
stream passes the limit. The workflow does not retry it; the failure path records and emails its reason.
A restricted report type's document is fetched with a Restricted Data Token made for its exact path
(sp_reports.spapi.tokens), which never leaves the SP-API client either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.document_charsets import DocumentForStorage, StoredCharset
from sp_reports.pipeline.notifications_processing import ReportContext
from sp_reports.pipeline.report_outcomes import failure_reason_from_error_document
from sp_reports.pipeline.report_records import ReportNotRecordedError, ReportRecords
from sp_reports.pipeline.report_storage import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_PART_SIZE,
    MIN_PART_SIZE,
    StoredObject,
    content_type_for_key,
    data_class_tags,
    error_document_key,
    is_text_media_type,
    report_key,
    report_media_type,
    store_report_document,
)
from sp_reports.pipeline.token_store import TokenStore
from sp_reports.spapi.documents import iter_report_document
from sp_reports.spapi.errors import ConfigurationError
from sp_reports.spapi.report_types import report_type
from sp_reports.spapi.reports import ReportsClient, find_report_region

ERROR_DOCUMENT_READ_LIMIT = 64 * 1024

logger, tracer, metrics = observability()
config = _config.required(
    [
        "TOKENS_TABLE_NAME",
        "REPORTS_TABLE_NAME",
        "LWA_CREDENTIALS_SECRET_ARN",
        "REPORTS_BUCKET_NAME",
        "REPORTS_KMS_KEY_ID",
    ]
)
part_size = (
    _config.positive_int("REPORT_UPLOAD_PART_SIZE_MIB", DEFAULT_PART_SIZE // 1024 // 1024, maximum=512)
    * 1024
    * 1024
)
transcode_to_utf8 = _config.boolean("TRANSCODE_REPORTS_TO_UTF8", default=False)
# The most this function can store within its timeout (sp_reports.pipeline.report_storage): a larger document
# fails once, ReportDocumentTooLargeError, instead of timing out on every attempt.
max_document_bytes = _config.positive_int("MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES)
dynamodb = boto3.client("dynamodb")
s3 = boto3.client("s3")
report_records = ReportRecords(config["REPORTS_TABLE_NAME"], dynamodb)
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=TokenStore(config["TOKENS_TABLE_NAME"], "", dynamodb, boto3.client("kms")),
)
if part_size < MIN_PART_SIZE:
    raise ConfigurationError("REPORT_UPLOAD_PART_SIZE_MIB must be at least 5 (S3's minimum part size)")


class ReportDocumentMissingError(Exception):
    """SP-API said DONE but named no document to fetch, or no region knows the report."""


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = ReportContext.from_execution_input(event)
    logger.append_keys(
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
        lambda: iter_report_document(_document_reports_client(report), report.report_document_id or ""),
        report.marketplace_ids,
        transcode=transcode_to_utf8,
        text=is_text_media_type(media_type),
    )
    stored = store_report_document(
        _kept_head(document, error_document_head if is_error_document else None),
        s3,
        config["REPORTS_BUCKET_NAME"],
        key,
        {
            "report-id": report.report_id,
            "report-type": report.report_type,
            "seller-id": report.seller_id,
            "report-document-id": report.report_document_id,
            "processing-status": report.processing_status or "",
        },
        part_size,
        kms_key_id=config["REPORTS_KMS_KEY_ID"],
        late_headers=lambda: (document.charset.content_type(media_type), document.charset.metadata()),
        max_bytes=max_document_bytes,
        served_bytes=lambda: document.served_bytes,
        # The bucket's lifecycle expires restricted (PII) documents sooner, by this tag.
        tags=data_class_tags(report.report_type),
    )
    charset = (
        StoredCharset.from_object(stored.content_type, stored.metadata)
        if stored.already_existed
        else document.charset
    )
    _record_stored(report, stored, charset)
    output: dict[str, Any] = {
        "bucket": stored.bucket,
        "key": stored.key,
        "size": stored.size,
        "alreadyStored": stored.already_existed,
        "errorDocument": is_error_document,
    }
    if is_error_document:
        output["failureReason"] = _failure_reason(stored, bytes(error_document_head))
    return output


def _kept_head(document: DocumentForStorage, error_document_head: bytearray | None) -> Iterator[bytes]:
    """The document's chunks as stored. Runs only when the object is not stored yet: a stored report costs
    no SP-API call. Keeps the first ERROR_DOCUMENT_READ_LIMIT bytes in `error_document_head` when given one,
    so that a FATAL report's reason needs no read of what was just written."""
    for chunk in document:
        if error_document_head is not None and len(error_document_head) < ERROR_DOCUMENT_READ_LIMIT:
            error_document_head.extend(chunk[: ERROR_DOCUMENT_READ_LIMIT - len(error_document_head)])
        yield chunk


def _document_reports_client(report: ReportContext) -> ReportsClient:
    """The client that fetches this report's document: a restricted type's getReportDocument needs a
    Restricted Data Token for the document's path (docs/spapi-notes.md#restricted-data-tokens)."""
    reports = _reports_client(report)
    rules = report_type(report.report_type)
    return reports.with_restricted_documents() if rules is not None and rules.restricted else reports


def _reports_client(report: ReportContext) -> ReportsClient:
    """The Reports client of the report's region. A report nobody requested has no recorded region: the one
    whose SP-API knows it is found (sp_reports.spapi.reports.find_report_region)."""
    if report.region_code:
        return spapi_clients.reports(report.seller_id, report.region_code)
    found = find_report_region(
        report.report_id, lambda region_code: spapi_clients.reports(report.seller_id, region_code)
    )
    if found is None:
        raise ReportDocumentMissingError(f"report {report.report_id} is unknown to SP-API in every region")
    region_code, reports = found
    logger.info("region found for unrequested report", extra={"region_code": region_code})
    return reports


def _record_stored(report: ReportContext, stored: StoredObject, charset: StoredCharset) -> None:
    """Record where the document is and its charset (a report started by hand may have no record), log and
    count it."""
    try:
        report_records.mark_stored(
            report.report_id,
            bucket=stored.bucket,
            key=stored.key,
            size=stored.size,
            report_document_id=report.report_document_id,
            charset=charset,
        )
    except ReportNotRecordedError:
        logger.warning("report is not recorded; its location is only in the workflow's state")
    logger.info(
        "document stored" if not stored.already_existed else "document already stored",
        extra={
            "s3_key": stored.key,
            "size": stored.size,
            "error_document": report.processing_status == "FATAL",
            "charset": charset.describe(),
        },
    )
    metrics.add_metric(
        name="DocumentsAlreadyStored" if stored.already_existed else "DocumentsStored",
        unit=MetricUnit.Count,
        value=1,
    )
    if not stored.already_existed:
        metrics.add_metric(name="StoredBytes", unit=MetricUnit.Bytes, value=stored.size)


def _failure_reason(stored: StoredObject, error_document_head: bytes) -> str:
    """Why SP-API could not produce the report, from the error document's first bytes: those kept while
    streaming it, or, when an earlier run had already stored it (nothing was streamed now), read from S3."""
    if stored.size == 0:
        return "SP-API's error document is empty"
    if stored.already_existed:
        error_document_head = s3.get_object(
            Bucket=stored.bucket, Key=stored.key, Range=f"bytes=0-{ERROR_DOCUMENT_READ_LIMIT - 1}"
        )["Body"].read()
    return failure_reason_from_error_document(error_document_head)
