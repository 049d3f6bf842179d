"""Streaming report documents into S3 in bounded memory.

A report can be gigabytes, a Lambda has little memory: the document arrives as an iterator of byte chunks and
leaves in parts of `part_size` bytes, so at most one part (plus one incoming chunk) is held at a time.
A document that fits in the first part is written with one PutObject; a larger one with a multipart upload
that is aborted on any failure, so a failed store leaves neither an object nor billed orphan parts behind.
Keys are deterministic, so when the object already exists the store does nothing: a duplicate notification
rewrites nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from reports_pipeline.errors import ReportStorageError
from spapi.report_types import report_type as report_type_rules

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 8 * 1024 * 1024
MAX_PARTS = 10_000  # S3's limit; with 8 MiB parts that is about 78 GiB, far beyond any SP-API report


# S3 answers worth another try once the SDK's own retries are spent: the workflow retries these by name.
_TRANSIENT_S3_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})


@contextmanager
def _transient_s3_failures_named() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if status >= 500 or error.get("Code") in _TRANSIENT_S3_CODES:
            operation = getattr(exc, "operation_name", "request")
            raise ReportStorageError(f"S3 {operation} failed: {error.get('Code')} (HTTP {status})") from exc
        raise
    except (BotoConnectionError, ConnectionError) as exc:
        raise ReportStorageError(f"S3 connection failed: {type(exc).__name__}: {exc}") from exc


class _NamedFailuresS3:
    """The S3 client with its transient failures raised as `ReportStorageError`. Only S3's own calls are
    wrapped: a failure of the document download (the chunk iterator) keeps its own type."""

    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._s3, name)

        def call(**kwargs: Any) -> Any:
            with _transient_s3_failures_named():
                return method(**kwargs)

        return call


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    already_existed: bool
    # As written (or, when the object already existed, as S3 holds it): what the object says about itself.
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


# The Content-Type and extra metadata of an object, decided once its first part has been read: the
# document's charset is known only when its download has opened (reports_pipeline.document_charsets).
LateHeaders = Callable[[], tuple[str, Mapping[str, str]]]


def report_key(seller_id: str, report_type: str, report_id: str) -> str:
    """Where a report's document lives; the extension follows the report type's documented format."""
    return f"{seller_id}/{report_type}/{report_id}/report.{document_extension(report_type)}"


def error_document_key(seller_id: str, report_type: str, report_id: str) -> str:
    """Where the error document of a FATAL report lives (SP-API writes those as JSON)."""
    return f"{seller_id}/{report_type}/{report_id}/error.json"


_JSON_REPORT_PREFIXES = ("GET_BRAND_ANALYTICS_", "GET_VENDOR_", "GET_SALES_AND_TRAFFIC_REPORT")


def document_extension(report_type: str) -> str:
    """The file extension for a report type. Decided from the type, not the bytes, so that the key is known
    before the document is fetched and an already-stored report costs no getReportDocument call."""
    if "XML" in report_type:
        return "xml"
    if "JSON" in report_type or report_type.startswith(_JSON_REPORT_PREFIXES):
        return "json"
    if "CSV" in report_type:
        return "csv"
    return "tsv"


_CONTENT_TYPES = {
    "xml": "application/xml",
    "json": "application/json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


def content_type_for_key(key: str) -> str:
    """The media type (no charset) of a document stored at `key`."""
    return _CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


def report_media_type(report_type: str) -> str:
    """The media type (no charset) of a report's document: the catalogue's for a type it lists
    (spapi.report_types, from SP-API's report type values), else the one its key's extension implies."""
    rules = report_type_rules(report_type)
    if rules is not None:
        return rules.content_type
    return _CONTENT_TYPES[document_extension(report_type)]


def is_text_media_type(media_type: str) -> bool:
    """Whether a charset applies (RFC 6838 section 4.2.1: text/*; RFC 7303 and RFC 8259 for XML and JSON,
    whose bytes are text too). PDF and XLSX documents are binary: no charset, never transcoded."""
    base = media_type.split(";", 1)[0].strip().lower()
    return (
        base.startswith("text/")
        or base in ("application/xml", "application/json")
        or base.endswith(("+xml", "+json"))
    )


def existing_object(s3_client: Any, bucket: str, key: str) -> StoredObject | None:
    """The object at `key` as S3 describes it, or None when there is none."""
    try:
        response = s3_client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(
        bucket=bucket,
        key=key,
        size=int(response["ContentLength"]),
        already_existed=True,
        content_type=response.get("ContentType"),
        metadata=dict(response.get("Metadata") or {}),
    )


def store_report_document(
    chunks: Iterable[bytes],
    s3_client: Any,
    bucket: str,
    key: str,
    metadata: Mapping[str, str],
    part_size: int = DEFAULT_PART_SIZE,
    *,
    kms_key_id: str | None = None,
    content_type: str | None = None,
    late_headers: LateHeaders | None = None,
) -> StoredObject:
    """Write `chunks` to s3://bucket/key unless an object is already there.

    `chunks` is consumed lazily; nothing is fetched when the object already exists. `late_headers`, when
    given, is called once the first part has been read and gives the Content-Type and metadata added to
    `metadata`. Transient S3 failures surface as `ReportStorageError` (after the multipart upload was
    aborted), so the workflow retries them.
    """
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part size)")
    headers = late_headers or (lambda: (content_type or content_type_for_key(key), {}))
    return _store(chunks, _NamedFailuresS3(s3_client), bucket, key, metadata, part_size, kms_key_id, headers)


def _store(
    chunks: Iterable[bytes],
    s3_client: Any,
    bucket: str,
    key: str,
    metadata: Mapping[str, str],
    part_size: int,
    kms_key_id: str | None,
    late_headers: LateHeaders,
) -> StoredObject:
    existing = existing_object(s3_client, bucket, key)
    if existing is not None:
        return existing

    iterator = iter(chunks)
    first_part = _fill_part(bytearray(), iterator, part_size)
    content_type, late_metadata = late_headers()
    object_arguments: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "Metadata": {**metadata, **late_metadata},
        "ContentType": content_type,
    }
    if kms_key_id:
        object_arguments["ServerSideEncryption"] = "aws:kms"
        object_arguments["SSEKMSKeyId"] = kms_key_id
    if first_part.exhausted:
        # The whole document fits in one part: one request, nothing to abort.
        body = bytes(first_part.buffer)
        s3_client.put_object(Body=body, **object_arguments)
        return _written(object_arguments, len(body))
    return _multipart_upload(first_part, iterator, s3_client, object_arguments, part_size)


def _written(object_arguments: Mapping[str, Any], size: int) -> StoredObject:
    return StoredObject(
        bucket=object_arguments["Bucket"],
        key=object_arguments["Key"],
        size=size,
        already_existed=False,
        content_type=object_arguments["ContentType"],
        metadata=object_arguments["Metadata"],
    )


@dataclass
class _Part:
    buffer: bytearray
    exhausted: bool

    def __len__(self) -> int:
        return len(self.buffer)


def _fill_part(buffer: bytearray, iterator: Any, part_size: int) -> _Part:
    """Read chunks until the buffer holds more than one part, or the document ends (then at most one)."""
    while len(buffer) <= part_size:
        try:
            chunk = next(iterator)
        except StopIteration:
            return _Part(buffer, exhausted=True)
        buffer.extend(chunk)
    return _Part(buffer, exhausted=False)


def _multipart_upload(
    first: _Part, iterator: Any, s3_client: Any, object_arguments: dict[str, Any], part_size: int
) -> StoredObject:
    bucket, key = object_arguments["Bucket"], object_arguments["Key"]
    upload_id = s3_client.create_multipart_upload(**object_arguments)["UploadId"]
    try:
        parts: list[dict[str, Any]] = []
        size = 0
        pending = first
        while True:
            # Send full parts while the buffer holds more than one; keep the remainder for the next read.
            while len(pending.buffer) > part_size or (pending.exhausted and pending.buffer):
                body = bytes(pending.buffer[:part_size])
                del pending.buffer[:part_size]
                if len(parts) >= MAX_PARTS:
                    raise ValueError(f"document exceeds {MAX_PARTS} parts of {part_size} bytes")
                response = s3_client.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=len(parts) + 1, Body=body
                )
                parts.append({"PartNumber": len(parts) + 1, "ETag": response["ETag"]})
                size += len(body)
            if pending.exhausted:
                break
            pending = _fill_part(pending.buffer, iterator, part_size)
        s3_client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException as failure:
        try:
            s3_client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception as abort_failure:
            # The original failure is what the caller must see; the bucket's lifecycle rule for incomplete
            # uploads is the backstop for the parts left behind.
            failure.add_note(f"aborting multipart upload {upload_id} also failed: {abort_failure}")
        raise
    return _written(object_arguments, size)
