"""The SP-API + LWA emulator as a WSGI application: routing, authorisation, limits, lifecycle, notifications.

How it answers (routes, validation against the models, the order of checks, authorisation errors, the
notifications it sends) and the sources for each answer: docs/emulator.md. The operations take an
`EmulatorContext` (context.py), which this app is; they never import the app.
"""

from __future__ import annotations

import gzip
import json
import logging
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from spapi_emulator import (
    notifications_api,
    report_schedules_api,
    reports_api,
    schema_documents,
    settlements,
    tokens_api,
)
from spapi_emulator import state as st
from spapi_emulator.config import EmulatorConfig
from spapi_emulator.contract import ContractViolation, ModelContract, OperationMatch
from spapi_emulator.document_charsets import gzip_label_on_plain_bytes, served_charset
from spapi_emulator.documents import DOCUMENT_URL_PATH, DocumentHost
from spapi_emulator.faults import FaultSwitches
from spapi_emulator.lwa import handle_token_request
from spapi_emulator.operation_calls import (
    FAULT_BODIES,
    ApiError,
    Handler,
    OperationCall,
    invalid,
    missing_token,
    unauthorized,
)
from spapi_emulator.ratelimit import RateLimiter, RateLimitSnapshot

logger = logging.getLogger(__name__)

LWA_PATH = "/auth/o2/token"
# Deliberate independent copies of sp_reports.spapi.notifications' names: the emulator plays SP-API, so it
# does not take SP-API's facts from the client it judges.
REPORT_PROCESSING_FINISHED = "REPORT_PROCESSING_FINISHED"
APPLICATION_OAUTH_CHANGED = "APPLICATION_OAUTH_CHANGED"
# The version the "Notification Type Values" page shows for APPLICATION_OAUTH_CHANGED messages.
OAUTH_CHANGED_NOTIFICATION_VERSION = "1.0"
NOTIFICATION_VERSION = "2020-09-04"

# Exactly the operations whose descriptions in notifications.json say they are grantless ("The
# `deleteSubscriptionById` operation is grantless."; the 2022 claim that it no longer was,
# selling-partner-api-docs#1850, is not what the model says). A test derives this set from the model.
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

# deleteSubscriptionById is grantless in the model, yet selling-partner-api-docs#1850 says it no longer is,
# and python-amazon-sp-api calls it with a seller's token, which its users report SP-API accepting
# (python-amazon-sp-api#1738). SP-API is observed to take either, so the emulator does: a grantless token for
# any of the application's subscriptions, a seller's token for that seller's own.
SELLER_TOKEN_ALSO_ACCEPTED = frozenset({"deleteSubscriptionById"})

HANDLERS: dict[str, Handler] = {
    **reports_api.HANDLERS,
    **report_schedules_api.HANDLERS,
    **notifications_api.HANDLERS,
    **tokens_api.HANDLERS,
}

# x-amzn-ErrorType as SP-API's gateway sends it, by (status, error code): on a 429 (selling-partner-api-models
# #746, a captured 429 with "x-amzn-ErrorType: TooManyRequestsException" and no x-amzn-RateLimit-Limit) and on
# a 403 Unauthorized ("X-Amzn-Errortype: AccessDeniedException" in selling-partner-api-docs#62 and
# selling-partner-api-models#721, #1713). None is sent where no captured answer shows one.
ERROR_TYPES = {
    (429, "QuotaExceeded"): "TooManyRequestsException",
    (403, "Unauthorized"): "AccessDeniedException",
}


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
class ReportTypeBehaviour:
    """How reports of a type end (`configure_report_type`): their terminal status and document."""

    outcome: str = "DONE"
    document: bytes | None = None


@dataclass
class AppSnapshot:
    """What an `EmulatorApp` needs to carry on elsewhere (`snapshot`, `restore`): the emulator deployed as a
    Lambda keeps it between invocations (state_in_s3). Not in it: injected faults, the notification sink
    and the notifications it already took."""

    state: st.EmulatorState
    time_offset: float
    exchanges: list[Exchange]
    lwa_exchanges: dict[str, int]
    notification_errors: list[str]
    report_types: dict[str, ReportTypeBehaviour]
    refused_report_types: dict[str, str]
    report_documents: dict[str, Any]  # bytes, or what the app's report_documents keeps in their place
    active_reports: set[str]
    rate_limits: RateLimitSnapshot
    schedule_refusals: dict[str, str] = field(default_factory=dict)


class EmulatorApp:
    # The clock of token expiry, report lifecycle and rate limits. In one process the monotonic clock; the
    # emulator deployed as a Lambda (lambda_function) runs in many short-lived containers whose monotonic
    # clocks are unrelated, so there it is the wall clock.
    base_clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, contract: ModelContract, config: EmulatorConfig | None = None) -> None:
        self.contract = contract
        self.config = config or EmulatorConfig()
        self.state = st.EmulatorState()
        self.faults = FaultSwitches()
        self._time_offset = 0.0
        self.rate_limiter = RateLimiter(clock=self.monotonic)
        self.documents = DocumentHost(self)
        self.exchanges: list[Exchange] = []
        self.exchanges_lock = threading.Lock()
        # Requests SP-API lets pass although the models do not allow them (contract.TOLERATED), answered as
        # SP-API answers them; contract_violations() still reports each, so our own client gets no tolerance.
        self.tolerated_deviations: list[str] = []
        self.lwa_exchanges: Counter[str] = Counter()
        self.sent_notifications: list[SentNotification] = []
        self.notification_errors: list[str] = []
        self.notification_sink: Callable[[str, str], None] = self._store_notification
        self._report_types: dict[str, ReportTypeBehaviour] = {}
        # createReport's refusals by report type (reports_api.REFUSED_REPORT_TYPES, plus refuse_report_type).
        self.refused_report_types: dict[str, str] = dict(reports_api.REFUSED_REPORT_TYPES)
        self.schedule_refusals: dict[str, str] = {}
        # Documents set ahead for reports (set_report_document), by report id.
        self.report_documents: dict[str, Any] = {}
        self._active_reports: set[str] = set()

    # -- clocks (shiftable, so tests can let time pass without sleeping) --------------------------------

    def monotonic(self) -> float:
        return self.base_clock() + self._time_offset

    def wall(self) -> float:
        return time.time() + self._time_offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), UTC)

    def advance_time(self, seconds: float) -> None:
        self._time_offset += seconds
        self.tick()

    # -- snapshot (the emulator deployed as a Lambda keeps it between invocations) ---------------------

    def snapshot(self) -> AppSnapshot:
        with self.state.lock, self.exchanges_lock:
            return AppSnapshot(
                state=self.state,
                time_offset=self._time_offset,
                exchanges=list(self.exchanges),
                lwa_exchanges=dict(self.lwa_exchanges),
                notification_errors=list(self.notification_errors),
                report_types=dict(self._report_types),
                refused_report_types=dict(self.refused_report_types),
                report_documents=dict(self.report_documents),
                active_reports=set(self._active_reports),
                rate_limits=self.rate_limiter.snapshot(),
                schedule_refusals=dict(self.schedule_refusals),
            )

    def restore(self, snapshot: AppSnapshot) -> None:
        """Carry on from `snapshot` (taken by another instance); documents set ahead are added to this app's
        `report_documents`, which keeps its kind of mapping."""
        self.state = snapshot.state
        self._time_offset = snapshot.time_offset
        self.exchanges = list(snapshot.exchanges)
        self.lwa_exchanges.clear()
        self.lwa_exchanges.update(snapshot.lwa_exchanges)
        self.notification_errors = list(snapshot.notification_errors)
        self._report_types = dict(snapshot.report_types)
        self.refused_report_types = dict(snapshot.refused_report_types)
        self.schedule_refusals = dict(getattr(snapshot, "schedule_refusals", {}))
        self.report_documents.update(snapshot.report_documents)
        self._active_reports = set(snapshot.active_reports)
        self.rate_limiter.restore(snapshot.rate_limits)

    # -- LWA outage (SpApiEmulator.lwa_down is the public switch; kept here for callers holding the app) --

    def lwa_down(self, status: int = 503, times: int | None = None) -> None:
        self.faults.lwa_down(status, times)

    def lwa_up(self) -> None:
        self.faults.lwa_up()

    # -- report control ---------------------------------------------------------------------------------

    def configure_report_type(
        self, report_type: str, *, outcome: str = "DONE", document: bytes | None = None
    ) -> None:
        if outcome not in st.TERMINAL_STATUSES:
            raise ValueError(f"outcome must be one of {st.TERMINAL_STATUSES}")
        with self.state.lock:
            self._report_types[report_type] = ReportTypeBehaviour(outcome, document)

    def configures_report_type(self, report_type: str) -> bool:
        with self.state.lock:
            return report_type in self._report_types

    def set_report_document(self, report_id: str, content: bytes) -> None:
        with self.state.lock:
            self.report_documents[report_id] = content

    def open_settlements(self, account: settlements.SettlementAccount) -> None:
        """The seller's settlements begin: a report of each of the account's types at the end of every
        period from `account.period_start` on, as the clock passes it (spapi_emulator.settlements)."""
        with self.state.lock:
            self.state.settlement_accounts.append(account)
        self.tick()

    def add_report(self, report: st.Report) -> None:
        with self.state.lock:
            self.state.reports[report.report_id] = report
            self._active_reports.add(report.report_id)

    def start_report(self, report_id: str) -> None:
        with self.state.lock:
            report = self.report(report_id)
            if report.processing_status != "IN_QUEUE":
                raise ValueError(f"report {report_id} is {report.processing_status}, not IN_QUEUE")
            self._start(report)

    def finish_report(self, report_id: str, status: str = "DONE", document: bytes | None = None) -> None:
        """Drive a report to a terminal state now; a DONE or FATAL report gets `document` (or the configured
        content) as its document."""
        if status not in st.TERMINAL_STATUSES:
            raise ValueError(f"status must be one of {st.TERMINAL_STATUSES}")
        with self.state.lock:
            report = self.report(report_id)
            if report.processing_status in st.TERMINAL_STATUSES:
                raise ValueError(f"report {report_id} is already {report.processing_status}")
            if report.processing_status == "IN_QUEUE" and status != "CANCELLED":
                self._start(report)
            notifications = self._finish(report, status, document)
        self._send(notifications)

    def cancel_queued_report(self, report_id: str) -> str:
        """Cancel the report if it is IN_QUEUE (atomically); returns the status it had."""
        with self.state.lock:
            report = self.report(report_id)
            status = report.processing_status
            if status != "IN_QUEUE":
                return status
            notifications = self._finish(report, "CANCELLED", None)
        self._send(notifications)
        return status

    def tick(self, *, expire: bool = True) -> None:
        """Let report schedules and settlements create the reports now due, drop the reports and documents
        SP-API no longer keeps (unless `expire` is False: the server's background ticks walk every report for
        that only now and then, since retention is counted in days), then advance the time-driven lifecycle
        of every active report (unless auto_advance is off: then tests drive reports, and schedules and
        settlements still create them)."""
        report_schedules_api.fire_due_schedules(self)
        settlements.make_due_settlements(self)
        if expire:
            with self.state.lock:
                self._active_reports.difference_update(reports_api.drop_expired_reports(self))
                reports_api.drop_expired_documents(self)
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
                    behaviour = self._report_types.get(report.report_type, ReportTypeBehaviour())
                    outcome = "FATAL" if report.fatal_reason else behaviour.outcome
                    notifications.extend(self._finish(report, outcome, None))
        self._send(notifications)

    # -- lifecycle internals (state lock held) ----------------------------------------------------------

    def report(self, report_id: str) -> st.Report:
        """The report (KeyError naming it when there is none)."""
        with self.state.lock:
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
        configured = self.report_documents.get(report.report_id)
        if status == "DONE":
            behaviour = self._report_types.get(report.report_type, ReportTypeBehaviour())
            for content in (document, configured, behaviour.document):
                if content is not None:
                    break
            else:
                content = schema_documents.schema_document(report)
            if content is None:
                served = served_charset(report.report_type, report.marketplace_ids)
                content = st.synthetic_listings_report(
                    report.report_id, item_name=served.sample, codec=served.codec
                )
            self._store_document(report, content)
        elif status == "FATAL":
            # A FATAL report carries a document only when one explains the failure.
            content = document if document is not None else configured
            if content is None and report.fatal_reason:
                content = json.dumps({"errorDetails": report.fatal_reason}).encode()
            if content is not None:
                self._store_document(report, content)
        return self._notifications_for(report)

    def _store_document(self, report: st.Report, content: bytes) -> None:
        document_id = f"amzn1.spdoc.1.4.na.{uuid.uuid4()}.T{report.report_id}.{secrets.randbelow(10**6)}"
        compression = "GZIP" if self.config.compress_documents else None
        stored = gzip.compress(content, mtime=0) if compression else content
        if compression and gzip_label_on_plain_bytes(report.marketplace_ids):
            stored = content  # flagged GZIP, served plain (document_charsets.GZIP_LABEL_ON_PLAIN)
        label = served_charset(report.report_type, report.marketplace_ids).label
        self.state.documents[document_id] = st.ReportDocument(document_id, stored, compression, label)
        report.report_document_id = document_id

    # -- notifications ----------------------------------------------------------------------------------

    def _store_notification(self, destination_arn: str, body: str) -> None:
        self.sent_notifications.append(SentNotification(destination_arn, body))

    def _notifications_for(self, report: st.Report) -> list[tuple[str, dict]]:
        messages = []
        published = self.now()
        for subscription in self.state.subscriptions.values():
            if subscription.notification_type != REPORT_PROCESSING_FINISHED:
                continue
            if subscription.seller_id != report.seller_id:
                continue
            if report.endpoint is not None and subscription.endpoint != report.endpoint:
                continue  # a report notifies the subscriptions of the region it was requested in
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
            report_id = message["payload"]["reportProcessingFinishedNotification"]["reportId"]
            try:
                self.contract.validate_notification(message)
                self.notification_sink(arn, json.dumps(message, separators=(",", ":")))
            except Exception as error:  # the sink is pluggable: record every failure, never lose it silently
                logger.exception("REPORT_PROCESSING_FINISHED for report %s not delivered", report_id)
                self.notification_errors.append(f"{type(error).__name__}: {error}")

    def deauthorize_seller(self, seller_id: str) -> int:
        """The seller removes the application in Seller Central ("Manage Your Apps"): its refresh tokens and
        their access tokens stop working, and SP-API sends APPLICATION_OAUTH_CHANGED with ChangeType
        Deauthorization to the application's subscriptions of that type (an application-level notification:
        whichever seller's call created the subscription). The message follows SP-API's "Notification Type
        Values" page (https://developer-docs.amazon.com/sp-api/docs/notification-type-values): PascalCase,
        Payload.ApplicationOAuthChanged {SellerId, AuthorizationChange {ChangeType, ChangeReason}}. No model
        file of the type exists in selling-partner-api-models (schemas/notifications has none), so it is not
        validated against one. Returns how many refresh tokens were revoked (0: an unknown seller, and then
        nothing is sent)."""
        with self.state.lock:
            granted = [
                (token, seller.client_id)
                for token, seller in self.state.sellers.items()
                if seller.seller_id == seller_id and not seller.revoked
            ]
        for token, _client in granted:
            self.state.revoke(token)
        clients = {client for _token, client in granted}
        published = self.now()
        messages = []
        reached: set[str] = set()  # one message per destination, however many sellers' calls subscribed it
        with self.state.lock:
            for subscription in self.state.subscriptions.values():
                if subscription.notification_type != APPLICATION_OAUTH_CHANGED:
                    continue
                if None not in clients and subscription.client_id not in clients:
                    continue  # another application's subscription: that application is still authorised
                destination = self.state.destinations.get(subscription.destination_id)
                if destination is None or destination.arn in reached:
                    continue
                reached.add(destination.arn)
                messages.append(
                    (
                        destination.arn,
                        {
                            "NotificationVersion": OAUTH_CHANGED_NOTIFICATION_VERSION,
                            "NotificationType": APPLICATION_OAUTH_CHANGED,
                            "PayloadVersion": subscription.payload_version,
                            "EventTime": st.iso(published),
                            "Payload": {
                                "ApplicationOAuthChanged": {
                                    "SellerId": seller_id,
                                    "AuthorizationChange": {
                                        "ChangeType": "Deauthorization",
                                        "ChangeReason": "User request",
                                    },
                                }
                            },
                            "NotificationMetadata": {
                                "ApplicationId": self.state.application_id(subscription.client_id),
                                "SubscriptionId": subscription.subscription_id,
                                "PublishTime": st.iso(published),
                                "NotificationId": str(uuid.uuid4()),
                            },
                        },
                    )
                )
        for arn, message in messages:
            try:
                self.notification_sink(arn, json.dumps(message, separators=(",", ":")))
            except Exception as error:  # the sink is pluggable: record every failure, never lose it silently
                logger.exception("APPLICATION_OAUTH_CHANGED for seller %s not delivered", seller_id)
                self.notification_errors.append(f"{type(error).__name__}: {error}")
        return len(granted)

    def contract_violations(self) -> list[str]:
        """Every recorded SP-API exchange whose request or response the models do not allow."""
        with self.exchanges_lock:
            exchanges = list(self.exchanges)
        problems = []
        for exchange in exchanges:
            if exchange.kind != "spapi":
                continue
            where = f"{exchange.method} {exchange.path} -> {exchange.status}"
            try:
                self.contract.validate_request(
                    exchange.method, exchange.path, exchange.query, exchange.request_body
                )
            except ContractViolation as violation:
                problems.append(f"request {where}: {violation}")
            try:
                self.contract.validate_response(
                    exchange.method,
                    exchange.path,
                    exchange.status,
                    exchange.response_body,
                    exchange.response_headers,
                )
            except ContractViolation as violation:
                problems.append(f"response {where}: {violation}")
        return problems

    # -- WSGI -------------------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        if request.path == LWA_PATH:
            response, kind, op_id = handle_token_request(self, request), "lwa", None
        elif request.path.startswith(DOCUMENT_URL_PATH):
            response, kind, op_id = self.documents.handle_download(request), "document", "downloadDocument"
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
            response_body=self._recordable_body(kind, op_id, response),
            operation_id=op_id,
        )
        with self.exchanges_lock:
            self.exchanges.append(exchange)

    @staticmethod
    def _recordable_body(kind: str, op_id: str | None, response: Response) -> bytes:
        """The answer's body as recorded: none for LWA (tokens), and createRestrictedDataToken's token masked
        (its shape kept, so the contract check still sees a valid answer)."""
        if kind == "lwa":
            return b""
        if op_id == "createRestrictedDataToken" and response.status_code == 200:
            body = json.loads(response.get_data())
            return json.dumps({**body, "restrictedDataToken": "[redacted]"}).encode()
        return response.get_data()

    # -- SP-API -----------------------------------------------------------------------------------------

    def _handle_spapi(self, request: Request) -> tuple[Response, str | None]:
        request_id = str(uuid.uuid4())
        if not request.headers.get("x-amz-access-token"):
            return self._json(403, missing_token().body(), request_id), None
        try:
            matched = self.contract.match(request.method, request.path)
        except ContractViolation:
            # No such operation (path or method): SP-API's gateway answers 403, not 404 or 405.
            return self._json(403, unauthorized().body(), request_id), None
        try:
            status, payload = self._dispatch(request, matched)
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
                bug = ApiError(500, "InternalFailure", f"emulator bug: {violation}")
                response = self._json(500, bug.body(), request_id, matched)
        return response, matched.operation_id

    def _dispatch(self, request: Request, matched: OperationMatch) -> tuple[int, Any]:
        op_id = matched.operation_id
        user_agent = request.headers.get("user-agent", "")
        if not user_agent:
            raise invalid("The user-agent header is required.")
        if len(user_agent) > 500:
            raise invalid("The user-agent header must not exceed 500 characters.")
        grant = self._authorise(request, op_id)
        if not self.rate_limiter.allow(op_id, grant.principal):
            raise ApiError(429, *FAULT_BODIES[429])
        delay = self.faults.take_delay(op_id)
        if delay:
            time.sleep(delay)
        injected = self.faults.take_status(op_id)
        if injected:
            raise ApiError(injected, *FAULT_BODIES.get(injected, ("InternalFailure", "Injected fault.")))
        raw_body = request.get_data(cache=True)
        if raw_body.strip() and request.mimetype != "application/json":
            # The models consume application/json only and declare 415 for everything else.
            raise ApiError(
                415,
                "InvalidInput",
                f"Unsupported Content-Type {request.mimetype or '(none)'}: use application/json.",
            )
        query = {key: request.args.getlist(key) for key in request.args}
        tolerated: list[str] = []
        try:
            self.contract.validate_request(request.method, request.path, query, raw_body, tolerated)
        except ContractViolation as violation:
            if matched.operation.api == "tokens":
                # As the Tokens model's sandbox 400: InvalidRequest, "Request is missing or has invalid…"
                raise tokens_api.invalid_request(violation.message) from None
            raise invalid(violation.message) from None
        if tolerated:
            with self.exchanges_lock:
                self.tolerated_deviations.extend(tolerated)
        handler = HANDLERS.get(op_id)
        if handler is None:
            raise ApiError(404, "NotFound", f"{op_id} is not supported by the emulator.")
        self.tick()
        body = json.loads(raw_body) if raw_body.strip() else None
        call = OperationCall(
            context=self,
            grant=grant,
            path_params=matched.path_params,
            query=request.args,
            body=None if matched.operation.body_parameter is None else body,
            host_url=request.host_url,
        )
        return handler(call)

    def _authorise(self, request: Request, op_id: str) -> st.AccessGrant:
        token = request.headers.get("x-amz-access-token", "")  # present: _handle_spapi checked
        with self.state.lock:
            grant = self.state.access_tokens.get(token)
        if grant is None:
            raise unauthorized("The access token you provided is revoked, malformed or invalid.")
        if grant.expires_at <= self.monotonic():
            raise unauthorized("The access token you provided has expired.")
        if grant.secret is not None and grant.secret.spapi_expired(self.monotonic()):
            # What SP-API answers once the client secret the token was issued with has expired
            # (selling-partner-api-models#4489), even while LWA may still accept that secret.
            raise unauthorized("The LWA secret token you provided has expired.")
        if grant.kind == "restricted":
            # An RDT authorises exactly the restricted resources it was made for (tokens_2021-03-01.json:
            # "The RDT authorizes subsequent calls to restricted operations that correspond to the restricted
            # resources that you specified"); for reports a specific path only, never a generic one (Tokens
            # API use case guide, docs/spapi-notes.md#restricted-data-tokens).
            if (request.method.upper(), request.path) not in grant.restricted_resources:
                raise unauthorized()
            return grant
        if op_id in SELLER_TOKEN_ALSO_ACCEPTED and grant.kind == "seller":
            return grant
        if (op_id in GRANTLESS_OPERATIONS) != (grant.kind == "grantless"):
            raise unauthorized()  # the wrong kind of token: SP-API does not say why (models#1433)
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
        if matched is not None and matched.operation.declares_header(status, "x-amzn-RateLimit-Limit"):
            rate = self.rate_limiter.rate_of(matched.operation_id)
            response.headers["x-amzn-RateLimit-Limit"] = f"{rate:g}"
        errors = payload.get("errors") if isinstance(payload, dict) else None
        code = errors[0].get("code") if isinstance(errors, list) and errors else None
        if (status, code) in ERROR_TYPES:
            response.headers["x-amzn-ErrorType"] = ERROR_TYPES[(status, code)]
        return response


__all__ = [
    "HANDLERS",
    "AppSnapshot",
    "EmulatorApp",
    "EmulatorConfig",
    "Exchange",
    "ReportTypeBehaviour",
    "SentNotification",
]
