"""``RemoteEmulatorControl``: ``EmulatorControl`` over the deployed emulator's ``remote_control_routes``.

Every request is signed with SigV4 for the service ``lambda``, as an AWS_IAM function URL requires (Lambda
Developer Guide, "Control access to Lambda function URLs"). Documents too big for a function URL request or
response (6 MB, Lambda quotas) travel through the emulator's bucket: uploaded to a presigned PUT URL the
function hands out, downloaded from the presigned GET URL of the document's object. Presigned URLs are
credentials: they are used, never logged.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from sp_reports.handlers._endpoint_auth import SigV4RequestAuth
from spapi_emulator.control_protocol import DocumentView, ExchangeView, ReportView, SubscriptionView

# Above this, a document goes through the bucket: base64 grows it by a third and the request must stay
# under the function URL's 6 MB payload.
INLINE_DOCUMENT_LIMIT = 3 * 1024 * 1024
TIMEOUT_SECONDS = 60


def function_url_region(function_url: str, default: str = "us-east-1") -> str:
    """The region of ``https://<id>.lambda-url.<region>.on.aws/``; ``default`` for other (local) URLs."""
    labels = (urlsplit(function_url).hostname or "").split(".")
    return labels[labels.index("lambda-url") + 1] if "lambda-url" in labels[:-1] else default


class ControlError(RuntimeError):
    """A control route answered an error (its status and message)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when there was an answer


class RemoteEmulatorControl:
    """``session``: a boto3 (or botocore) session whose credentials may invoke the function URL
    (lambda:InvokeFunctionUrl); the region is the URL's, else ``region``, else the session's."""

    def __init__(self, function_url: str, session: Any, region: str | None = None) -> None:
        credentials = session.get_credentials()
        if credentials is None:
            raise ValueError("RemoteEmulatorControl: the session has no AWS credentials to sign with")
        default_region = region or getattr(session, "region_name", None) or "us-east-1"
        self.base_url = function_url.rstrip("/") + "/_emulator/v1/"
        self.session = requests.Session()
        self.session.auth = SigV4RequestAuth(credentials, function_url_region(function_url, default_region))

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        response = self.session.request(
            method,
            self.base_url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT_SECONDS,
        )
        if response.status_code != 200:
            message = response.text[:500]
            if response.status_code == 404 and '"message"' in message:
                raise KeyError(response.json()["message"])
            raise ControlError(
                f"{method} {path} answered {response.status_code}: {message}", response.status_code
            )
        return response.json()

    def _document_fields(self, content: bytes) -> dict:
        if len(content) <= INLINE_DOCUMENT_LIMIT:
            return {"document": base64.b64encode(content).decode("ascii")}
        upload = self._call("POST", "uploads")
        put = requests.put(upload["url"], data=content, timeout=TIMEOUT_SECONDS)
        if put.status_code != 200:
            raise ControlError(f"uploading the document to the emulator's bucket answered {put.status_code}")
        return {"document_key": upload["key"]}

    # -- EmulatorControl --------------------------------------------------------------------------------

    def register_app(self, client_id: str, client_secret: str, application_id: str | None = None) -> str:
        """Register an LWA application (what the in-process emulator's fixture does); its application id."""
        body = {"client_id": client_id, "client_secret": client_secret, "application_id": application_id}
        return self._call("POST", "apps", body)["application_id"]

    def register_seller(self, refresh_token: str, seller_id: str) -> None:
        self._call("POST", "sellers", {"refresh_token": refresh_token, "seller_id": seller_id})

    def authorize(self, client_id: str, seller_id: str, redirect_uri: str) -> str:
        """The seller consents to the application: the `spapi_oauth_code` for `redirect_uri`."""
        body = {"client_id": client_id, "seller_id": seller_id, "redirect_uri": redirect_uri}
        return self._call("POST", "authorizations", body)["code"]

    def deauthorize_seller(self, seller_id: str) -> None:
        self._call("POST", f"sellers/{quote(seller_id, safe='')}/deauthorize", {})

    def finish_report(self, report_id: str, status: str = "DONE", document: bytes | None = None) -> None:
        body = {"status": status, **({} if document is None else self._document_fields(document))}
        self._call("POST", f"reports/{quote(report_id, safe='')}/finish", body)

    def set_report_document(self, report_id: str, content: bytes) -> None:
        self._call("PUT", f"reports/{quote(report_id, safe='')}/document", self._document_fields(content))

    def open_settlements(self, seller_id: str, marketplace_id: str, period_start: datetime) -> list[str]:
        body = {
            "seller_id": seller_id,
            "marketplace_id": marketplace_id,
            "period_start": period_start.isoformat(),
        }
        return list(self._call("POST", "settlements", body)["made"])

    def report(self, report_id: str) -> ReportView:
        return ReportView(**self._call("GET", f"reports/{quote(report_id, safe='')}"))

    def document(self, report_document_id: str) -> DocumentView:
        found = self._call("GET", f"documents/{quote(report_document_id, safe='')}")
        download = requests.get(found["url"], timeout=TIMEOUT_SECONDS)
        if download.status_code != 200:
            raise ControlError(f"downloading the document answered {download.status_code}")
        stored = download.content
        # Decided by the bytes, as the emulator's own view is: some documents are flagged GZIP but are not.
        plain = gzip.decompress(stored) if stored.startswith(b"\x1f\x8b") else stored
        return DocumentView(found["report_document_id"], plain, found["compression"], found["charset_label"])

    def subscription(self, subscription_id: str) -> SubscriptionView:
        return SubscriptionView(**self._call("GET", f"subscriptions/{quote(subscription_id, safe='')}"))

    def exchanges(self) -> list[ExchangeView]:
        return [ExchangeView(**exchange) for exchange in self._call("GET", "exchanges")]

    def restricted_data_tokens(self) -> list[str]:
        return list(self._call("GET", "restricted-data-tokens"))

    @contextmanager
    def hold_notifications(self) -> Iterator[list[str]]:
        """As ``EmulatorControl.hold_notifications``; the list is filled when the block ends (the emulator
        keeps what it held until then)."""
        held: list[str] = []
        self._call("PUT", "notifications/hold")
        try:
            yield held
        finally:
            held.extend(self._call("DELETE", "notifications/hold")["held"])

    def contract_violations(self) -> list[str]:
        return list(self._call("GET", "contract-violations"))

    def notification_errors(self) -> list[str]:
        return list(self._call("GET", "notification-errors"))
