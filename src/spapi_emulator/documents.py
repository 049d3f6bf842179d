"""The document host: signed, expiring URLs (an S3 presigned-URL stand-in) and the download route.

`GET /_documents/<reportDocumentId>?expires=<epoch>&ce=<identity|gzip>&sig=<hmac>`: a URL expires after the
configured TTL (SP-API: 5 minutes) and then answers 403 with S3's `AccessDenied` "Request has expired" XML; a
tampered URL answers 403 `SignatureDoesNotMatch`. `ce=gzip` (from getReportDocument's
enableContentEncodingUrlHeader) adds `Content-Encoding: gzip` to GZIP documents.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from .app import EmulatorApp

DOCUMENTS_PREFIX = "/_documents/"


def s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return Response(body, status=status, content_type="application/xml")


class DocumentHost:
    def __init__(self, app: EmulatorApp) -> None:
        self._app = app
        self._key = secrets.token_bytes(32)

    def url(self, host_url: str, document_id: str, content_encoding: bool) -> str:
        app = self._app
        expires = int(app.wall() + app.config.document_url_ttl)
        if app.faults.take_document_fault("expire_urls_immediately"):
            expires = int(app.wall()) - 1
        encoding = "gzip" if content_encoding else "identity"
        query = f"expires={expires}&ce={encoding}&sig={self._sign(document_id, expires, encoding)}"
        return f"{host_url.rstrip('/')}{DOCUMENTS_PREFIX}{document_id}?{query}"

    def _sign(self, document_id: str, expires: int, encoding: str) -> str:
        message = f"{document_id}\n{expires}\n{encoding}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def handle_download(self, request: Request) -> Response:
        app = self._app
        document_id = request.path[len(DOCUMENTS_PREFIX) :]
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
        if int(expires) < app.wall():
            return s3_error(403, "AccessDenied", "Request has expired")
        delay = app.faults.take_delay("downloadDocument")
        if delay:
            time.sleep(delay)
        injected = app.faults.take_status("downloadDocument")
        if injected:
            return s3_error(injected, "SlowDown" if injected == 503 else "InternalError", "Injected fault.")
        with app.state.lock:
            document = app.state.documents.get(document_id)
        if document is None:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        content = document.content
        if document.compression == "GZIP" and app.faults.take_document_fault("plain_labelled_gzip"):
            content = document.plain
        elif app.faults.take_document_fault("truncated_gzip"):
            content = content[: max(1, len(content) // 2)]
        response = Response(content, status=200, content_type="application/octet-stream")
        if encoding == "gzip" and document.compression == "GZIP":
            response.headers["Content-Encoding"] = "gzip"
        response.headers["x-amz-request-id"] = uuid.uuid4().hex[:16].upper()
        return response
