"""Workflow task: fetch a report's document from SP-API and stream it into S3.

DONE reports store the report itself; FATAL reports store SP-API's error document beside it and hand its
reason on. The S3 key is deterministic and an existing object is left alone (no SP-API call at all), so a
re-run rewrites nothing. The output holds the S3 location only: the document URL never leaves this function.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from handlers import _config
from handlers._observability import observability
from handlers._spapi_clients import SpApiClients
from reports_pipeline.report_outcomes import failure_reason_from_error_document
from reports_pipeline.report_records import ReportRecords
from reports_pipeline.report_storage import (
    MIN_PART_SIZE,
    error_document_key,
    report_key,
    store_report_document,
)
from reports_pipeline.token_store import TokenStore
from spapi.documents import iter_report_document
from spapi.errors import ConfigurationError, SpApiClientError
from spapi.regions import REGIONS
from spapi.reports import ReportsClient

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
part_size = _config.positive_int("REPORT_UPLOAD_PART_SIZE_MIB", 8, maximum=512) * 1024 * 1024
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
    """SP-API said DONE but named no document to fetch."""


def reports_client_for(seller_id: str, region_code: str | None, report_id: str) -> ReportsClient:
    """The Reports client of the report's region. Reports we did not request have no recorded region: ask each
    region for the report (getReport allows 2 calls a second) and use the one that knows it."""
    if region_code:
        return spapi_clients.reports(seller_id, region_code)
    for candidate in REGIONS:
        client = spapi_clients.reports(seller_id, candidate)
        try:
            client.get_report(report_id)
        except SpApiClientError as exc:
            if exc.status in (400, 403, 404):
                continue
            raise
        logger.info("region found for unrequested report", extra={"region_code": candidate})
        return client
    raise ReportDocumentMissingError(f"report {report_id} is unknown to SP-API in every region")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report_id = event["reportId"]
    status = event["processingStatus"]
    document_id = event.get("reportDocumentId")
    logger.append_keys(report_id=report_id, processing_status=status, report_document_id=document_id)
    if not document_id:
        raise ReportDocumentMissingError(f"report {report_id} ({status}) names no reportDocumentId")
    record = report_records.get(report_id)
    seller_id = record.seller_id if record else event["sellerId"]
    region_code = (record.region_code if record else None) or event.get("regionCode")
    report_type = event["reportType"]
    logger.append_keys(seller_id=seller_id)

    is_error_document = status == "FATAL"
    key = (error_document_key if is_error_document else report_key)(seller_id, report_type, report_id)

    def document_chunks():
        # Runs only when the object is not stored yet: a stored report costs no SP-API call.
        reports = reports_client_for(seller_id, region_code, report_id)
        yield from iter_report_document(reports, document_id)

    stored = store_report_document(
        document_chunks(),
        s3,
        config["REPORTS_BUCKET_NAME"],
        key,
        {
            "report-id": report_id,
            "report-type": report_type,
            "seller-id": seller_id,
            "report-document-id": document_id,
            "processing-status": status,
        },
        part_size,
        kms_key_id=config["REPORTS_KMS_KEY_ID"],
    )
    if record is not None:
        report_records.mark_stored(
            report_id, bucket=stored.bucket, key=stored.key, size=stored.size, report_document_id=document_id
        )
    logger.info(
        "document stored" if not stored.already_existed else "document already stored",
        extra={"s3_key": stored.key, "size": stored.size, "error_document": is_error_document},
    )
    metrics.add_metric(
        name="DocumentsAlreadyStored" if stored.already_existed else "DocumentsStored",
        unit=MetricUnit.Count,
        value=1,
    )
    if not stored.already_existed:
        metrics.add_metric(name="StoredBytes", unit=MetricUnit.Bytes, value=stored.size)
    output: dict[str, Any] = {
        "bucket": stored.bucket,
        "key": stored.key,
        "size": stored.size,
        "alreadyStored": stored.already_existed,
        "errorDocument": is_error_document,
    }
    if is_error_document and stored.size == 0:
        output["failureReason"] = "SP-API's error document is empty"
    elif is_error_document:
        head = s3.get_object(
            Bucket=stored.bucket, Key=stored.key, Range=f"bytes=0-{ERROR_DOCUMENT_READ_LIMIT - 1}"
        )["Body"].read()
        output["failureReason"] = failure_reason_from_error_document(head)
    return output
