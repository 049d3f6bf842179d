"""Streaming report documents into S3 in bounded memory.

A report can be gigabytes, a Lambda has little memory: the document arrives as an iterator of byte chunks and
leaves in parts of `part_size` bytes. Reading and gunzipping the next part overlaps the upload of the last
ones: boto3's own transfer manager (s3transfer) reads a non-seekable stream one part at a time and uploads the
parts from a small thread pool, holding at most `PARTS_IN_MEMORY` parts that wait for or are in an upload,
plus the one being read (s3transfer's `max_in_memory_upload_chunks` semaphore is taken before a part is
handed to the pool, so the reader blocks when the parts in memory reach the bound).
A document that fits in one part is written with one PutObject; a larger one with a multipart upload that
s3transfer aborts on any failure, so a failed store leaves neither an object nor billed orphan parts behind.
Keys are deterministic, so when the object already exists the store does nothing: a duplicate notification
rewrites nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from s3transfer.manager import TransferConfig, TransferManager

from sp_reports.pipeline.errors import ReportDocumentTooLargeError, ReportStorageError
from sp_reports.spapi.report_ids import is_key_segment
from sp_reports.spapi.report_types import report_type as report_type_rules

logger = logging.getLogger(__name__)

# S3's multipart limits (Amazon S3 User Guide, "Amazon S3 multipart upload limits",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): every part but the last 5 MiB to 5 GiB,
# at most 10,000 parts per upload.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10_000  # with 5 MiB parts that is about 48 GiB, far beyond any SP-API report
# The smallest part S3 allows, on six connections: A/B runs chose these to stay within 128 MiB of memory
# (docs/design.md#store-part-size has the runs and the reasoning). UPLOAD_CONCURRENCY stays within botocore's
# max_pool_connections (10 by default), or connections are dropped and reopened.
DEFAULT_PART_SIZE = MIN_PART_SIZE
UPLOAD_CONCURRENCY = 6
PARTS_IN_MEMORY = 6

# What the store can write within the function's timeout. `make bench` (docs/benchmarks.md, section 1)
# streamed 1 GiB into the S3 stand-in in 4.61 CPU seconds; on Lambda the store is CPU-bound, and a function
# gets memory/1769 of a vCPU (one vCPU at 1769 MB: Lambda Developer Guide, "Configure Lambda function
# memory"). Half the timeout is kept for what the bench does not see: the download from SP-API's document
# host, a cold start, a slower or busier CPU. At the storer's 512 MB and 300 s: 300 / 2 x 512/1769 / 4.61
# GiB, 9.4 GiB stored. Terraform computes the same for the storer's configured timeout and memory
# (max_document_bytes).
STORE_CPU_CENTISECONDS_PER_GIB = 461
_ONE_VCPU_MB = 1769


def max_document_bytes_for(timeout_seconds: int, memory_mb: int) -> int:
    """The largest document the store can write in half of `timeout_seconds` at `memory_mb`."""
    return (
        timeout_seconds
        * min(memory_mb, _ONE_VCPU_MB)
        * 2**30
        * 100
        // (2 * _ONE_VCPU_MB * STORE_CPU_CENTISECONDS_PER_GIB)
    )


DEFAULT_MAX_DOCUMENT_BYTES = max_document_bytes_for(300, 512)

# S3 answers worth another try once the SDK's own retries are spent: the workflow retries these by name.
_TRANSIENT_S3_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})


def _transient_s3_failure(failure: BaseException) -> ReportStorageError | None:
    """The `ReportStorageError` (retried by the workflow) a transient S3 failure becomes; None for others."""
    if isinstance(failure, ClientError):
        error = failure.response.get("Error", {})
        status = int(failure.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if status >= 500 or error.get("Code") in _TRANSIENT_S3_CODES:
            operation = getattr(failure, "operation_name", "request")
            return ReportStorageError(f"S3 {operation} failed: {error.get('Code')} (HTTP {status})")
    elif isinstance(failure, (BotoConnectionError, ConnectionError)):
        return ReportStorageError(f"S3 connection failed: {type(failure).__name__}: {failure}")
    return None


class _NamedFailuresS3:
    """The S3 client with its transient failures raised as `ReportStorageError`. Only S3's own calls are
    wrapped: a failure of the document download (the chunk iterator) keeps its own type."""

    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._s3, name)

        def call(**kwargs: Any) -> Any:
            try:
                return method(**kwargs)
            except Exception as failure:
                transient = _transient_s3_failure(failure)
                if transient is None:
                    raise
                raise transient from failure

        return call


class _AbortWatchingS3:
    """The S3 client as s3transfer gets it. s3transfer aborts a failed multipart upload in its failure cleanup
    and, when the abort fails too, logs that only at DEBUG and raises the upload's own failure. An upload left
    open keeps its parts stored and billed until the bucket's lifecycle rule (AbortIncompleteMultipartUpload,
    terraform/modules/storage) removes them, so the abort's failure is logged here at WARNING: bucket, key,
    upload id and what failed (S3's error code, or the exception's type: a connection error's text can carry
    the request URL), never a body or a URL."""

    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def abort_multipart_upload(self, **kwargs: Any) -> Any:
        try:
            return self._s3.abort_multipart_upload(**kwargs)
        except Exception as failure:
            logger.warning(
                "could not abort the failed multipart upload %s of s3://%s/%s (%s): its parts stay until the "
                "bucket's lifecycle rule removes incomplete uploads",
                kwargs.get("UploadId"),
                kwargs.get("Bucket"),
                kwargs.get("Key"),
                _failure_name(failure),
            )
            raise


def _failure_name(failure: BaseException) -> str:
    if isinstance(failure, ClientError):
        status = failure.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{failure.response.get('Error', {}).get('Code')} (HTTP {status})"
    return type(failure).__name__


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    already_existed: bool
    # As written (or, when the object already existed, as S3 holds it): what the object says about itself.
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


# The Content-Type and extra metadata of an object, decided once its download has opened: the document's
# charset is known only then (sp_reports.pipeline.document_charsets).
LateHeaders = Callable[[], tuple[str, Mapping[str, str]]]


# The object tag that says which retention a stored document gets: the bucket's lifecycle rules filter on it
# (terraform/modules/storage), so restricted (PII) documents expire sooner than the rest.
DATA_CLASS_TAG = "data-class"
RESTRICTED_DATA_CLASS = "restricted"
STANDARD_DATA_CLASS = "standard"


def data_class(report_type_name: str) -> str:
    """The data class of a report type's documents: restricted for the catalogue's restricted types (their
    documents hold buyers' personal information), standard otherwise."""
    rules = report_type_rules(report_type_name)
    return RESTRICTED_DATA_CLASS if rules is not None and rules.restricted else STANDARD_DATA_CLASS


def data_class_tags(report_type_name: str) -> dict[str, str]:
    return {DATA_CLASS_TAG: data_class(report_type_name)}


def report_key(seller_id: str, report_type: str, report_id: str) -> str:
    """Where a report's document lives; the extension follows the report type's documented format."""
    _check_key_segments(seller_id=seller_id, report_type=report_type, report_id=report_id)
    return f"{seller_id}/{report_type}/{report_id}/report.{document_extension(report_type)}"


def error_document_key(seller_id: str, report_type: str, report_id: str) -> str:
    """Where the error document of a FATAL report lives (SP-API writes those as JSON)."""
    _check_key_segments(seller_id=seller_id, report_type=report_type, report_id=report_id)
    return f"{seller_id}/{report_type}/{report_id}/error.json"


def _check_key_segments(**segments: str) -> None:
    """ValueError unless each is one safe key segment (sp_reports.spapi.report_ids): the API and the
    notifications
    processor refuse such ids on arrival, and this keeps any other path from writing outside the report's
    own prefix."""
    for name, value in segments.items():
        if not is_key_segment(value):
            raise ValueError(f"{name}: {value!r} cannot be a segment of an S3 key")


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
    (sp_reports.spapi.report_types, from SP-API's report type values), else the one its key's extension
    implies."""
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
    max_bytes: int | None = None,
    served_bytes: Callable[[], int | None] | None = None,
    tags: Mapping[str, str] | None = None,
) -> StoredObject:
    """Write `chunks` to s3://bucket/key unless an object is already there.

    `chunks` is consumed lazily; nothing is fetched when the object already exists. `late_headers`, when
    given, is called once the first chunk has been read (the download has opened) and gives the Content-Type
    and metadata added to `metadata`. Transient S3 failures surface as `ReportStorageError` (after the
    multipart upload was aborted), so the workflow retries them.

    `max_bytes` is the most the store may write (what it can store within its time). A document whose
    download says it is larger (`served_bytes`, called once the download has opened: its Content-Length) is
    refused before anything is uploaded; one that only turns out larger as it streams (a gzipped download
    grows as it is gunzipped) stops when it passes the limit, its multipart upload aborted. Either way
    `ReportDocumentTooLargeError`, which the workflow does not retry. `tags` go on the object as it is written
    (PutObject or CreateMultipartUpload), so no lifecycle rule ever sees it untagged.
    """
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part size)")
    if max_bytes is not None and max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    headers = late_headers or (lambda: (content_type or content_type_for_key(key), {}))
    return _store(
        chunks,
        s3_client,
        bucket,
        key,
        metadata,
        part_size,
        kms_key_id,
        headers,
        max_bytes,
        served_bytes or (lambda: None),
        tags or {},
    )


def _store(
    chunks: Iterable[bytes],
    s3_client: Any,
    bucket: str,
    key: str,
    metadata: Mapping[str, str],
    part_size: int,
    kms_key_id: str | None,
    late_headers: LateHeaders,
    max_bytes: int | None,
    served_bytes: Callable[[], int | None],
    tags: Mapping[str, str],
) -> StoredObject:
    existing = existing_object(_NamedFailuresS3(s3_client), bucket, key)
    if existing is not None:
        return existing

    document = _ChunkStream(chunks, limit=MAX_PARTS * part_size, max_bytes=max_bytes)
    # Opens the download here, in the caller's thread: its failures keep their type, and the headers that
    # depend on it (the charset) are known before the upload starts.
    document.open()
    served = served_bytes()
    # Gzip makes text smaller, so a compressed download larger than the limit is a larger document still.
    if max_bytes is not None and served is not None and served > max_bytes:
        raise ReportDocumentTooLargeError(served, max_bytes, declared=True)
    content_type, late_metadata = late_headers()
    extra_args: dict[str, Any] = {
        "Metadata": {**metadata, **late_metadata},
        "ContentType": content_type,
    }
    if tags:
        extra_args["Tagging"] = urlencode(tags)
    if kms_key_id:
        # On PutObject or CreateMultipartUpload: the bucket policy refuses uploads without our key.
        extra_args["ServerSideEncryption"] = "aws:kms"
        extra_args["SSEKMSKeyId"] = kms_key_id

    config = TransferConfig(
        # A document of at most one part goes up with one PutObject (nothing to abort), as S3 allows.
        multipart_threshold=part_size + 1,
        multipart_chunksize=part_size,
        max_request_concurrency=UPLOAD_CONCURRENCY,
        max_in_memory_upload_chunks=PARTS_IN_MEMORY,
    )
    with TransferManager(_AbortWatchingS3(s3_client), config) as transfers:
        future = transfers.upload(document, bucket, key, extra_args=extra_args)
        try:
            future.result()
        except BaseException as failure:
            # s3transfer has aborted the multipart upload (its failure cleanup) before result() raises.
            if failure is document.failure:
                raise  # the document download's own error, not S3's
            transient = _transient_s3_failure(failure)
            if transient is None:
                raise
            raise transient from failure
    return StoredObject(
        bucket=bucket,
        key=key,
        size=document.size,
        already_existed=False,
        content_type=extra_args["ContentType"],
        metadata=extra_args["Metadata"],
    )


class _ChunkStream:
    """The chunk iterator as the non-seekable file object s3transfer reads parts from.

    `read(n)` gathers chunks into one part and keeps the rest of the last one for the next read.
    An error raised by the iterator is remembered, so that the store can tell it from an S3 failure."""

    def __init__(self, chunks: Iterable[bytes], limit: int, max_bytes: int | None = None) -> None:
        self._chunks = iter(chunks)
        self._rest: bytes | memoryview = b""
        self._limit = limit
        self._max_bytes = max_bytes
        self.size = 0
        self.failure: BaseException | None = None

    def open(self) -> None:
        """Read the first chunk now (kept for the first part); a document that is empty stays empty."""
        try:
            self._rest = next(self._chunks)
        except StopIteration:
            self._chunks = iter(())

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, amount: int = -1) -> bytes:
        # The part's chunks are gathered and joined once into a bytes object of exactly the part's size (the
        # type s3transfer wraps without another copy): one allocation per part, of the same size every time,
        # which the allocator reuses. Growing a buffer instead cost more CPU and about 6 MiB more peak RSS at
        # 1 GiB (make bench; reallocations of different sizes fragment the heap).
        pieces: list[bytes | memoryview] = []
        held = 0
        if self._rest:
            rest = self._rest if amount < 0 else self._rest[:amount]
            pieces.append(rest)
            held = len(rest)
            self._rest = self._rest[held:]
        while amount < 0 or held < amount:
            try:
                chunk: bytes | memoryview = next(self._chunks)
            except StopIteration:
                break
            except BaseException as failure:
                self.failure = failure
                raise
            if amount >= 0 and len(chunk) > amount - held:
                # The rest stays a view of the chunk: no copy of it until it is joined into the next part.
                view = memoryview(chunk)
                chunk, self._rest = view[: amount - held], view[amount - held :]
            pieces.append(chunk)
            held += len(chunk)
        data = pieces[0] if len(pieces) == 1 and type(pieces[0]) is bytes else b"".join(pieces)
        pieces.clear()
        self.size += len(data)
        if self._max_bytes is not None and self.size > self._max_bytes:
            self.failure = ReportDocumentTooLargeError(self.size, self._max_bytes, declared=False)
            raise self.failure
        if self.size > self._limit:
            self.failure = ValueError(
                f"document exceeds {MAX_PARTS} parts of {self._limit // MAX_PARTS} bytes"
            )
            raise self.failure
        return data
