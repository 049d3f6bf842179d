"""A stored report document into its typed Parquet tables under `curated/`, whole or not at all.

`convert_report` reads the raw object from S3 as a stream (one GetObject per table: sales and traffic fills
two), writes each table's rows into a local Parquet file (Lambda's /tmp) in bounded row groups, uploads each
file under `STAGING_PREFIX` + a random id, and only when every table of the document converted copies each
staged file to its curated key with one CopyObject (S3's copy is atomic for objects up to 5 GiB, far beyond a
report's Parquet) and deletes the staged ones. A reader of `curated/` sees the old file or the new one,
never a partial one; a rejected document changes nothing under `curated/`. The curated key is
deterministic (table_schemas.curated_key), so a re-pulled window overwrites its own file.

Cells: text that does not parse as its column's type becomes null with a `Problem`; an empty optional
cell is null; an empty or bad required cell drops the row with a `Problem`; a row with more or fewer fields
than the header is dropped with a `Problem` (document_rows). A header lacking a required column, a truncated
or corrupt gzip stream, or bytes the charset cannot decode reject the document. Problems are counted in
full and the first `MAX_PROBLEMS` kept. Numbers, dates and timestamps are read in the format of the
report's marketplace (values.locale_for; JSON reports in JSON's own).
S3 failures are not caught here: the caller (the workflow) retries them; staged files are deleted on the
way out either way.

A window's older version never replaces a newer one's file: a curated file names the pull window version it
holds (user metadata `window-version`), and `_publish` copies over it only when the key holds no file, a file
without a version, or one of the same or an older version; otherwise the table is left alone and the outcome
is SUPERSEDED. A report with no window version (one requested by hand) always publishes.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError

from sp_reports.analytics.document_rows import (
    DocumentRejected,
    Problem,
    ReadableBytes,
    document_rows,
    open_text,
)
from sp_reports.analytics.parquet_files import ParquetFileWriter
from sp_reports.analytics.table_schemas import (
    STAGING_PREFIX,
    TableSchema,
    curated_key,
    glue_columns,
    schemas_for_report_type,
)
from sp_reports.analytics.values import JSON_LOCALE, Locale, ValueProblem, locale_for, parser_for

__all__ = [
    "MAX_PROBLEMS",
    "ConversionOutcome",
    "ConversionRequest",
    "CuratedFile",
    "Problem",
    "convert_report",
]

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 20
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"  # IANA media type registry

CONVERTED = "CONVERTED"
CONVERTED_WITH_PROBLEMS = "CONVERTED_WITH_PROBLEMS"
NO_SCHEMA = "NO_SCHEMA"
REJECTED = "REJECTED"
SUPERSEDED = "SUPERSEDED"

# S3 user metadata (x-amz-meta-window-version) on a curated file: the pull window version it holds.
WINDOW_VERSION_METADATA = "window-version"
# Conditional copies lost to a concurrent writer before publishing gives up (and the workflow retries).
PUBLISH_ATTEMPTS = 3
# S3's answers to a conditional write whose condition failed (412) or that raced another write (409).
_CONDITION_FAILED = {"PreconditionFailed", "ConditionalRequestConflict"}


@dataclass(frozen=True)
class ConversionRequest:
    bucket: str
    raw_key: str
    kms_key_id: str
    seller_id: str
    report_id: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    data_start: datetime | None
    data_end: datetime | None
    created: datetime
    charset: str | None  # the charset the raw object is stored in (IANA name; None: UTF-8)
    tags: Mapping[str, str]  # the raw object's data-class tags, put on the curated objects too
    window_version: int | None = None  # the pull window version the report holds; None: not a plan's window


@dataclass(frozen=True)
class CuratedFile:
    table: str
    key: str
    rows: int


@dataclass(frozen=True)
class ConversionOutcome:
    status: str  # CONVERTED | CONVERTED_WITH_PROBLEMS | NO_SCHEMA | REJECTED | SUPERSEDED
    files: tuple[CuratedFile, ...]
    problems: tuple[Problem, ...]  # the first MAX_PROBLEMS
    problem_count: int  # all of them
    unknown_columns: tuple[str, ...]

    def as_record(self) -> dict[str, Any]:
        """The record's (and the workflow output's) form: JSON-safe, camelCase."""
        return {
            "status": self.status,
            "files": [{"table": f.table, "key": f.key, "rows": f.rows} for f in self.files],
            "problems": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.problems],
            "problemCount": self.problem_count,
            "unknownColumns": list(self.unknown_columns),
        }


@dataclass
class _Problems:
    kept: list[Problem] = field(default_factory=list)
    count: int = 0

    def __call__(self, problem: Problem) -> None:
        self.count += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(problem)


@dataclass(frozen=True)
class _Staged:
    table: str
    staging_key: str
    curated_key: str
    rows: int


def convert_report(s3_client: Any, request: ConversionRequest) -> ConversionOutcome:
    """Convert the stored document of `request` into its tables (module docstring)."""
    schemas = schemas_for_report_type(request.report_type)
    if not schemas:
        return ConversionOutcome(NO_SCHEMA, (), (), 0, ())
    problems = _Problems()
    unknown: dict[str, None] = {}
    staged: list[_Staged] = []
    try:
        try:
            for schema in schemas:
                staged.append(_stage_table(s3_client, request, schema, problems, unknown))
        except DocumentRejected as rejection:
            problems(Problem(None, None, str(rejection)))
            logger.warning(
                "report %s of seller %s rejected for conversion: %s",
                request.report_id,
                request.seller_id,
                rejection,
            )
            return ConversionOutcome(REJECTED, (), tuple(problems.kept), problems.count, tuple(unknown))
        files = []
        superseded = False
        for table in staged:
            if _publish(s3_client, request, table):
                files.append(CuratedFile(table.table, table.curated_key, table.rows))
            else:
                superseded = True
    finally:
        _remove_staged(s3_client, request.bucket, staged)
    if superseded:
        # `files` names what this version did publish (none, unless a newer version's file came in between).
        return ConversionOutcome(
            SUPERSEDED, tuple(files), tuple(problems.kept), problems.count, tuple(unknown)
        )
    status = CONVERTED_WITH_PROBLEMS if problems.count else CONVERTED
    return ConversionOutcome(status, tuple(files), tuple(problems.kept), problems.count, tuple(unknown))


def _remove_staged(s3_client: Any, bucket: str, staged: list[_Staged]) -> None:
    """Delete the staged files. A failed delete is logged, not raised: the file is already published or never
    will be, and the bucket's lifecycle rule expires whatever stays under curated-staging/."""
    for table in staged:
        try:
            s3_client.delete_object(Bucket=bucket, Key=table.staging_key)
        except Exception as failure:  # any failure: see the docstring
            logger.warning(
                "could not delete the staged file s3://%s/%s (%s): the lifecycle rule expires it",
                bucket,
                table.staging_key,
                type(failure).__name__,
            )


def _stage_table(
    s3_client: Any,
    request: ConversionRequest,
    schema: TableSchema,
    problems: _Problems,
    unknown: dict[str, None],
) -> _Staged:
    try:
        key = curated_key(
            schema,
            seller_id=request.seller_id,
            report_type=request.report_type,
            marketplace_ids=request.marketplace_ids,
            data_start=request.data_start,
            data_end=request.data_end,
            report_id=request.report_id,
            created=request.created,
        )
    except ValueError as unplaceable:
        # Retrying cannot help a report that has no place under curated/: it is recorded, not raised.
        raise DocumentRejected(f"the report has no curated key: {unplaceable}") from None
    locale = JSON_LOCALE if schema.format == "json" else locale_for(request.marketplace_ids)
    with tempfile.TemporaryDirectory(prefix="conversion-") as directory:
        path = Path(directory) / f"{schema.name}.parquet"
        body = s3_client.get_object(Bucket=request.bucket, Key=request.raw_key)["Body"]
        try:
            rows = _write_table(body, path, request, schema, locale, problems, unknown)
        finally:
            body.close()
        staging_key = f"{STAGING_PREFIX}{uuid.uuid4()}"
        s3_client.upload_file(
            str(path),
            request.bucket,
            staging_key,
            ExtraArgs={
                "ContentType": PARQUET_CONTENT_TYPE,
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": request.kms_key_id,
                **({"Tagging": urlencode(dict(request.tags))} if request.tags else {}),
            },
        )
    return _Staged(schema.name, staging_key, key, rows)


def _write_table(
    body: ReadableBytes,
    path: Path,
    request: ConversionRequest,
    schema: TableSchema,
    locale: Locale,
    problems: _Problems,
    unknown: dict[str, None],
) -> int:
    rows = document_rows(open_text(body, request.charset), schema, problems)
    unknown.update(dict.fromkeys(rows.unknown_columns))
    parsers = [(column, parser_for(column.type)) for column in schema.columns]
    with ParquetFileWriter(path, glue_columns(schema)) as writer:
        for row in rows:
            values: list[Any] = []
            dropped = False
            for column, parse in parsers:
                text = row.cells.get(column.name, "")
                try:
                    value = parse(text, locale) if text else None
                except ValueProblem as problem:
                    value = None
                    reason = f"{column.type}: {problem}"
                    if column.required:
                        problems(Problem(row.number, column.name, f"{reason}: row dropped"))
                        dropped = True
                        break
                    problems(Problem(row.number, column.name, reason))
                if value is None and column.required:
                    problems(Problem(row.number, column.name, "a required value is empty: row dropped"))
                    dropped = True
                    break
                values.append(value)
            if dropped:
                continue
            values.extend(
                (row.extra or None, request.report_id, row.number, request.data_start, request.data_end)
            )
            writer.write_row(values)
    return writer.rows


def _publish(s3_client: Any, request: ConversionRequest, table: _Staged) -> bool:
    """The staged file to its curated key in one step, encrypted with our key, tagged as the raw one, naming
    its window version; False when a newer version of the window holds the key (module docstring).

    The copy is conditional on what was checked: If-None-Match "*" while the key holds nothing, If-Match the
    ETag of the file whose version was compared (S3 API Reference, CopyObject: IfMatch, IfNoneMatch; 412
    Precondition Failed or 409 ConditionalRequestConflict when another write came first). A lost race is
    decided again on the new file, so no interleaving lets an older version replace a newer one. Trying the
    copy before any HeadObject spares the converter s3:ListBucket (without it, S3 answers 403, not 404, for
    a missing key)."""
    version = request.window_version
    arguments: dict[str, Any] = {
        "Bucket": request.bucket,
        "Key": table.curated_key,
        "CopySource": {"Bucket": request.bucket, "Key": table.staging_key},
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": request.kms_key_id,
        "MetadataDirective": "REPLACE",
        "ContentType": PARQUET_CONTENT_TYPE,
        "Metadata": {} if version is None else {WINDOW_VERSION_METADATA: str(version)},
    }
    if request.tags:
        arguments["TaggingDirective"] = "REPLACE"
        arguments["Tagging"] = urlencode(dict(request.tags))
    condition: dict[str, str] = {"IfNoneMatch": "*"}
    for _ in range(PUBLISH_ATTEMPTS):
        try:
            s3_client.copy_object(**arguments, **condition)
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _CONDITION_FAILED:
                raise
        held = _held_file(s3_client, request.bucket, table.curated_key)
        if held is None:
            condition = {"IfNoneMatch": "*"}
            continue
        etag, held_version = held
        if version is not None and held_version is not None and held_version > version:
            logger.info(
                "curated file %s holds window version %s, newer than report %s's %s: not replaced",
                table.curated_key,
                held_version,
                request.report_id,
                version,
            )
            return False
        condition = {"IfMatch": etag}
    raise CuratedKeyContendedError(
        f"{table.curated_key}: other writes kept changing the curated file; the workflow retries"
    )


class CuratedKeyContendedError(Exception):
    """Every conditional copy to a curated key lost to another write (PUBLISH_ATTEMPTS)."""


def _held_file(s3_client: Any, bucket: str, key: str) -> tuple[str, int | None] | None:
    """The curated file's ETag and window version (None: it names none), None when the key holds no file."""
    try:
        head = s3_client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    version = head.get("Metadata", {}).get(WINDOW_VERSION_METADATA, "")
    return head["ETag"], int(version) if version.isdigit() else None
