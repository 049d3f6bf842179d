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

from typing import Any

import boto3

from sp_reports.handlers import _config
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.report_document_storer import DocumentUploads, ReportDocumentStorer
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_storage import DEFAULT_MAX_DOCUMENT_BYTES, DEFAULT_PART_SIZE, MIN_PART_SIZE
from sp_reports.pipeline.token_store import TokenStore
from sp_reports.spapi.errors import ConfigurationError

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
storer = ReportDocumentStorer(
    s3_client=s3,
    uploads=DocumentUploads(
        bucket=config["REPORTS_BUCKET_NAME"],
        kms_key_id=config["REPORTS_KMS_KEY_ID"],
        part_size=part_size,
        max_document_bytes=max_document_bytes,
        transcode_to_utf8=transcode_to_utf8,
    ),
    records=report_records,
    reports_for=spapi_clients.reports,
    logger=logger,
    metrics=metrics,
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return storer.store(event)
