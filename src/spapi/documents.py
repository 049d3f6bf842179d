"""Stream a report document from its presigned URL, in bounded memory.

- Compression is decided by the bytes, not by the label: a body starting with the gzip magic (1f 8b) is
  gunzipped (also when it is served with Content-Encoding: gzip); anything else passes through, even if
  labelled GZIP.
- A gzip stream that ends early raises `ReportDocumentError`; so does a body shorter than its Content-Length.
  Data is never silently short.
- The URL is valid for 5 minutes. When the document host refuses it (400/401/403), we ask getReportDocument
  for a fresh URL. When a download breaks after bytes were already yielded, we resume from the exact byte
  offset with an HTTP Range request (S3 honours it); a host that ignores Range and answers 200 has the
  already-read prefix skipped, so the caller never sees a byte twice.
- The document host is not SP-API: no x-amz-access-token is sent to it, and its URL is never logged.
"""

from __future__ import annotations

import logging
import random
import re
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import requests
import urllib3.exceptions

from spapi.errors import ReportDocumentError, redact
from spapi.http import DEFAULT_USER_AGENT, default_session
from spapi.reports import ReportDocument, ReportsClient

logger = logging.getLogger("spapi.documents")


class _RedactSignedUrls(logging.Filter):
    """urllib3 logs request lines (with the presigned query string) at DEBUG: redact them at the source."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


_urllib3_logger = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(existing, _RedactSignedUrls) for existing in _urllib3_logger.filters):
    _urllib3_logger.addFilter(_RedactSignedUrls())

DEFAULT_CHUNK_SIZE = 256 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_URL_REFUSED = frozenset({400, 401, 403})
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
_CONTENT_RANGE = re.compile(r"bytes (\d+)-\d+/(?:\d+|\*)")
_BROKEN_DOWNLOAD = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.ReadTimeoutError,
)


class _Gunzip:
    """Incremental gunzip with bounded output per step; handles multi-member gzip files."""

    def __init__(self, document_id: str, chunk_size: int) -> None:
        self._document_id = document_id
        self._chunk_size = chunk_size
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._inflater.decompress(data, self._chunk_size)
            except zlib.error as exc:
                raise ReportDocumentError(self._document_id, f"corrupt gzip data ({exc})") from None
            if out:
                yield out
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if not rest.strip(b"\x00"):
                    return  # trailing NUL padding after the last member, as gzip(1) tolerates
                if not rest.startswith(GZIP_MAGIC[: len(rest)]):
                    raise ReportDocumentError(self._document_id, "unexpected bytes after the gzip stream")
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                data = rest
            else:
                data = self._inflater.unconsumed_tail

    def finish(self) -> Iterator[bytes]:
        tail = self._inflater.flush()
        if tail:
            yield tail
        if not self._inflater.eof:
            raise ReportDocumentError(
                self._document_id, "truncated gzip data: the stream ended before its end"
            )


class _Passthrough:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


def iter_report_document(
    reports_client: ReportsClient,
    report_document_id: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = (3.05, 60.0),
    max_url_refreshes: int = 3,
    max_retries: int = 4,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    user_agent: str = DEFAULT_USER_AGENT,
) -> Iterator[bytes]:
    """Yield the (decompressed) document in chunks of at most about `chunk_size` bytes."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    session = session if session is not None else default_session()
    document = reports_client.get_report_document(report_document_id)
    decoder: _Gunzip | _Passthrough | None = None
    head = b""  # the first bytes, held until we know whether they are gzip
    offset = 0  # raw (compressed) bytes consumed so far: where a resumed download starts
    refreshes = 0
    retries = 0

    while True:
        response = _open(session, document, offset, timeout, user_agent)
        status = response.status_code if response is not None else None
        if status in _URL_REFUSED:
            response.close()
            if refreshes >= max_url_refreshes:
                raise ReportDocumentError(
                    report_document_id, f"the document host kept refusing fresh URLs (HTTP {status})"
                )
            refreshes += 1
            logger.info(
                "report document URL refused, fetching a fresh one",
                extra={"report_document_id": report_document_id, "status": status, "offset": offset},
            )
            document = reports_client.get_report_document(report_document_id)
            continue
        if response is None or status in _TRANSIENT:
            if response is not None:
                response.close()
            retries = _next_retry(retries, max_retries, base_delay, sleep, report_document_id, status, offset)
            continue
        if status not in (200, 206):
            response.close()
            raise ReportDocumentError(report_document_id, f"the document host answered HTTP {status}")

        skip = 0
        if offset:
            skip = _bytes_to_skip(response, offset, report_document_id)
        expected_length = _expected_length(response, skip)
        received = 0
        try:
            for raw in response.raw.stream(chunk_size, decode_content=False):
                if skip:
                    dropped = min(skip, len(raw))
                    raw = raw[dropped:]
                    skip -= dropped
                    if not raw:
                        continue
                received += len(raw)
                offset += len(raw)
                if decoder is None:
                    head += raw
                    if len(head) < len(GZIP_MAGIC):
                        continue
                    decoder = _pick_decoder(head, report_document_id, chunk_size)
                    raw, head = head, b""
                yield from decoder.feed(raw)
        except _BROKEN_DOWNLOAD as exc:
            response.close()
            logger.warning(
                "report document download broke, resuming",
                extra={
                    "report_document_id": report_document_id,
                    "offset": offset,
                    "error": type(exc).__name__,
                },
            )
            retries = _next_retry(retries, max_retries, base_delay, sleep, report_document_id, None, offset)
            continue
        response.close()
        if expected_length is not None and received < expected_length:
            # urllib3 normally raises on a short body; this covers hosts/adapters that do not.
            retries = _next_retry(retries, max_retries, base_delay, sleep, report_document_id, None, offset)
            continue
        break

    if decoder is None:
        # Fewer than two bytes in total: too short to be gzip.
        decoder = _Passthrough()
        yield from decoder.feed(head)
    yield from decoder.finish()


def _pick_decoder(head: bytes, report_document_id: str, chunk_size: int) -> _Gunzip | _Passthrough:
    if head.startswith(GZIP_MAGIC):
        return _Gunzip(report_document_id, chunk_size)
    return _Passthrough()


def _open(
    session: requests.Session,
    document: ReportDocument,
    offset: int,
    timeout: tuple[float, float],
    user_agent: str,
) -> requests.Response | None:
    headers = {"user-agent": user_agent, "accept-encoding": "identity, gzip"}
    if offset:
        headers["range"] = f"bytes={offset}-"
    try:
        return session.get(document.url, headers=headers, stream=True, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout):
        return None


def _bytes_to_skip(response: requests.Response, offset: int, report_document_id: str) -> int:
    if response.status_code == 200:
        return offset  # the host ignored Range: drop what we already have
    match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
    if not match or int(match.group(1)) != offset:
        response.close()
        raise ReportDocumentError(report_document_id, "the document host resumed at the wrong offset")
    return 0


def _expected_length(response: requests.Response, skip: int) -> int | None:
    value: Any = response.headers.get("content-length")
    if value is None or response.headers.get("content-encoding", "identity") not in ("identity", "gzip"):
        return None
    try:
        return max(0, int(value) - skip)
    except ValueError:
        return None


def _next_retry(
    retries: int,
    max_retries: int,
    base_delay: float,
    sleep: Callable[[float], None],
    report_document_id: str,
    status: int | None,
    offset: int,
) -> int:
    if retries >= max_retries:
        cause = f"HTTP {status}" if status else "broken or short downloads"
        raise ReportDocumentError(
            report_document_id, f"gave up after {retries + 1} attempts ({cause}; {offset} bytes read)"
        )
    sleep(random.random() * base_delay * 2**retries)
    return retries + 1
