"""The report workflow's converting task: a stored DONE report becomes typed Parquet under curated/.

The task's input is the workflow's state after StoreReport: the execution input (`ReportContext`) and the
storer's output under `stored` (bucket and key of the raw object). What the conversion needs beyond them comes
from the report record (report type, marketplaces, data range, when it was created) and from the raw object
itself (the charset it is stored in, sp_reports.pipeline.document_charsets; its data-class tags, which the
curated objects carry too, so the bucket's lifecycle treats them alike). A report started by hand has no
record: the context's report type and marketplaces stand in, with no data range and the raw object's
LastModified as its creation time.

sp_reports.analytics.conversion does the work (ConversionOutcome); this module records the outcome on the
report record (`Conversion`), counts it (ConversionProblems, UnknownColumns, ConversionRejected) and returns
`outcome.as_record()`, which names S3 keys and row numbers, never a value, a secret or a URL. Converting is
idempotent: the curated keys are deterministic (sp_reports.analytics.table_schemas.curated_key), so a re-run
converts again and overwrites the same objects and the same record attribute. A report of a pull plan's window
passes its window version (the record's WindowVersion): an older version never replaces the file of a newer
one (SUPERSEDED: sp_reports.analytics.conversion). A conversion that fails after the workflow's retries is
recorded by the notifier (sp_reports.pipeline.conversion_failures).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sp_reports.analytics.conversion import ConversionOutcome, ConversionRequest, convert_report
from sp_reports.pipeline.document_charsets import StoredCharset
from sp_reports.pipeline.notifications_processing import ReportContext
from sp_reports.pipeline.report_records import ReportNotRecordedError, ReportRecord, ReportRecords
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger

# How many of the outcome's problems the log line names (the record and the output keep what as_record keeps).
LOGGED_PROBLEMS = 5


class StoredReportMissingError(Exception):
    """The state names no stored report document to convert (the task runs after StoreReport only)."""


class ReportConverter:
    def __init__(
        self,
        *,
        s3_client: Any,
        records: ReportRecords,
        kms_key_id: str,
        logger: StructuredLogger,
        metrics: MetricSink,
    ) -> None:
        self._s3 = s3_client
        self._records = records
        self._kms_key_id = kms_key_id
        self._logger = logger
        self._metrics = metrics

    def convert(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """Convert the stored report, record and count the outcome; the task's output."""
        report = ReportContext.from_execution_input(state)
        self._logger.append_keys(report_id=report.report_id, seller_id=report.seller_id)
        bucket, key = _stored_location(state)
        record = self._records.get(report.report_id)
        request = self._request(report, record, bucket, key)
        outcome = convert_report(self._s3, request)
        conversion = outcome.as_record()
        self._record(report.report_id, conversion, recorded=record is not None)
        self._count(outcome)
        self._logger.info(
            "report converted" if outcome.status != "REJECTED" else "report conversion rejected",
            extra={
                "conversion_status": outcome.status,
                "curated_keys": [file.key for file in outcome.files],
                "rows": sum(file.rows for file in outcome.files),
                "problem_count": outcome.problem_count,
                "first_problems": [
                    {"row": p.row, "column": p.column, "reason": p.reason}
                    for p in outcome.problems[:LOGGED_PROBLEMS]
                ],
                "unknown_columns": list(outcome.unknown_columns),
            },
        )
        return conversion

    def _request(
        self, report: ReportContext, record: ReportRecord | None, bucket: str, key: str
    ) -> ConversionRequest:
        head = self._s3.head_object(Bucket=bucket, Key=key)
        charset = StoredCharset.from_object(head.get("ContentType"), head.get("Metadata", {}))
        tag_set = self._s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        if record is None:
            self._logger.warning("report is not recorded; converting with the execution input's details")
        return ConversionRequest(
            bucket=bucket,
            raw_key=key,
            kms_key_id=self._kms_key_id,
            seller_id=report.seller_id,
            report_id=report.report_id,
            report_type=record.report_type if record else report.report_type,
            marketplace_ids=tuple(record.marketplace_ids if record else report.marketplace_ids),
            data_start=_instant(record.data_start_time) if record else None,
            data_end=_instant(record.data_end_time) if record else None,
            created=(_instant(record.created_at) if record else None) or head["LastModified"],
            charset=charset.stored,
            tags={tag["Key"]: tag["Value"] for tag in tag_set},
            window_version=record.pull_window.version if record and record.pull_window else None,
        )

    def _record(self, report_id: str, conversion: Mapping[str, Any], *, recorded: bool) -> None:
        if not recorded:
            return
        try:
            self._records.mark_converted(report_id, conversion)
        except ReportNotRecordedError:
            self._logger.warning("report record went away; its conversion is only in the workflow's state")

    def _count(self, outcome: ConversionOutcome) -> None:
        self._metrics.add_metric(name="ConversionProblems", unit=COUNT, value=outcome.problem_count)
        self._metrics.add_metric(name="UnknownColumns", unit=COUNT, value=len(outcome.unknown_columns))
        self._metrics.add_metric(
            name="ConversionRejected", unit=COUNT, value=1 if outcome.status == "REJECTED" else 0
        )
        self._metrics.add_metric(
            name="CuratedRows", unit=COUNT, value=sum(file.rows for file in outcome.files)
        )


def _stored_location(state: Mapping[str, Any]) -> tuple[str, str]:
    stored = state.get("stored")
    if not isinstance(stored, Mapping) or stored.get("errorDocument"):
        raise StoredReportMissingError("the state holds no stored report document (`stored`) to convert")
    bucket, key = stored.get("bucket"), stored.get("key")
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        raise StoredReportMissingError("`stored` must name the stored document's bucket and key")
    return bucket, key


def _instant(value: str | None) -> datetime | None:
    """An ISO 8601 time as the record holds it ("...Z" or with an offset), None when absent."""
    return datetime.fromisoformat(value) if value else None
