"""``/_emulator/v1/...``: ``EmulatorControl`` over the deployed emulator's function URL (for ``remote``).

JSON in and out; bytes travel base64-encoded, or - when too big for a function URL request or response
(6 MB, Lambda quotas) - as objects of the emulator's bucket: ``POST uploads`` hands out a presigned PUT URL
for a document to be set, and a document view names a presigned GET URL of the document's object.

Routes (``{id}`` URL-encoded):
- ``POST apps`` ``{client_id, client_secret, application_id?}``;
  ``POST sellers`` ``{refresh_token, seller_id}``;
  ``POST authorizations`` ``{client_id, seller_id, redirect_uri}`` -> ``{code}`` (a seller's consent)
  ``POST sellers/{id}/deauthorize`` (sends APPLICATION_OAUTH_CHANGED)
- ``POST uploads`` -> ``{key, url}``
- ``POST reports/{id}/finish`` ``{status, document?|document_key?}``;
  ``PUT reports/{id}/document`` ``{document|document_key}``; ``GET reports/{id}``
- ``POST settlements`` ``{seller_id, marketplace_id, period_start}`` -> ``{made: [report ids]}`` (a seller's
  settlements begin)
- ``GET documents/{id}``, ``GET subscriptions/{id}``, ``GET exchanges``, ``GET restricted-data-tokens``,
  ``GET contract-violations``, ``GET notification-errors``
- ``PUT notifications/hold``; ``DELETE notifications/hold`` -> ``{held: [...]}`` (delivery resumes)

An unknown id answers 404, a bad request 400, each with ``{"message": ...}`` saying what to fix.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote

from spapi_emulator.app import Exchange
from spapi_emulator.settlements import SettlementAccount
from spapi_emulator.state import EmulatorState, Report

PREFIX = "/_emulator/v1/"
UPLOADS_PREFIX = "uploads/"
URL_TTL_SECONDS = 900


class DeployedEmulator(Protocol):
    """What the control routes use of the emulator deployed as a Lambda (lambda_function.StoredEmulatorApp):
    its state and documents set ahead, its S3 client and bucket, and the report and seller controls."""

    state: EmulatorState
    report_documents: MutableMapping[str, Any]
    exchanges: list[Exchange]
    notification_errors: list[str]
    held_notifications: list[str] | None
    s3: Any
    bucket: str

    def monotonic(self) -> float: ...

    def report(self, report_id: str) -> Report: ...

    def finish_report(self, report_id: str, status: str = "DONE", document: bytes | None = None) -> None: ...

    def deauthorize_seller(self, seller_id: str) -> int: ...

    def open_settlements(self, account: SettlementAccount) -> None: ...

    def contract_violations(self) -> list[str]: ...


class _BadRequest(Exception):
    status = 400


class _NotFound(Exception):
    status = 404


def handle(app: DeployedEmulator, event: dict) -> dict:
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "GET")).upper()
    parts = [unquote(part) for part in (event.get("rawPath") or "")[len(PREFIX) :].split("/") if part]
    try:
        body = _body(event)
        status, payload = 200, _route(app, method, parts, body)
    except (_BadRequest, _NotFound) as error:
        status, payload = error.status, {"message": str(error)}
    except KeyError as error:
        status, payload = 404, {"message": str(error.args[0]) if error.args else "not found"}
    except ValueError as error:
        status, payload = 400, {"message": str(error)}
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }


def _body(event: dict) -> dict:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        raise _BadRequest(f"the body must be JSON: {error}") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    return body


def _field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise _BadRequest(f"{name}: a non-empty string is required")
    return value


def _document(app: DeployedEmulator, body: dict, required: bool) -> Any:
    """The document a request carries: bytes (``document``, base64) or an uploaded object's key."""
    if "document_key" in body:
        key = _field(body, "document_key")
        if not key.startswith(UPLOADS_PREFIX):
            raise _BadRequest("document_key: a key from POST uploads is required")
        return key
    if body.get("document") is None:
        if required:
            raise _BadRequest("document (base64) or document_key is required")
        return None
    try:
        return base64.b64decode(_field(body, "document"), validate=True)
    except binascii.Error:
        raise _BadRequest("document: base64 is required") from None


def _route(app: DeployedEmulator, method: str, parts: list[str], body: dict) -> Any:
    # The second segment is an id, except in notifications/hold.
    has_id = len(parts) > 1 and parts[0] != "notifications"
    route = (method, *parts[:1], "{id}", *parts[2:]) if has_id else (method, *parts)
    ident = parts[1] if len(parts) > 1 else ""
    if route == ("POST", "apps"):
        registered = app.state.register_app(
            _field(body, "client_id"), _field(body, "client_secret"), body.get("application_id")
        )
        return {"application_id": registered.application_id}
    if route == ("POST", "sellers"):
        app.state.register_seller(_field(body, "refresh_token"), _field(body, "seller_id"))
        return {}
    if route == ("POST", "authorizations"):
        try:
            code = app.state.issue_authorization_code(
                _field(body, "client_id"),
                _field(body, "seller_id"),
                _field(body, "redirect_uri"),
                app.monotonic(),
            )
        except KeyError as missing:
            raise _BadRequest(str(missing.args[0])) from None
        return {"code": code}
    if route == ("POST", "sellers", "{id}", "deauthorize"):
        if not app.deauthorize_seller(ident):
            raise _NotFound(f"unknown seller {ident}, or already deauthorised")
        return {}
    if route == ("POST", "settlements"):
        try:
            period_start = datetime.fromisoformat(_field(body, "period_start"))
        except ValueError:
            raise _BadRequest("period_start: expected an ISO 8601 date-time with its offset") from None
        if period_start.tzinfo is None:
            raise _BadRequest("period_start: expected an ISO 8601 date-time with its offset")
        account = SettlementAccount(_field(body, "seller_id"), _field(body, "marketplace_id"), period_start)
        app.open_settlements(account)
        return {"made": list(account.made)}
    if route == ("POST", "uploads"):
        key = f"{UPLOADS_PREFIX}{uuid.uuid4()}"
        url = app.s3.generate_presigned_url(
            "put_object", Params={"Bucket": app.bucket, "Key": key}, ExpiresIn=URL_TTL_SECONDS
        )
        return {"key": key, "url": url}
    if route == ("POST", "reports", "{id}", "finish"):
        status = _field(body, "status")
        document = _document(app, body, required=False)
        if isinstance(document, str):
            document = app.s3.get_object(Bucket=app.bucket, Key=document)["Body"].read()
        app.finish_report(ident, status, document)
        return {}
    if route == ("PUT", "reports", "{id}", "document"):
        app.report(ident)  # 404 for an unknown report
        with app.state.lock:
            app.report_documents[ident] = _document(app, body, required=True)
        return {}
    if route == ("GET", "reports", "{id}"):
        report = app.report(ident)
        return {
            "report_id": report.report_id,
            "seller_id": report.seller_id,
            "report_type": report.report_type,
            "processing_status": report.processing_status,
            "report_document_id": report.report_document_id,
        }
    if route == ("GET", "documents", "{id}"):
        document = _known(app.state.documents, ident, "report document")
        url = app.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": app.bucket, "Key": f"documents/{ident}"},
            ExpiresIn=URL_TTL_SECONDS,
        )
        return {
            "report_document_id": document.report_document_id,
            "compression": document.compression,
            "charset_label": document.charset_label,
            "url": url,
        }
    if route == ("GET", "subscriptions", "{id}"):
        subscription = _known(app.state.subscriptions, ident, "subscription")
        destination = _known(app.state.destinations, subscription.destination_id, "destination")
        return {
            "subscription_id": subscription.subscription_id,
            "seller_id": subscription.seller_id,
            "notification_type": subscription.notification_type,
            "destination_id": subscription.destination_id,
            "destination_arn": destination.arn,
        }
    if route == ("GET", "exchanges"):
        return [
            {
                "kind": exchange.kind,
                "operation_id": exchange.operation_id,
                "method": exchange.method,
                "path": exchange.path,
                "status": exchange.status,
                "request_body": None
                if exchange.request_body is None
                else exchange.request_body.decode("utf-8", "replace"),
            }
            for exchange in app.exchanges
        ]
    if route == ("GET", "restricted-data-tokens"):
        return [token for token, grant in app.state.access_tokens.items() if grant.kind == "restricted"]
    if route == ("GET", "contract-violations"):
        return app.contract_violations()
    if route == ("GET", "notification-errors"):
        return list(app.notification_errors)
    if route == ("PUT", "notifications", "hold"):
        if app.held_notifications is None:
            app.held_notifications = []
        return {}
    if route == ("DELETE", "notifications", "hold"):
        held, app.held_notifications = app.held_notifications or [], None
        return {"held": held}
    raise _NotFound(f"no control route {method} {PREFIX}{'/'.join(parts)}")


def _known(mapping: dict, ident: str, what: str) -> Any:
    try:
        return mapping[ident]
    except KeyError:
        raise _NotFound(f"unknown {what} {ident}") from None


__all__ = ["PREFIX", "handle"]
