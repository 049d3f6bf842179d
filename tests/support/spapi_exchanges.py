"""Test doubles for boundaries the emulator cannot produce (malformed replies, 502/504, broken streams)."""

from __future__ import annotations

import requests


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers requests with the given (status, body, headers) in order; the last one repeats."""

    def __init__(self, replies: list[tuple[int, bytes, dict[str, str]]]) -> None:
        super().__init__()
        self.replies = replies
        self.calls = 0
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        status, body, headers = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        self.requests.append(request)
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers.update(headers)
        response.request = request
        response.url = request.url
        return response

    def close(self) -> None:
        pass


def spapi_exchanges(emulator, operation: str) -> list:
    """The emulator's recorded SP-API exchanges for one operationId, in order."""
    return [e for e in emulator.exchanges if e.kind == "spapi" and e.operation_id == operation]


def make_clients(session: requests.Session, sleep=lambda _s: None):
    """(lwa, http, reports) wired to whatever SPAPI_ENDPOINT_URL/LWA_ENDPOINT_URL point at."""
    from sp_reports.spapi.credentials import AppCredentials
    from sp_reports.spapi.http import SpApiHttpClient
    from sp_reports.spapi.lwa import LwaClient
    from sp_reports.spapi.regions import spapi_endpoint
    from sp_reports.spapi.reports import ReportsClient
    from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

    lwa = LwaClient(AppCredentials(CLIENT_ID, CLIENT_SECRET), session=session, sleep=sleep)
    http = SpApiHttpClient(spapi_endpoint("NA"), session=session, sleep=sleep)
    return lwa, http, ReportsClient(http, lwa.seller_token_provider(REFRESH_TOKEN))


class DocumentHost:
    """A tiny S3 stand-in on 127.0.0.1 serving one body, for what the emulator does not do: a host that
    ignores Range, or arbitrary (corrupt) bodies. The emulator itself cuts downloads and honours Range.

    `cut_after`: bytes to send before dropping the connection on the first request (Content-Length stays
    the full size, so the client sees a short read). `honour_range`: answer Range with 206 (S3) or ignore it.
    """

    def __init__(self, body: bytes, cut_after: int | None = None, honour_range: bool = True) -> None:
        import http.server
        import threading

        host = self
        self.body = body
        self.cut_after = cut_after
        self.honour_range = honour_range
        self.ranges: list[str | None] = []
        self.headers_seen: list[dict[str, str]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:
                range_header = self.headers.get("Range")
                host.ranges.append(range_header)
                host.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
                first = len(host.ranges) == 1
                start = 0
                if range_header and host.honour_range:
                    start = int(range_header.removeprefix("bytes=").rstrip("-"))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(host.body) - 1}/{len(host.body)}")
                else:
                    self.send_response(200)
                payload = host.body[start:]
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                if first and host.cut_after is not None:
                    self.wfile.write(payload[: host.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/doc?X-Amz-Signature=CANARY-sig"

    def __enter__(self) -> DocumentHost:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class StaticDocuments:
    """Stands in for ReportsClient.get_report_document when the document lives on a DocumentHost."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.calls = 0

    def get_report_document(self, report_document_id: str):
        from sp_reports.spapi.reports import ReportDocument

        self.calls += 1
        return ReportDocument(report_document_id, self.url, "GZIP")
