"""The SP-API + LWA emulator as a WSGI application.

Routes:
- `POST /auth/o2/token`: Login with Amazon (form-encoded or JSON), grants `refresh_token` and
  `client_credentials` (scope `sellingpartnerapi::notifications`), with LWA's error bodies.
- Reports 2021-06-30: createReport, getReports, getReport, cancelReport, getReportDocument.
- Notifications v1: destinations and subscriptions (see the operation table in `_HANDLERS`).
- `GET /_documents/<reportDocumentId>?expires=…&sig=…`: the "presigned" document URL (S3 stand-in).

Every SP-API request is matched and validated against the official models (`contract.ModelContract`); an
invalid one gets 400 `InvalidInput` with the violation, as SP-API answers. Every response carries
`x-amzn-RequestId`, plus `x-amzn-RateLimit-Limit` where the model declares it for that status, and the
emulator checks its own responses against the model too (a violation becomes a 500 so tests notice).

Authorisation choices (the models declare 403 for every operation but 401 only for Reports):
- a missing, unknown, expired or revoked `x-amz-access-token` answers 403 `Unauthorized` "Access to
  requested resource is denied." (the reason in `details`): what SP-API returns, and declared everywhere;
- a grantless token on a seller operation, or a seller token on a grantless one, answers the same 403;
- a missing or over-long (> 500 characters) `user-agent` answers 400 `InvalidInput`.

Deliberately not supported (they answer 404 `NotFound` "… is not supported by the emulator"):
- report schedules (the pipeline creates reports on demand only) and sendTestNotification (sandbox-only);
- eventBridge destinations and `processingDirective` (REPORT_PROCESSING_FINISHED has no event filter and the
  pipeline delivers to SQS only) answer 400 `InvalidInput` naming the field.

Other choices: deleteDestination on a destination with subscriptions answers 403 `Unauthorized` with
details "Destination has subscriptions" (the code observed on SP-API, selling-partner-api-models#2113).
Subscriptions are unique per application, seller, notification type and payload version; a duplicate
answers 409 `StateConflict`.
LWA exchanges are counted per grant type whether or not they succeed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from . import state as st
from .contract import ContractViolation, ModelContract, OperationMatch
from .faults import FaultSwitches
from .ratelimit import RateLimiter

logger = logging.getLogger(__name__)

LWA_PATH = "/auth/o2/token"
DOCUMENTS_PREFIX = "/_documents/"
REPORT_PROCESSING_FINISHED = "REPORT_PROCESSING_FINISHED"
NOTIFICATION_VERSION = "2020-09-04"

GRANTLESS_OPERATIONS = frozenset(
    {
        "createDestination",
        "getDestinations",
        "getDestination",
        "deleteDestination",
        "getSubscriptionById",
        "deleteSubscriptionById",
        "sendTestNotification",
    }
)

# Marketplaces SP-API knows (spapi-facts.md §5); createReport rejects others as SP-API does.
KNOWN_MARKETPLACES = frozenset(
    {
        # NA
        "ATVPDKIKX0DER",
        "A2EUQ1WTGCTBG2",
        "A1AM78C64UM0Y8",
        "A2Q3Y263D00KWC",
        # EU
        "A1F83G8C2ARO7P",
        "A1PA6795UKMFR9",
        "A13V1IB3VIYZZH",
        "APJ6JRA9NG5V4",
        "A1RKKUPIHCS9HS",
        "A1805IZSGTT6HS",
        "A2NODRKZP88ZB9",
        "A1C3SOZRARQ6R3",
        "A33AVAJ2PDY3EV",
        "A2VIGQ35RCS4UG",
        "A21TJRUUN4KGV",
        "ARBP9OOSHTCHU",
        # FE
        "A1VC38T7YXB528",
        "A39IBJ37TRP1C6",
        "A19VAU5U5O7RUS",
    }
)

_FAULT_BODIES = {
    400: ("InvalidInput", "Invalid input."),
    403: ("Unauthorized", "Access to requested resource is denied."),
    404: ("NotFound", "The requested resource was not found."),
    429: ("QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Service is temporarily unavailable. Please try again."),
}


@dataclass
class EmulatorConfig:
    access_token_ttl: int = 3600
    document_url_ttl: float = 300.0
    # Time-driven lifecycle: IN_QUEUE for in_queue_seconds, then IN_PROGRESS for in_progress_seconds.
    auto_advance: bool = True
    in_queue_seconds: float = 0.05
    in_progress_seconds: float = 0.05
    compress_documents: bool = True
    validate_responses: bool = True
    # Benchmarks making many thousands of calls can switch the exchange log off to keep memory flat.
    record_exchanges: bool = True


@dataclass
class Exchange:
    """One request and its answer, as recorded for contract tests. Tokens and secrets are not recorded."""

    kind: str  # "spapi", "lwa" or "document"
    method: str
    path: str
    query: dict[str, list[str]]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    operation_id: str | None = None


@dataclass
class SentNotification:
    destination_arn: str
    body: str

    @property
    def message(self) -> dict:
        return json.loads(self.body)


@dataclass
class _ReportTypeBehaviour:
    outcome: str = "DONE"
    document: bytes | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"errors": [error]}


def _unauthorized(details: str) -> ApiError:
    return ApiError(403, "Unauthorized", "Access to requested resource is denied.", details)


def _not_found(what: str) -> ApiError:
    return ApiError(404, "NotFound", f"{what} was not found.")


def _invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidInput", message)


class EmulatorApp:
    def __init__(self, contract: ModelContract, config: EmulatorConfig | None = None) -> None:
        self.contract = contract
        self.config = config or EmulatorConfig()
        self.state = st.EmulatorState()
        self.faults = FaultSwitches()
        self._time_offset = 0.0
        self.rate_limiter = RateLimiter(clock=self.monotonic)
        self.exchanges: list[Exchange] = []
        self._exchanges_lock = threading.Lock()
        self.lwa_exchanges: Counter[str] = Counter()
        self.sent_notifications: list[SentNotification] = []
        self.notification_errors: list[str] = []
        self.notification_sink: Callable[[str, str], None] = self._store_notification
        self._report_types: dict[str, _ReportTypeBehaviour] = {}
        self._report_documents: dict[str, bytes] = {}
        self._active_reports: set[str] = set()
        self._url_key = secrets.token_bytes(32)
        self._lwa_down: list[Any] = []  # [status, remaining] while LWA is down

    # -- clocks (shiftable, so tests can let time pass without sleeping) --------------------------------

    def monotonic(self) -> float:
        return time.monotonic() + self._time_offset

    def wall(self) -> float:
        return time.time() + self._time_offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), UTC)

    def advance_time(self, seconds: float) -> None:
        self._time_offset += seconds
        self.tick()

    # -- control ----------------------------------------------------------------------------------------

    def _store_notification(self, destination_arn: str, body: str) -> None:
        self.sent_notifications.append(SentNotification(destination_arn, body))

    def lwa_down(self, status: int = 503, times: int | None = None) -> None:
        with self.state.lock:
            self._lwa_down = [status, times]

    def lwa_up(self) -> None:
        with self.state.lock:
            self._lwa_down = []

    def configure_report_type(
        self, report_type: str, *, outcome: str = "DONE", document: bytes | None = None
    ) -> None:
        if outcome not in st.TERMINAL_STATUSES:
            raise ValueError(f"outcome must be one of {st.TERMINAL_STATUSES}")
        with self.state.lock:
            self._report_types[report_type] = _ReportTypeBehaviour(outcome, document)

    def set_report_document(self, report_id: str, content: bytes) -> None:
        with self.state.lock:
            self._report_documents[report_id] = content

    def start_report(self, report_id: str) -> None:
        with self.state.lock:
            report = self._report(report_id)
            if report.processing_status != "IN_QUEUE":
                raise ValueError(f"report {report_id} is {report.processing_status}, not IN_QUEUE")
            self._start(report)

    def finish_report(self, report_id: str, status: str = "DONE", document: bytes | None = None) -> None:
        """Drive a report to a terminal state now; a DONE or FATAL report gets `document` (or the configured
        content) as its document."""
        if status not in st.TERMINAL_STATUSES:
            raise ValueError(f"status must be one of {st.TERMINAL_STATUSES}")
        with self.state.lock:
            report = self._report(report_id)
            if report.processing_status in st.TERMINAL_STATUSES:
                raise ValueError(f"report {report_id} is already {report.processing_status}")
            if report.processing_status == "IN_QUEUE" and status != "CANCELLED":
                self._start(report)
            notifications = self._finish(report, status, document)
        self._send(notifications)

    def tick(self) -> None:
        """Advance the time-driven lifecycle of every active report."""
        if not self.config.auto_advance:
            return
        notifications: list[tuple[str, dict]] = []
        with self.state.lock:
            now = self.monotonic()
            for report_id in list(self._active_reports):
                report = self.state.reports[report_id]
                if (
                    report.processing_status == "IN_QUEUE"
                    and now - report.created_mono >= self.config.in_queue_seconds
                ):
                    self._start(report)
                if (
                    report.processing_status == "IN_PROGRESS"
                    and report.started_mono is not None
                    and now - report.started_mono >= self.config.in_progress_seconds
                ):
                    behaviour = self._report_types.get(report.report_type, _ReportTypeBehaviour())
                    notifications.extend(self._finish(report, behaviour.outcome, None))
        self._send(notifications)

    # -- lifecycle internals (state lock held) ----------------------------------------------------------

    def _report(self, report_id: str) -> st.Report:
        try:
            return self.state.reports[report_id]
        except KeyError:
            raise KeyError(f"unknown report {report_id}") from None

    def _start(self, report: st.Report) -> None:
        report.processing_status = "IN_PROGRESS"
        report.processing_start_time = self.now()
        report.started_mono = self.monotonic()

    def _finish(self, report: st.Report, status: str, document: bytes | None) -> list[tuple[str, dict]]:
        report.processing_status = status
        report.processing_end_time = self.now()
        self._active_reports.discard(report.report_id)
        behaviour = self._report_types.get(report.report_type, _ReportTypeBehaviour())
        if status == "DONE":
            content = document
            if content is None:
                content = self._report_documents.get(report.report_id, behaviour.document)
            if content is None:
                content = st.synthetic_listings_report(report.report_id)
            self._store_document(report, content)
        elif status == "FATAL":
            content = document if document is not None else self._report_documents.get(report.report_id)
            if content is not None:
                self._store_document(report, content)
        return self._notifications_for(report)

    def _store_document(self, report: st.Report, content: bytes) -> None:
        import gzip

        document_id = f"amzn1.spdoc.1.4.na.{uuid.uuid4()}.T{report.report_id}.{secrets.randbelow(10**6)}"
        compression = "GZIP" if self.config.compress_documents else None
        stored = gzip.compress(content, mtime=0) if compression else content
        self.state.documents[document_id] = st.ReportDocument(document_id, stored, compression)
        report.report_document_id = document_id

    def _notifications_for(self, report: st.Report) -> list[tuple[str, dict]]:
        messages = []
        published = self.now()
        for subscription in self.state.subscriptions.values():
            if subscription.notification_type != REPORT_PROCESSING_FINISHED:
                continue
            if subscription.seller_id != report.seller_id:
                continue
            destination = self.state.destinations.get(subscription.destination_id)
            if destination is None:
                continue
            finished: dict[str, Any] = {
                "sellerId": report.seller_id,
                "accountId": f"amzn1.merchant.o.{report.seller_id}",
                "reportId": report.report_id,
                "reportType": report.report_type,
                "processingStatus": report.processing_status,
            }
            if report.report_document_id:
                finished["reportDocumentId"] = report.report_document_id
            message = {
                "notificationVersion": NOTIFICATION_VERSION,
                "notificationType": REPORT_PROCESSING_FINISHED,
                "payloadVersion": subscription.payload_version,
                "eventTime": st.iso(report.processing_end_time or published),
                "payload": {"reportProcessingFinishedNotification": finished},
                "notificationMetadata": {
                    "applicationId": self.state.application_id(subscription.client_id),
                    "subscriptionId": subscription.subscription_id,
                    "publishTime": st.iso(published),
                    "notificationId": str(uuid.uuid4()),
                },
            }
            messages.append((destination.arn, message))
        return messages

    def _send(self, notifications: list[tuple[str, dict]]) -> None:
        for arn, message in notifications:
            try:
                self.contract.validate_notification(message)
                self.notification_sink(arn, json.dumps(message, separators=(",", ":")))
            except Exception as error:  # the sink is pluggable: record every failure, never lose it silently
                logger.exception("notification for report %s not delivered", message["payload"])
                self.notification_errors.append(f"{type(error).__name__}: {error}")

    # -- WSGI -------------------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        if request.path == LWA_PATH:
            response, kind, op_id = self._handle_lwa(request), "lwa", None
        elif request.path.startswith(DOCUMENTS_PREFIX):
            response, kind, op_id = self._handle_download(request), "document", "downloadDocument"
        else:
            response, op_id = self._handle_spapi(request)
            kind = "spapi"
        self._record(kind, request, response, op_id)
        return response(environ, start_response)

    def _record(self, kind: str, request: Request, response: Response, op_id: str | None) -> None:
        if not self.config.record_exchanges:
            return
        secret_bearing = kind != "spapi"  # LWA bodies carry secrets; document URLs carry signatures
        exchange = Exchange(
            kind=kind,
            method=request.method,
            path=request.path,
            query={} if secret_bearing else {key: request.args.getlist(key) for key in request.args},
            request_body=None if secret_bearing else request.get_data(cache=True),
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=b"" if kind == "lwa" else response.get_data(),
            operation_id=op_id,
        )
        with self._exchanges_lock:
            self.exchanges.append(exchange)

    # -- SP-API -----------------------------------------------------------------------------------------

    def _handle_spapi(self, request: Request) -> tuple[Response, str | None]:
        request_id = str(uuid.uuid4())
        try:
            matched = self.contract.match(request.method, request.path)
        except ContractViolation as violation:
            status = 404 if violation.kind == "path" else 405
            code = "NotFound" if status == 404 else "MethodNotAllowed"
            return self._json(status, ApiError(status, code, violation.message).body(), request_id), None
        op_id = matched.operation_id
        try:
            body = self._dispatch(request, matched)
            status, payload = body
        except ApiError as error:
            status, payload = error.status, error.body()
        response = self._json(status, payload, request_id, matched)
        if self.config.validate_responses:
            try:
                self.contract.validate_response(
                    request.method, request.path, status, response.get_data(), dict(response.headers)
                )
            except ContractViolation as violation:
                logger.error("emulator response violates the model: %s", violation)
                response = self._json(
                    500,
                    ApiError(500, "InternalFailure", f"emulator bug: {violation}").body(),
                    request_id,
                    matched,
                )
        return response, op_id

    def _dispatch(self, request: Request, matched: OperationMatch) -> tuple[int, Any]:
        op_id = matched.operation_id
        user_agent = request.headers.get("user-agent", "")
        if not user_agent:
            raise _invalid("The user-agent header is required.")
        if len(user_agent) > 500:
            raise _invalid("The user-agent header must not exceed 500 characters.")
        grant = self._authorise(request, op_id)
        if not self.rate_limiter.allow(op_id, grant.principal):
            raise ApiError(429, *_FAULT_BODIES[429])
        delay = self.faults.take_delay(op_id)
        if delay:
            time.sleep(delay)
        injected = self.faults.take_status(op_id)
        if injected:
            code, message = _FAULT_BODIES.get(injected, ("InternalFailure", "Injected fault."))
            raise ApiError(injected, code, message)
        query = {key: request.args.getlist(key) for key in request.args}
        try:
            self.contract.validate_request(request.method, request.path, query, request.get_data(cache=True))
        except ContractViolation as violation:
            raise _invalid(violation.message) from None
        handler = _HANDLERS.get(op_id)
        if handler is None:
            raise ApiError(404, "NotFound", f"{op_id} is not supported by the emulator.")
        self.tick()
        body = request.get_json(silent=True, force=True) if request.get_data(cache=True) else None
        return handler(self, grant, matched.path_params, request.args, body, request)

    def _authorise(self, request: Request, op_id: str) -> st.AccessGrant:
        token = request.headers.get("x-amz-access-token")
        if not token:
            raise _unauthorized("The request has no x-amz-access-token header.")
        with self.state.lock:
            grant = self.state.access_tokens.get(token)
        if grant is None:
            raise _unauthorized("The access token you provided is revoked, malformed or invalid.")
        if grant.expires_at <= self.monotonic():
            raise _unauthorized("The access token you provided has expired.")
        if op_id in GRANTLESS_OPERATIONS and grant.kind != "grantless":
            raise _unauthorized(f"{op_id} is a grantless operation and needs a client_credentials token.")
        if op_id not in GRANTLESS_OPERATIONS and grant.kind != "seller":
            raise _unauthorized(f"{op_id} needs a selling partner's access token.")
        return grant

    def _json(
        self, status: int, payload: Any, request_id: str, matched: OperationMatch | None = None
    ) -> Response:
        response = Response(
            b"" if payload is None else json.dumps(payload).encode(),
            status=status,
            content_type="application/json",
        )
        response.headers["x-amzn-RequestId"] = request_id
        if matched is not None and (
            matched.operation.declares_header(status, "x-amzn-RateLimit-Limit") or status == 429
        ):
            response.headers["x-amzn-RateLimit-Limit"] = (
                f"{self.rate_limiter.rate_of(matched.operation_id):g}"
            )
        return response

    # -- LWA --------------------------------------------------------------------------------------------

    def _handle_lwa(self, request: Request) -> Response:
        if request.method != "POST":
            return _lwa_error(405, "invalid_request", "The token endpoint accepts POST only.")
        if request.mimetype == "application/json":
            data = request.get_json(silent=True)
            fields = MultiDict(data) if isinstance(data, dict) else MultiDict()
        else:
            fields = request.form
        grant_type = fields.get("grant_type", "")
        with self.state.lock:
            self.lwa_exchanges[grant_type or "(none)"] += 1
            down = list(self._lwa_down)
            if down and down[1] is not None:
                self._lwa_down[1] -= 1
                if self._lwa_down[1] <= 0:
                    self._lwa_down = []
        if down:
            status = down[0]
            error = "temporarily_unavailable" if status == 503 else "server_error"
            return _lwa_error(status, error, "The authorization server is temporarily unavailable.")
        delay = self.faults.take_delay("lwa")
        if delay:
            time.sleep(delay)
        injected = self.faults.take_status("lwa")
        if injected:
            return _lwa_error(injected, "server_error", "Injected fault.")
        if not grant_type:
            return _lwa_error(
                400, "invalid_request", "The request is missing a required parameter : grant_type"
            )
        if grant_type not in ("refresh_token", "client_credentials"):
            return _lwa_error(400, "unsupported_grant_type", f"The grant type {grant_type} is not supported.")
        for name in ("client_id", "client_secret"):
            if not fields.get(name):
                return _lwa_error(
                    400, "invalid_request", f"The request is missing a required parameter : {name}"
                )
        client_id = fields["client_id"]
        with self.state.lock:
            app = self.state.apps.get(client_id)
            authenticated = app is not None and hmac.compare_digest(
                app.client_secret.encode(), fields["client_secret"].encode()
            )
        if not authenticated:
            return _lwa_error(401, "invalid_client", "Client authentication failed")
        if grant_type == "refresh_token":
            return self._refresh_grant(client_id, fields.get("refresh_token", ""))
        return self._client_credentials_grant(client_id, fields.get("scope", ""))

    def _refresh_grant(self, client_id: str, refresh_token: str) -> Response:
        if not refresh_token:
            return _lwa_error(
                400, "invalid_request", "The request is missing a required parameter : refresh_token"
            )
        with self.state.lock:
            seller = self.state.sellers.get(refresh_token)
            valid = seller is not None and not seller.revoked and seller.client_id in (None, client_id)
            if not valid:
                seller = None
            else:
                token = self._issue(st.AccessGrant("seller", client_id, 0.0, seller_id=seller.seller_id))
        if seller is None:
            return _lwa_error(
                400,
                "invalid_grant",
                "The request has an invalid grant parameter : refresh_token. "
                "User may have revoked or didn't grant the permission.",
            )
        return self._token_response({"refresh_token": refresh_token, **token})

    def _client_credentials_grant(self, client_id: str, scope: str) -> Response:
        if not scope:
            return _lwa_error(400, "invalid_request", "The request is missing a required parameter : scope")
        if scope not in st.GRANTLESS_SCOPES:
            return _lwa_error(400, "invalid_scope", "An unknown scope was requested")
        with self.state.lock:
            token = self._issue(st.AccessGrant("grantless", client_id, 0.0, scope=scope))
        return self._token_response(token)

    def _issue(self, grant: st.AccessGrant) -> dict:
        access_token = "Atza|" + secrets.token_urlsafe(96)
        grant.expires_at = self.monotonic() + self.config.access_token_ttl
        self.state.access_tokens[access_token] = grant
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": self.config.access_token_ttl,
        }

    @staticmethod
    def _token_response(body: dict) -> Response:
        response = Response(json.dumps(body), status=200, content_type="application/json;charset=UTF-8")
        response.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
        response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return response

    # -- document URLs ----------------------------------------------------------------------------------

    def document_url(self, host_url: str, document_id: str, content_encoding: bool) -> str:
        expires = int(self.wall() + self.config.document_url_ttl)
        if self.faults.take_document_fault("expire_urls_immediately"):
            expires = int(self.wall()) - 1
        encoding = "gzip" if content_encoding else "identity"
        signature = self._sign(document_id, expires, encoding)
        query = f"expires={expires}&ce={encoding}&sig={signature}"
        return f"{host_url.rstrip('/')}{DOCUMENTS_PREFIX}{document_id}?{query}"

    def _sign(self, document_id: str, expires: int, encoding: str) -> str:
        message = f"{document_id}\n{expires}\n{encoding}".encode()
        return hmac.new(self._url_key, message, hashlib.sha256).hexdigest()

    def _handle_download(self, request: Request) -> Response:
        document_id = request.path[len(DOCUMENTS_PREFIX) :]
        if request.method != "GET":
            return _s3_error(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        expires_raw, encoding, signature = (request.args.get(k, "") for k in ("expires", "ce", "sig"))
        if not expires_raw.isdigit() or not hmac.compare_digest(
            self._sign(document_id, int(expires_raw), encoding), signature
        ):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if int(expires_raw) < self.wall():
            return _s3_error(403, "AccessDenied", "Request has expired")
        delay = self.faults.take_delay("downloadDocument")
        if delay:
            time.sleep(delay)
        injected = self.faults.take_status("downloadDocument")
        if injected:
            code = "SlowDown" if injected == 503 else "InternalError"
            return _s3_error(injected, code, "Injected fault.")
        with self.state.lock:
            document = self.state.documents.get(document_id)
        if document is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        content = document.content
        if document.compression == "GZIP" and self.faults.take_document_fault("plain_labelled_gzip"):
            content = document.plain
        elif self.faults.take_document_fault("truncated_gzip"):
            content = content[: max(1, len(content) // 2)]
        response = Response(content, status=200, content_type="application/octet-stream")
        if encoding == "gzip" and document.compression == "GZIP":
            response.headers["Content-Encoding"] = "gzip"
        response.headers["x-amz-request-id"] = uuid.uuid4().hex[:16].upper()
        return response


def _lwa_error(status: int, error: str, description: str) -> Response:
    response = Response(
        json.dumps({"error_description": description, "error": error}),
        status=status,
        content_type="application/json;charset=UTF-8",
    )
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return Response(body, status=status, content_type="application/xml")


# -- operation handlers: (app, grant, path params, query, JSON body, request) -> (status, body) ---------


def _create_report(app: EmulatorApp, grant: st.AccessGrant, _p, _q, body: dict, _r) -> tuple[int, Any]:
    unknown = [marketplace for marketplace in body["marketplaceIds"] if marketplace not in KNOWN_MARKETPLACES]
    if unknown:
        raise _invalid(f"marketplaceIds: unknown marketplace {unknown[0]}")
    report = st.Report(
        report_id=app.state.next_report_id(),
        seller_id=grant.seller_id or "",
        report_type=body["reportType"],
        marketplace_ids=list(body["marketplaceIds"]),
        created=app.now(),
        created_mono=app.monotonic(),
        data_start_time=body.get("dataStartTime"),
        data_end_time=body.get("dataEndTime"),
        report_options=body.get("reportOptions"),
    )
    with app.state.lock:
        app.state.reports[report.report_id] = report
        app._active_reports.add(report.report_id)
    return 202, {"reportId": report.report_id}


def _own_report(app: EmulatorApp, grant: st.AccessGrant, report_id: str) -> st.Report:
    report = app.state.reports.get(report_id)
    if report is None or report.seller_id != grant.seller_id:
        raise _not_found(f"Report {report_id}")
    return report


def _get_report(app: EmulatorApp, grant: st.AccessGrant, params, _q, _b, _r) -> tuple[int, Any]:
    with app.state.lock:
        return 200, _own_report(app, grant, params["reportId"]).to_model()


def _cancel_report(app: EmulatorApp, grant: st.AccessGrant, params, _q, _b, _r) -> tuple[int, Any]:
    with app.state.lock:
        report = _own_report(app, grant, params["reportId"])
        if report.processing_status != "IN_QUEUE":
            raise _invalid(
                f"Report {report.report_id} cannot be cancelled: its processingStatus is "
                f"{report.processing_status}; only IN_QUEUE reports can be cancelled."
            )
        notifications = app._finish(report, "CANCELLED", None)
    app._send(notifications)
    return 200, None


def _csv(query, name: str) -> list[str]:
    values: list[str] = []
    for raw in query.getlist(name):
        values.extend(part for part in raw.split(",") if part)
    return values


def _get_reports(app: EmulatorApp, grant: st.AccessGrant, _p, query, _b, _r) -> tuple[int, Any]:
    next_token = query.get("nextToken")
    if next_token:
        if len(query) > 1:
            raise _invalid("nextToken must be the only parameter when it is given.")
        with app.state.lock:
            page = app.state.page_tokens.get(next_token)
        if page is None:
            raise _invalid("nextToken: the token is invalid or has expired.")
        ids, page_size = page
    else:
        report_types = _csv(query, "reportTypes")
        if not report_types:
            raise _invalid("Either reportTypes or nextToken is required.")
        statuses = set(_csv(query, "processingStatuses"))
        marketplaces = set(_csv(query, "marketplaceIds"))
        page_size = int(query.get("pageSize", "10"))
        now = app.now()
        since = _parse_time(query.get("createdSince")) or now - timedelta(days=90)
        until = _parse_time(query.get("createdUntil")) or now
        with app.state.lock:
            selected = [
                report
                for report in app.state.reports.values()
                if report.seller_id == grant.seller_id
                and report.report_type in report_types
                and (not statuses or report.processing_status in statuses)
                and (not marketplaces or marketplaces.intersection(report.marketplace_ids))
                and since <= report.created <= until
            ]
        selected.sort(key=lambda report: report.created, reverse=True)
        ids = [report.report_id for report in selected]
    page_ids, rest = ids[:page_size], ids[page_size:]
    with app.state.lock:
        body: dict[str, Any] = {"reports": [app.state.reports[i].to_model() for i in page_ids]}
        if rest:
            token = secrets.token_urlsafe(24)
            app.state.page_tokens[token] = (rest, page_size)
            body["nextToken"] = token
    return 200, body


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _get_report_document(
    app: EmulatorApp, grant: st.AccessGrant, params, query, _b, request
) -> tuple[int, Any]:
    document_id = params["reportDocumentId"]
    with app.state.lock:
        owned = any(
            report.report_document_id == document_id and report.seller_id == grant.seller_id
            for report in app.state.reports.values()
        )
        document = app.state.documents.get(document_id) if owned else None
    if document is None:
        raise _not_found(f"Report document {document_id}")
    content_encoding = query.get("enableContentEncodingUrlHeader") == "true"
    body = {
        "reportDocumentId": document_id,
        "url": app.document_url(request.host_url, document_id, content_encoding),
    }
    if document.compression:
        body["compressionAlgorithm"] = document.compression
    return 200, body


def _create_destination(app: EmulatorApp, grant: st.AccessGrant, _p, _q, body: dict, _r) -> tuple[int, Any]:
    specification = body["resourceSpecification"]
    if "eventBridge" in specification:
        raise _invalid(
            "resourceSpecification.eventBridge: EventBridge destinations are not supported by the emulator."
        )
    if "sqs" not in specification:
        raise _invalid("resourceSpecification.sqs is required.")
    arn = specification["sqs"]["arn"]
    with app.state.lock:
        for destination in app.state.destinations.values():
            if destination.client_id == grant.client_id and destination.arn == arn:
                raise ApiError(
                    409,
                    "Conflict",
                    "The requested resource conflict with a resource in the server.",
                    f"A destination with arn {arn} already exists for the application "
                    f"{app.state.application_id(grant.client_id)}",
                )
        destination = st.Destination(str(uuid.uuid4()), grant.client_id, body["name"], arn)
        app.state.destinations[destination.destination_id] = destination
    return 200, {"payload": destination.to_model()}


def _own_destination(app: EmulatorApp, grant: st.AccessGrant, destination_id: str) -> st.Destination:
    destination = app.state.destinations.get(destination_id)
    if destination is None or destination.client_id != grant.client_id:
        raise _not_found(f"Destination {destination_id}")
    return destination


def _get_destinations(app: EmulatorApp, grant: st.AccessGrant, _p, _q, _b, _r) -> tuple[int, Any]:
    with app.state.lock:
        mine = [d.to_model() for d in app.state.destinations.values() if d.client_id == grant.client_id]
    return 200, {"payload": mine}


def _get_destination(app: EmulatorApp, grant: st.AccessGrant, params, _q, _b, _r) -> tuple[int, Any]:
    with app.state.lock:
        return 200, {"payload": _own_destination(app, grant, params["destinationId"]).to_model()}


def _delete_destination(app: EmulatorApp, grant: st.AccessGrant, params, _q, _b, _r) -> tuple[int, Any]:
    with app.state.lock:
        destination = _own_destination(app, grant, params["destinationId"])
        if any(s.destination_id == destination.destination_id for s in app.state.subscriptions.values()):
            raise _unauthorized("Destination has subscriptions")
        del app.state.destinations[destination.destination_id]
    return 200, {}


def _create_subscription(
    app: EmulatorApp, grant: st.AccessGrant, params, _q, body: dict, _r
) -> tuple[int, Any]:
    notification_type = params["notificationType"]
    if "processingDirective" in body:
        raise _invalid(
            f"processingDirective: {notification_type} subscriptions take no processing directive here."
        )
    with app.state.lock:
        destination = app.state.destinations.get(body["destinationId"])
        if destination is None or destination.client_id != grant.client_id:
            raise _invalid(f"destinationId: destination {body['destinationId']} does not exist.")
        for existing in app.state.subscriptions.values():
            if (
                existing.client_id == grant.client_id
                and existing.seller_id == grant.seller_id
                and existing.notification_type == notification_type
                and existing.payload_version == body["payloadVersion"]
            ):
                raise ApiError(
                    409,
                    "StateConflict",
                    "The resource specified conflicts with the current state.",
                    f"Subscription already exist for notification type {notification_type}",
                )
        subscription = st.Subscription(
            subscription_id=str(uuid.uuid4()),
            client_id=grant.client_id,
            seller_id=grant.seller_id or "",
            notification_type=notification_type,
            payload_version=body["payloadVersion"],
            destination_id=destination.destination_id,
        )
        app.state.subscriptions[subscription.subscription_id] = subscription
    return 200, {"payload": subscription.to_model()}


def _seller_subscriptions(
    app: EmulatorApp, grant: st.AccessGrant, notification_type: str
) -> list[st.Subscription]:
    return [
        s
        for s in app.state.subscriptions.values()
        if s.client_id == grant.client_id
        and s.seller_id == grant.seller_id
        and s.notification_type == notification_type
    ]


def _get_subscription(app: EmulatorApp, grant: st.AccessGrant, params, query, _b, _r) -> tuple[int, Any]:
    notification_type = params["notificationType"]
    version = query.get("payloadVersion")
    with app.state.lock:
        candidates = _seller_subscriptions(app, grant, notification_type)
    if version:
        candidates = [s for s in candidates if s.payload_version == version]
    if not candidates:
        raise _not_found(f"Subscription for notification type {notification_type}")
    latest = max(candidates, key=lambda s: s.payload_version)
    return 200, {"payload": latest.to_model()}


def _get_subscriptions(app: EmulatorApp, grant: st.AccessGrant, _p, query, _b, _r) -> tuple[int, Any]:
    notification_type = _csv(query, "notificationTypes")[0]
    version = query.get("payloadVersion")
    with app.state.lock:
        found = _seller_subscriptions(app, grant, notification_type)
    if version:
        found = [s for s in found if s.payload_version == version]
    # A seller has at most a handful of payload versions per type, far below the minimum page size of 30.
    return 200, {"payload": {"subscriptions": [s.to_model() for s in found]}}


def _app_subscription(app: EmulatorApp, grant: st.AccessGrant, params: dict) -> st.Subscription:
    subscription = app.state.subscriptions.get(params["subscriptionId"])
    if (
        subscription is None
        or subscription.client_id != grant.client_id
        or subscription.notification_type != params["notificationType"]
    ):
        raise _not_found(f"Subscription {params['subscriptionId']}")
    return subscription


def _get_subscription_by_id(app: EmulatorApp, grant: st.AccessGrant, params, _q, _b, _r) -> tuple[int, Any]:
    with app.state.lock:
        return 200, {"payload": _app_subscription(app, grant, params).to_model()}


def _delete_subscription_by_id(
    app: EmulatorApp, grant: st.AccessGrant, params, _q, _b, _r
) -> tuple[int, Any]:
    with app.state.lock:
        subscription = _app_subscription(app, grant, params)
        del app.state.subscriptions[subscription.subscription_id]
    return 200, {}


_HANDLERS: dict[str, Callable[..., tuple[int, Any]]] = {
    "createReport": _create_report,
    "getReports": _get_reports,
    "getReport": _get_report,
    "cancelReport": _cancel_report,
    "getReportDocument": _get_report_document,
    "createDestination": _create_destination,
    "getDestinations": _get_destinations,
    "getDestination": _get_destination,
    "deleteDestination": _delete_destination,
    "createSubscription": _create_subscription,
    "getSubscription": _get_subscription,
    "getSubscriptions": _get_subscriptions,
    "getSubscriptionById": _get_subscription_by_id,
    "deleteSubscriptionById": _delete_subscription_by_id,
}

__all__ = ["EmulatorApp", "EmulatorConfig", "Exchange", "SentNotification"]
