"""The document host: signed, expiring URLs (an S3 presigned-URL stand-in) and the download route.

`GET /_documents/<reportDocumentId>?expires=<epoch>&ce=<identity|gzip>&sig=<hmac>`: a URL expires after the
configured TTL (SP-API: 5 minutes) and then answers 403 with S3's `AccessDenied` "Request has expired" XML; a
tampered URL answers 403 `SignatureDoesNotMatch`. The Content-Type names the document's charset as SP-API
does for its marketplace (document_charsets). `ce=gzip` (from getReportDocument's
enableContentEncodingUrlHeader) adds `Content-Encoding: gzip` to GZIP documents.

Range requests, as S3 GetObject serves them (SP-API's document URLs are S3 presigned URLs), per RFC 9110
section 14 ("Range Requests"): one `bytes=first-last`, `bytes=first-` or `bytes=-suffix` range of the stored
bytes answers 206 with `Content-Range: bytes first-last/length`; a range starting at or past the end (or an
empty suffix) answers 416 with `Content-Range: bytes */length` (section 15.5.17) and S3's error code
`InvalidRange` (S3's "Error responses" list; its message wording was not retrieved here); anything else
(another unit, a malformed or a multi-range header) is ignored with a 200 of the whole body, as section 14.2
allows - "Amazon S3 doesn't support retrieving multiple ranges of data per GET request" (S3 GetObject
reference, Range), and what it answers then is unconfirmed. Every answer says `Accept-Ranges: bytes`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid

from werkzeug.wrappers import Request, Response

from spapi_emulator import document_charsets
from spapi_emulator.context import EmulatorContext

# The path of the expiring document URLs the emulator serves (SP-API's are presigned S3 URLs on another host).
DOCUMENT_URL_PATH = "/_documents/"
_BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
UNSATISFIABLE = "unsatisfiable"


def byte_range(header: str | None, length: int) -> tuple[int, int] | str | None:
    """The (first, last) bytes a Range header asks of a `length`-byte body (RFC 9110 section 14.1.2),
    `UNSATISFIABLE`, or None when the header is absent or to be ignored."""
    if not header:
        return None
    match = _BYTE_RANGE.match(header.strip().replace(" ", ""))
    if match is None:  # another unit, several ranges, or malformed: ignored
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0 or length == 0:
            return UNSATISFIABLE
        return max(0, length - suffix), length - 1
    first = int(first_text)
    last = int(last_text) if last_text else length - 1
    if last_text and last < first:
        return None  # invalid range-spec: the header is ignored
    if first >= length:
        return UNSATISFIABLE
    return first, min(last, length - 1)


def s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return Response(body, status=status, content_type="application/xml")


class DocumentHost:
    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self._key = secrets.token_bytes(32)

    def url(self, host_url: str, document_id: str, content_encoding: bool) -> str:
        context = self.context
        expires = int(context.wall() + context.config.document_url_ttl)
        if context.faults.take_document_fault("expire_urls_immediately"):
            expires = int(context.wall()) - 1
        encoding = "gzip" if content_encoding else "identity"
        query = f"expires={expires}&ce={encoding}&sig={self._sign(document_id, expires, encoding)}"
        return f"{host_url.rstrip('/')}{DOCUMENT_URL_PATH}{document_id}?{query}"

    def _sign(self, document_id: str, expires: int, encoding: str) -> str:
        message = f"{document_id}\n{expires}\n{encoding}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def handle_download(self, request: Request) -> Response:
        context = self.context
        document_id = request.path[len(DOCUMENT_URL_PATH) :]
        if request.method != "GET":
            return s3_error(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        expires, encoding, signature = (request.args.get(k, "") for k in ("expires", "ce", "sig"))
        if not expires.isdigit() or not hmac.compare_digest(
            self._sign(document_id, int(expires), encoding), signature
        ):
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if int(expires) < context.wall():
            return s3_error(403, "AccessDenied", "Request has expired")
        delay = context.faults.take_delay("downloadDocument")
        if delay:
            time.sleep(delay)
        injected = context.faults.take_status("downloadDocument")
        if injected:
            return s3_error(injected, "SlowDown" if injected == 503 else "InternalError", "Injected fault.")
        with context.state.lock:
            document = context.state.documents.get(document_id)
        if document is None:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        content = document.content
        if document.compression == "GZIP" and context.faults.take_document_fault("plain_labelled_gzip"):
            content = document.plain
        elif context.faults.take_document_fault("truncated_gzip"):
            content = content[: max(1, len(content) // 2)]
        wanted = byte_range(request.headers.get("Range"), len(content))
        if wanted == UNSATISFIABLE:
            response = s3_error(416, "InvalidRange", "The requested range is not satisfiable")
            response.headers["Content-Range"] = f"bytes */{len(content)}"
            return response
        status, body = 200, content
        if isinstance(wanted, tuple):
            first, last = wanted
            status, body = 206, content[first : last + 1]
        cut = context.faults.take_cut()
        # With a cut the server sends fewer bytes than it promised, then closes the connection (it closes
        # every connection after its answer): the client sees a download broken mid-body.
        response = Response(
            body if cut is None else body[:cut],
            status=status,
            content_type=document_charsets.content_type(document.charset_label),
        )
        response.headers["Content-Length"] = str(len(body))
        response.headers["Accept-Ranges"] = "bytes"
        if isinstance(wanted, tuple):
            response.headers["Content-Range"] = f"bytes {wanted[0]}-{wanted[1]}/{len(content)}"
        if encoding == "gzip" and document.compression == "GZIP":
            response.headers["Content-Encoding"] = "gzip"
        response.headers["x-amz-request-id"] = uuid.uuid4().hex[:16].upper()
        return response
