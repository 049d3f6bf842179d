"""A stand-in for S3 as a Lambda function in the bucket's region sees it: a local HTTP server that speaks the
calls our store step makes, discards the bytes, and paces them like the real link.

moto measures moto (its CompleteMultipartUpload re-assembles every part in memory); this server measures the
shape of the real link instead. Each connection receives request bodies at no more than
`bandwidth_bytes_per_second`, and every response waits `latency_seconds` before its first byte. Objects are
kept as sizes only. Path-style addressing (`/bucket/key`), the calls:

    HeadObject, PutObject, DeleteObject, CreateBucket,
    CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload

Errors are S3's XML errors with S3's codes for the cases the store step can meet (NoSuchUpload, InvalidPart,
InvalidPartOrder, EntityTooSmall); any other call is answered 501 NotImplemented, so a benchmark that starts
making a call the stand-in does not model fails instead of measuring nothing.

Defaults, each with its source:

- `UPLOAD_BANDWIDTH`: 45 MB/s per connection. The estimated per-request maximum upload throughput to S3 in
  AWS's own Rust transfer manager ("Source: S3 team"), awslabs/aws-s3-transfer-manager-rs,
  aws-s3-transfer-manager/src/runtime/token_bucket.rs, `S3_MAX_PER_REQUEST_UPLOAD_THROUGHPUT`. The S3
  performance guide gives 85-90 MB/s per connection for downloads within a region
  (https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/horizontal-scaling-and-request-parallelization-for-high-throughput.html);
  the same source halves it for uploads.
- `FIRST_BYTE_LATENCY`: 30 ms per request. The estimated P50 request latency of S3 in the same file
  (`S3_P50_REQUEST_LATENCY`, "Source: S3 team"); the S3 whitepaper says the median latency of small requests
  is "often in the tens of milliseconds range"
  (https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/timeouts-and-retries-for-latency-sensitive-applications.html),
  and a measurement from Lambda in us-east-1 to S3 in us-east-1 found 60-133 ms for a whole 60 KB upload
  with boto3 (https://kkc.github.io/2020/03/16/s3-latency/).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

UPLOAD_BANDWIDTH = 45_000_000  # bytes per second per connection
FIRST_BYTE_LATENCY = 0.030  # seconds per request
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last (EntityTooSmall)
_BLOCK = 256 * 1024
_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass(frozen=True)
class LinkModel:
    """The link a function's requests to S3 cross: bandwidth per connection and latency per request."""

    bandwidth_bytes_per_second: float = UPLOAD_BANDWIDTH
    latency_seconds: float = FIRST_BYTE_LATENCY


@dataclass
class _Upload:
    bucket: str
    key: str
    headers: dict[str, str]
    parts: dict[int, tuple[int, str]] = field(default_factory=dict)  # number -> (size, ETag)


@dataclass(frozen=True)
class Call:
    """One request as the stand-in saw it (the headers a test may check; never a body)."""

    operation: str
    key: str
    headers: dict[str, str]
    body_bytes: int


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[tuple[str, str], int] = {}
        self.uploads: dict[str, _Upload] = {}
        self.calls: list[Call] = []
        self.connections = 0


_KEPT_HEADERS = (
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "content-type",
    "x-amz-checksum-algorithm",
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the bandwidth is per connection, as on the real link
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- requests --------------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        bucket, key, _query = self._target()
        with self.server.state.lock:
            size = self.server.state.objects.get((bucket, key))
        self._record("HeadObject", key, 0)
        if size is None:
            self._reply(404, b"", {"content-length": "0"}, head=True)
        else:
            self._reply(200, b"", {"content-length": str(size), "etag": '"standin"'}, head=True)

    def do_PUT(self) -> None:
        bucket, key, query = self._target()
        size, md5 = self._receive_body()
        if not key:
            self._record("CreateBucket", key, size)
            self._reply(200, b"")
            return
        if "uploadId" in query and "partNumber" in query:
            self._upload_part(key, query, size, md5)
            return
        if "x-amz-copy-source" in self.headers:
            self._error(501, "NotImplemented", "CopyObject is not modelled by the stand-in")
            return
        self._record("PutObject", key, size)
        with self.server.state.lock:
            self.server.state.objects[(bucket, key)] = size
        self._reply(200, b"", {"etag": f'"{md5}"', **self._checksum_echo()})

    def do_POST(self) -> None:
        bucket, key, query = self._target()
        body = self._read_small_body()
        if "uploads" in query:
            self._create_multipart_upload(bucket, key)
        elif "uploadId" in query:
            self._complete_multipart_upload(bucket, key, query["uploadId"][0], body)
        else:
            self._error(501, "NotImplemented", "this POST is not modelled by the stand-in")

    def do_DELETE(self) -> None:
        bucket, key, query = self._target()
        self._read_small_body()
        if "uploadId" in query:
            self._record("AbortMultipartUpload", key, 0)
            with self.server.state.lock:
                upload = self.server.state.uploads.pop(query["uploadId"][0], None)
            if upload is None:
                self._error(404, "NoSuchUpload", "The specified upload does not exist.")
                return
        else:
            self._record("DeleteObject", key, 0)
            with self.server.state.lock:
                self.server.state.objects.pop((bucket, key), None)
        self._reply(204, b"")

    # -- operations ------------------------------------------------------------------------------------
    def _create_multipart_upload(self, bucket: str, key: str) -> None:
        upload_id = uuid.uuid4().hex
        headers = self._kept_headers()
        self._record("CreateMultipartUpload", key, 0)
        with self.server.state.lock:
            self.server.state.uploads[upload_id] = _Upload(bucket, key, headers)
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="{_XMLNS}">'
            f"<Bucket>{bucket}</Bucket><Key>{_xml(key)}</Key><UploadId>{upload_id}</UploadId>"
            "</InitiateMultipartUploadResult>"
        ).encode()
        extra = {name: value for name, value in headers.items() if name.startswith("x-amz-")}
        self._reply(200, body, {"content-type": "application/xml", **extra})

    def _upload_part(self, key: str, query: dict[str, list[str]], size: int, md5: str) -> None:
        self._record("UploadPart", key, size)
        number = int(query["partNumber"][0])
        with self.server.state.lock:
            upload = self.server.state.uploads.get(query["uploadId"][0])
            if upload is not None:
                upload.parts[number] = (size, f'"{md5}"')
        if upload is None:
            self._error(404, "NoSuchUpload", "The specified upload does not exist.")
            return
        self._reply(200, b"", {"etag": f'"{md5}"', **self._checksum_echo()})

    def _complete_multipart_upload(self, bucket: str, key: str, upload_id: str, body: bytes) -> None:
        self._record("CompleteMultipartUpload", key, len(body))
        try:
            listed = [
                (_text(part, "PartNumber"), _text(part, "ETag"))
                for part in ElementTree.fromstring(body)  # noqa: S314 - our own benchmark client, on loopback
                if part.tag.endswith("Part")
            ]
            numbers = [(int(number or 0), etag) for number, etag in listed]
        except ElementTree.ParseError:
            self._error(400, "MalformedXML", "The XML you provided was not well-formed.")
            return
        with self.server.state.lock:
            upload = self.server.state.uploads.get(upload_id)
        if upload is None:
            self._error(404, "NoSuchUpload", "The specified upload does not exist.")
            return
        problem = _part_list_problem(numbers, upload.parts)
        if problem:
            self._error(400, *problem)
            return
        size = sum(upload.parts[number][0] for number, _etag in numbers)
        with self.server.state.lock:
            self.server.state.uploads.pop(upload_id, None)
            self.server.state.objects[(bucket, key)] = size
        etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}-{len(listed)}"'
        reply = (
            f'<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="{_XMLNS}">'
            f"<Location>/{bucket}/{_xml(key)}</Location><Bucket>{bucket}</Bucket><Key>{_xml(key)}</Key>"
            f"<ETag>{_xml(etag)}</ETag></CompleteMultipartUploadResult>"
        ).encode()
        self._reply(200, reply, {"content-type": "application/xml"})

    # -- plumbing --------------------------------------------------------------------------------------
    def _target(self) -> tuple[str, str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        bucket, _, key = parts.path.lstrip("/").partition("/")
        return unquote(bucket), unquote(key), parse_qs(parts.query, keep_blank_values=True)

    def _kept_headers(self) -> dict[str, str]:
        return {name: self.headers[name] for name in _KEPT_HEADERS if self.headers.get(name)}

    def _checksum_echo(self) -> dict[str, str]:
        return {
            name: value for name, value in self.headers.items() if name.lower().startswith("x-amz-checksum-")
        }

    def _record(self, operation: str, key: str, body_bytes: int) -> None:
        with self.server.state.lock:
            self.server.state.calls.append(Call(operation, key, self._kept_headers(), body_bytes))

    def _receive_body(self) -> tuple[int, str]:
        """Read the request body at the link's bandwidth, keeping nothing but its size and a cheap tag."""
        started = time.perf_counter()
        received = 0
        buffer = bytearray(_BLOCK)
        view = memoryview(buffer)
        for length in self._body_lengths():
            while length:
                got = self.rfile.readinto(view[: min(length, _BLOCK)])
                if not got:
                    raise ConnectionError("client closed the connection mid-body")
                length -= got
                received += got
                due = received / self.server.link.bandwidth_bytes_per_second
                ahead = due - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)
        # A unique tag per body, not an MD5 of it: hashing a gigabyte would put this server's CPU into the
        # client's measurement on a two-core machine.
        return received, uuid.uuid4().hex

    def _body_lengths(self) -> Iterator[int]:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                yield size
                self.rfile.readline()
        else:
            yield int(self.headers.get("content-length") or 0)

    def _read_small_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _reply(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, head: bool = False
    ) -> None:
        time.sleep(self.server.link.latency_seconds)
        self.send_response(status)
        headers = {"x-amz-request-id": uuid.uuid4().hex[:16], **(headers or {})}
        if "content-length" not in headers:
            headers["content-length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{_xml(message)}</Message></Error>"
        ).encode()
        self._reply(status, body, {"content-type": "application/xml"})


def _part_list_problem(
    listed: list[tuple[int, str]], uploaded: dict[int, tuple[int, str]]
) -> tuple[str, str] | None:
    """S3's CompleteMultipartUpload checks (Amazon S3 API Reference, CompleteMultipartUpload, "Special
    errors"): parts listed in ascending order, each uploaded with that ETag, every part but the last at
    least 5 MiB."""
    numbers = [number for number, _etag in listed]
    if not listed or numbers != sorted(set(numbers)):
        return "InvalidPartOrder", "The list of parts was not in ascending order."
    for index, (number, etag) in enumerate(listed):
        if number not in uploaded or uploaded[number][1] != etag:
            return "InvalidPart", "One or more of the specified parts could not be found."
        if index < len(listed) - 1 and uploaded[number][0] < MIN_PART_SIZE:
            return "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size."
    return None


def _text(element: ElementTree.Element, name: str) -> str:
    """A child's text, whether or not the document carries S3's namespace."""
    return element.findtext(f"{{{_XMLNS}}}{name}") or element.findtext(name) or ""


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, link: LinkModel) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.link = link
        self.state = _State()


class S3StandIn:
    """The running stand-in: its `url`, and what it saw (`calls`, `objects`, `open_uploads`)."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self.link = server.link

    @property
    def calls(self) -> list[Call]:
        with self._server.state.lock:
            return list(self._server.state.calls)

    @property
    def connections(self) -> int:
        return self._server.state.connections

    def object_size(self, bucket: str, key: str) -> int | None:
        with self._server.state.lock:
            return self._server.state.objects.get((bucket, key))

    def forget(self, bucket: str, key: str) -> None:
        with self._server.state.lock:
            self._server.state.objects.pop((bucket, key), None)

    def open_uploads(self) -> list[str]:
        with self._server.state.lock:
            return list(self._server.state.uploads)

    def forget_calls(self) -> None:
        with self._server.state.lock:
            self._server.state.calls.clear()


@contextmanager
def s3_standin(link: LinkModel | None = None) -> Iterator[S3StandIn]:
    """Serve the stand-in on a loopback port until the block ends."""
    server = _Server(link or LinkModel())
    thread = threading.Thread(target=server.serve_forever, name="s3-standin", daemon=True)
    thread.start()
    try:
        yield S3StandIn(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
