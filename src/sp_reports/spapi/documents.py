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
- Only a URL sp_reports.spapi.regions.document_url_allowed accepts is fetched (https on Amazon S3;
ReportsClient refuses
  any other), and redirects are not followed: a 3xx answer is a failed download, so the host SP-API named is
  the only one ever asked (S3 serves a presigned GET directly, it does not redirect it).
- The download's Content-Type (which names the document's charset, sp_reports.spapi.charsets) is kept on the
stream
  from the first answer that carries the body: `ReportDocumentStream.content_type`.
"""

from __future__ import annotations

import logging
import random
import re
import time
import zlib
from collections.abc import Callable, Generator, Iterator
from typing import Any

import requests
import urllib3.exceptions

try:
    from isal import isal_zlib as inflate_module
except ImportError:  # an interpreter the zip's compiled wheel is not for (the benchmark's, some dev machines)
    inflate_module = zlib  # type: ignore[assignment]

from sp_reports.spapi.errors import ReportDocumentError, redact
from sp_reports.spapi.http import DEFAULT_USER_AGENT, default_session
from sp_reports.spapi.reports import ReportDocument, ReportsClient

logger = logging.getLogger("sp_reports.spapi.documents")


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


_INFLATE_ERRORS = (zlib.error, inflate_module.error)


def _inflater() -> Any:
    """A gzip-member inflater. ISA-L's (python-isal, the same API as zlib's; the zips carry its wheel for the
    function's architecture) inflates our 1 GiB benchmark report 2.3 times faster than zlib; the store step
    is CPU-bound on Lambda, where a 512 MB function has 0.29 vCPU, so inflating is most of its duration and
    cost (docs/benchmarks.md). zlib stands in where the wheel cannot load: same bytes out, only slower."""
    return inflate_module.decompressobj(16 + zlib.MAX_WBITS)


class _Gunzip:
    """Incremental gunzip with bounded output per step; handles multi-member gzip files."""

    def __init__(self, document_id: str, chunk_size: int) -> None:
        self._document_id = document_id
        self._chunk_size = chunk_size
        self._inflater = _inflater()

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._inflater.decompress(data, self._chunk_size)
            except _INFLATE_ERRORS as exc:
                raise ReportDocumentError(self._document_id, f"corrupt gzip data ({exc})") from None
            if out:
                yield out
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if not rest.strip(b"\x00"):
                    return  # trailing NUL padding after the last member, as gzip(1) tolerates
                if not rest.startswith(GZIP_MAGIC[: len(rest)]):
                    raise ReportDocumentError(self._document_id, "unexpected bytes after the gzip stream")
                self._inflater = _inflater()
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


class ReportDocumentStream(Iterator[bytes]):
    """The document's (decompressed) bytes in chunks, the Content-Type its download was served with, and the
    compressionAlgorithm getReportDocument named.

    Nothing is fetched before the first chunk is asked for; `content_type`, `content_length` and
    `compression_algorithm` are None until then (and when the host sent none, or the document is not
    compressed)."""

    def __init__(self, chunks: Callable[[ReportDocumentStream], Iterator[bytes]]) -> None:
        self.content_type: str | None = None
        # The download's Content-Length: the bytes served (compressed, when the document is), not the
        # document's size once gunzipped. getReportDocument names no size; this is the first one known.
        self.content_length: int | None = None
        self.compression_algorithm: str | None = None
        self.opened = False
        self._chunks = chunks(self)

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        """Stop reading (closes the open download, as closing a generator does)."""
        self._chunks.close()


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
) -> ReportDocumentStream:
    """The (decompressed) document in chunks of at most about `chunk_size` bytes.

    Each attempt opens the document (a refused URL is refreshed, a transient answer retried), reads it from
    where the last attempt stopped, and decodes what arrives; an attempt that breaks off is retried."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")

    def chunks(stream: ReportDocumentStream) -> Iterator[bytes]:
        return _read_document(
            stream,
            reports_client,
            report_document_id,
            chunk_size,
            session,
            timeout,
            user_agent,
            _Retries(report_document_id, max_url_refreshes, max_retries, base_delay, sleep),
        )

    return ReportDocumentStream(chunks)


def _read_document(
    stream: ReportDocumentStream,
    reports_client: ReportsClient,
    report_document_id: str,
    chunk_size: int,
    session: requests.Session | None,
    timeout: tuple[float, float],
    user_agent: str,
    retries: _Retries,
) -> Iterator[bytes]:
    download = _Download(
        reports_client,
        report_document_id,
        chunk_size,
        session if session is not None else default_session(),
        timeout,
        user_agent,
        retries,
    )
    decoder = _SniffingDecoder(report_document_id, chunk_size)
    while True:
        response = download.open()
        if response is None:
            continue  # refused or transient: the URL was refreshed or the retry paced
        if not stream.opened:
            stream.opened = True
            stream.content_type = response.headers.get("content-type")
            stream.content_length = _expected_length(response, 0) if response.status_code == 200 else None
            stream.compression_algorithm = download.compression_algorithm
        complete = yield from download.read(response, decoder)
        if complete:
            break
    yield from decoder.finish()


class _SniffingDecoder:
    """Gunzips or passes through, decided by the first two bytes (held until they have arrived)."""

    def __init__(self, report_document_id: str, chunk_size: int) -> None:
        self._report_document_id = report_document_id
        self._chunk_size = chunk_size
        self._decoder: _Gunzip | _Passthrough | None = None
        self._head = b""  # the first bytes, held until we know whether they are gzip

    def feed(self, raw: bytes) -> Iterator[bytes]:
        if self._decoder is None:
            self._head += raw
            if len(self._head) < len(GZIP_MAGIC):
                return
            self._decoder = _pick_decoder(self._head, self._report_document_id, self._chunk_size)
            raw, self._head = self._head, b""
        yield from self._decoder.feed(raw)

    def finish(self) -> Iterator[bytes]:
        if self._decoder is None:
            # Fewer than two bytes in total: too short to be gzip.
            self._decoder = _Passthrough()
            yield from self._decoder.feed(self._head)
        yield from self._decoder.finish()


class _Retries:
    """The download's budgets: fresh URLs when the host refuses one, retries of transient or broken
    attempts (with full-jitter backoff)."""

    def __init__(
        self,
        report_document_id: str,
        max_url_refreshes: int,
        max_retries: int,
        base_delay: float,
        sleep: Callable[[float], None],
    ) -> None:
        self._report_document_id = report_document_id
        self._max_url_refreshes = max_url_refreshes
        self._max_retries = max_retries
        self._base_delay = base_delay
        self._sleep = sleep
        self._refreshes = 0
        self._retries = 0

    def url_refused(self, status: int) -> None:
        """Count a refused URL; raise when the host kept refusing fresh ones."""
        if self._refreshes >= self._max_url_refreshes:
            raise ReportDocumentError(
                self._report_document_id, f"the document host kept refusing fresh URLs (HTTP {status})"
            )
        self._refreshes += 1

    def pause(self, status: int | None, offset: int) -> None:
        """Sleep before another attempt; raise when the retries are spent."""
        self._retries = _next_retry(
            self._retries,
            self._max_retries,
            self._base_delay,
            self._sleep,
            self._report_document_id,
            status,
            offset,
        )


class _Download:
    """The attempts at one document: where the next one starts (`offset`) and with which URL."""

    def __init__(
        self,
        reports_client: ReportsClient,
        report_document_id: str,
        chunk_size: int,
        session: requests.Session,
        timeout: tuple[float, float],
        user_agent: str,
        retries: _Retries,
    ) -> None:
        self._reports = reports_client
        self._report_document_id = report_document_id
        self._chunk_size = chunk_size
        self._session = session
        self._timeout = timeout
        self._user_agent = user_agent
        self._retries = retries
        self._document = reports_client.get_report_document(report_document_id)
        self.offset = 0  # raw (compressed) bytes consumed so far: where a resumed download starts

    @property
    def compression_algorithm(self) -> str | None:
        return self._document.compression_algorithm

    def open(self) -> requests.Response | None:
        """The response to read from; None when this attempt is over before reading (the URL was refused and
        refreshed, or the answer was transient and the retry paced). Raises on any other answer."""
        response = _open(self._session, self._document, self.offset, self._timeout, self._user_agent)
        status = response.status_code if response is not None else None
        if status in _URL_REFUSED:
            response.close()
            self._retries.url_refused(status)
            logger.info(
                "report document URL refused, fetching a fresh one",
                extra={
                    "report_document_id": self._report_document_id,
                    "status": status,
                    "offset": self.offset,
                },
            )
            self._document = self._reports.get_report_document(self._report_document_id)
            return None
        if response is None or status in _TRANSIENT:
            if response is not None:
                response.close()
            self._retries.pause(status, self.offset)
            return None
        if status not in (200, 206):
            response.close()
            raise ReportDocumentError(self._report_document_id, f"the document host answered HTTP {status}")
        return response

    def read(self, response: requests.Response, decoder: _SniffingDecoder) -> Generator[bytes, None, bool]:
        """Yield the decoded chunks of the response's body from `offset` on; return True when the body was
        read whole, False when it broke off or came short (the retry paced)."""
        skip = _bytes_to_skip(response, self.offset, self._report_document_id) if self.offset else 0
        expected_length = _expected_length(response, skip)
        received = 0
        try:
            for raw in response.raw.stream(self._chunk_size, decode_content=False):
                if skip:
                    dropped = min(skip, len(raw))
                    raw = raw[dropped:]
                    skip -= dropped
                    if not raw:
                        continue
                received += len(raw)
                self.offset += len(raw)
                yield from decoder.feed(raw)
        except _BROKEN_DOWNLOAD as exc:
            response.close()
            logger.warning(
                "report document download broke, resuming",
                extra={
                    "report_document_id": self._report_document_id,
                    "offset": self.offset,
                    "error": type(exc).__name__,
                },
            )
            self._retries.pause(None, self.offset)
            return False
        response.close()
        if expected_length is not None and received < expected_length:
            # urllib3 normally raises on a short body; this covers hosts/adapters that do not.
            self._retries.pause(None, self.offset)
            return False
        return True


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
        return session.get(document.url, headers=headers, stream=True, timeout=timeout, allow_redirects=False)
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
