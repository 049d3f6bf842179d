"""Workflow task: convert a stored DONE report's document into typed Parquet under curated/.

The task runs after StoreReport with the workflow's state (the execution input and `stored`); the work is
sp_reports.pipeline.report_conversion's, the converting sp_reports.analytics.conversion's. This is the only
function whose zip carries pyarrow (scripts/package_lambdas.py), and the only module importing the converter.
The output is the conversion's outcome: status, curated keys, row counts and the first problems (row numbers
and columns, never a value, a secret or a URL).
"""

from __future__ import annotations

from typing import Any

import boto3

from sp_reports.handlers import _config
from sp_reports.handlers._observability import observability
from sp_reports.pipeline.report_conversion import ReportConverter
from sp_reports.pipeline.report_records import ReportRecords

logger, tracer, metrics = observability()
config = _config.required(["REPORTS_TABLE_NAME", "REPORTS_KMS_KEY_ID"])
converter = ReportConverter(
    s3_client=boto3.client("s3"),
    records=ReportRecords(config["REPORTS_TABLE_NAME"], boto3.client("dynamodb")),
    kms_key_id=config["REPORTS_KMS_KEY_ID"],
    logger=logger,
    metrics=metrics,
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # the outcome names S3 keys; traces need none
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return converter.convert(event)
