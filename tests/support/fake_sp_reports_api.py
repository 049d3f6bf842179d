"""A stand-in for the deployed API Gateway stage: checks every request's SigV4 signature like API Gateway
does, answers like our handlers (an in-memory service), and lets a test script faults (4xx, 5xx, 429 with
Retry-After).

The signature check recomputes the signature with botocore from the credentials the test knows; it does not
trust anything the client computed. Requests that fail it get API Gateway's own 403 `{"message"}`.
"""

from __future__ import annotations

import dataclasses
import hmac
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# The credentials the client tests sign with (set in the environment by the autouse fixture).
ACCESS_KEY_ID = "AKIACLIENTTEST000001"
SECRET_ACCESS_KEY = "client-test-secret-key-0000000000000000001"
SESSION_TOKEN = "client-test-session-token-0001"
REGION = "eu-west-1"
SELLER_ID = "A3TH9S8BH6GOGM"

SIGNING_SERVICE = "execute-api"
MAX_CLOCK_SKEW = timedelta(minutes=5)

# access key id -> (secret access key, session token or None)
CredentialLookup = Callable[[str], tuple[str, str | None] | None]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signed_headers: list[str] = field(default_factory=list)
    access_key_id: str | None = None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class ScriptedResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def known_credentials(access_key_id: str) -> tuple[str, str | None] | None:
    """The lookup for the test's own credentials."""
    return (SECRET_ACCESS_KEY, SESSION_TOKEN) if access_key_id == ACCESS_KEY_ID else None


class SignatureError(Exception):
    def __init__(self, message: str, error_type: str = "InvalidSignatureException") -> None:
        super().__init__(message)
        self.error_type = error_type


def verify_sigv4(
    method: str,
    host: str,
    raw_path: str,
    headers: dict[str, str],
    body: bytes,
    region: str,
    lookup: CredentialLookup,
) -> tuple[str, list[str]]:
    """Checks the request's SigV4 signature; answers (access key id, signed header names) or raises."""
    lowered = {name.lower(): value for name, value in headers.items()}
    authorization = lowered.get("authorization")
    if not authorization:
        raise SignatureError("Missing Authentication Token", "MissingAuthenticationTokenException")
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        raise SignatureError(f"Unsupported signing algorithm {algorithm}", "IncompleteSignatureException")
    parts = dict(item.strip().split("=", 1) for item in rest.split(","))
    access_key_id, scope_date, scope_region, scope_service, terminator = parts["Credential"].split("/")
    signed_headers = parts["SignedHeaders"].split(";")
    amz_date = lowered.get("x-amz-date")
    if not amz_date or "x-amz-date" not in signed_headers or "host" not in signed_headers:
        raise SignatureError("Authorization header requires signed 'host' and 'x-amz-date'")
    if scope_service != SIGNING_SERVICE or terminator != "aws4_request":
        raise SignatureError(f"Credential should be scoped to correct service: '{SIGNING_SERVICE}'")
    if scope_region != region:
        raise SignatureError(f"Credential should be scoped to a valid region, not '{scope_region}'")
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if scope_date != amz_date[:8] or abs(datetime.now(UTC) - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureError("Signature expired or its date does not match the credential scope")
    known = lookup(access_key_id)
    if known is None:
        raise SignatureError(
            "The security token included in the request is invalid.", "UnrecognizedClientException"
        )
    secret_key, session_token = known
    if session_token is not None and (
        lowered.get("x-amz-security-token") != session_token or "x-amz-security-token" not in signed_headers
    ):
        raise SignatureError(
            "The security token included in the request is invalid.", "UnrecognizedClientException"
        )

    url = f"http://{host}{raw_path}"
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: lowered[name] for name in signed_headers}
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key_id, secret_key, session_token), scope_service, scope_region)
    canonical_request = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical_request), request)
    if not hmac.compare_digest(expected, parts["Signature"]):
        raise SignatureError(
            "The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method."
        )
    return access_key_id, signed_headers


class FakeApi:
    """Serves the operations on 127.0.0.1 (ephemeral port) under the stage path `/v1`."""

    STAGE = "/v1"

    def __init__(self, region: str, lookup: CredentialLookup) -> None:
        self.region = region
        self.lookup = lookup
        self.requests: list[RecordedRequest] = []
        self.scripted: dict[tuple[str, str], deque[ScriptedResponse]] = {}
        self.tokens: dict[str, str] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        # report id -> statuses that successive GETs walk through (the last one repeats).
        self.status_sequence: dict[str, deque[str]] = {}
        # Pull plans, built and checked by sp_reports.pipeline.pull_plans as the plans function does, and
        # their ledger entries (sp_reports.pipeline.pull_ledger.LedgerEntry), per plan id.
        self.plans: dict[str, Any] = {}
        # Deleted plans by id, with when: their coverage stays readable (PullStore.find_plan).
        self.deleted_plans: dict[str, tuple[Any, str]] = {}
        self.ledger: dict[str, list[Any]] = {}
        self._ids = itertools.count(50010019000)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.STAGE}"

    def start(self) -> FakeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def script(
        self, method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        """The next request to `method path` gets this answer instead of the service's (queued, once each)."""
        self.scripted.setdefault((method, path), deque()).append(
            ScriptedResponse(status, body, headers or {})
        )

    def add_report(self, report_id: str, statuses: list[str], **fields: Any) -> None:
        self.reports[report_id] = {"reportId": report_id, "sellerId": "A3TH9S8BH6GOGM", **fields}
        self.status_sequence[report_id] = deque(statuses)

    # The in-memory service, shaped like our handlers' answers.
    def answer(self, method: str, path: str, payload: Any) -> ScriptedResponse:
        if (method, path) == ("POST", "/tokens"):
            seller_id = payload["SellerId"]
            self.tokens[seller_id] = payload["RefreshToken"]
            return ScriptedResponse(200, {"sellerId": seller_id})
        if (method, path) == ("POST", "/notifications"):
            if payload["SellerId"] not in self.tokens:
                return _error(
                    404, "SellerNotFound", f"SellerId: no refresh token stored for {payload['SellerId']}"
                )
            return ScriptedResponse(200, {"destinationId": "dest-1", "subscriptionId": "sub-1"})
        if (method, path) == ("POST", "/reports"):
            report_id = str(next(self._ids))
            self.add_report(report_id, ["IN_QUEUE", "IN_PROGRESS", "DONE"], reportType=payload["ReportType"])
            return ScriptedResponse(202, {"reportId": report_id})
        if method == "GET" and path.startswith("/reports/"):
            report_id = path.removeprefix("/reports/")
            if report_id not in self.reports:
                return _error(404, "ReportNotFound", f"reportId: no report {report_id}")
            sequence = self.status_sequence[report_id]
            status = sequence.popleft() if len(sequence) > 1 else sequence[0]
            return ScriptedResponse(200, {**self.reports[report_id], "status": status})
        if path == "/plans" or path.startswith(("/plans/", "/plans?")):
            return self._plans(method, path, payload)
        if method == "DELETE" and path.startswith("/sellers/"):
            seller_id = path.removeprefix("/sellers/")
            tokens = int(self.tokens.pop(seller_id, None) is not None)
            erased = dict.fromkeys(ERASED_KINDS, 0) | {"tokens": tokens}
            return ScriptedResponse(
                200, {"sellerId": seller_id, "erased": erased, "nothingToErase": not tokens}
            )
        return ScriptedResponse(403, {"message": "Missing Authentication Token"})

    def _plans(self, method: str, path: str, payload: Any) -> ScriptedResponse:
        """The /plans routes with the pipeline's own plan checks and coverage; no budget or region rules."""
        from sp_reports.pipeline.api_requests import ApiError
        from sp_reports.pipeline.plan_requests import check_change_keeps_history
        from sp_reports.pipeline.pull_coverage import coverage
        from sp_reports.pipeline.pull_plans import plan_from_request

        route, _, query_text = path.partition("?")
        query = dict(parse_qsl(query_text))
        now = datetime.now(UTC)
        parts = route.strip("/").split("/")
        try:
            if (method, parts) == ("POST", ["plans"]):
                plan = plan_from_request(payload, now=now)
                if plan.seller_id not in self.tokens:
                    return _error(
                        404, "SellerNotFound", f"no refresh token is stored for seller {plan.seller_id}"
                    )
                created = plan.plan_id not in self.plans
                self.plans.setdefault(plan.plan_id, plan)
                self.deleted_plans.pop(plan.plan_id, None)
                return ScriptedResponse(201 if created else 200, self.plans[plan.plan_id].describe())
            if (method, parts) == ("GET", ["plans"]):
                plans = [p for p in self.plans.values() if query.get("sellerId") in (None, p.seller_id)]
                return ScriptedResponse(200, {"plans": [p.describe() for p in plans], "nextToken": None})
            plan = self.plans.get(parts[1]) if len(parts) > 1 else None
            if plan is None and parts[2:] == ["coverage"] and parts[1] in self.deleted_plans:
                deleted, deleted_at = self.deleted_plans[parts[1]]
                to_date = date.fromisoformat(query.get("to", now.date().isoformat()))
                from_date = date.fromisoformat(query.get("from", (to_date - timedelta(days=30)).isoformat()))
                answer = coverage(deleted, self, from_date, to_date, now, deleted_at=deleted_at)
                return ScriptedResponse(200, answer)
            if plan is None:
                return _error(404, "PlanNotFound", f"planId: no plan {parts[1] if len(parts) > 1 else ''}")
            if (method, len(parts)) == ("GET", 2):
                return ScriptedResponse(200, plan.describe())
            if (method, len(parts)) == ("PATCH", 2):
                changes = {"paused": payload.get("paused", plan.paused)}
                if "lookBackDays" in payload:
                    changes["look_back_days"] = tuple(sorted(payload["lookBackDays"]))
                if "cadence" in payload:
                    changes["cadence"] = type(plan.cadence)(payload["cadence"])
                if "replaceExistingSchedule" in payload:
                    changes["replace_existing_schedule"] = payload["replaceExistingSchedule"]
                changed = dataclasses.replace(plan, **changes)
                check_change_keeps_history(plan, changed)
                self.plans[plan.plan_id] = changed
                return ScriptedResponse(200, self.plans[plan.plan_id].describe())
            if (method, len(parts)) == ("DELETE", 2):
                del self.plans[plan.plan_id]
                self.deleted_plans[plan.plan_id] = (plan, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
                return ScriptedResponse(200, {"planId": plan.plan_id, "deleted": True})
            if (method, parts[2:]) == ("GET", ["coverage"]):
                to_date = date.fromisoformat(query.get("to", now.date().isoformat()))
                from_date = date.fromisoformat(query.get("from", (to_date - timedelta(days=30)).isoformat()))
                return ScriptedResponse(200, coverage(plan, self, from_date, to_date, now))
        except ApiError as exc:
            return _error(exc.status, exc.code, exc.message)
        return ScriptedResponse(403, {"message": "Missing Authentication Token"})

    def entries(
        self, plan_id: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[Any]:
        """The ledger entries of the plan's windows starting in [start, end) (PullStore.entries)."""
        return [
            entry
            for entry in self.ledger.get(plan_id, [])
            if (start is None or entry.window.start >= start) and (end is None or entry.window.start < end)
        ]

    def _handle(self, handler: BaseHTTPRequestHandler) -> ScriptedResponse:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = dict(handler.headers.items())
        record = RecordedRequest(handler.command, handler.path, headers, body)
        with self._lock:
            self.requests.append(record)
        try:
            record.access_key_id, record.signed_headers = verify_sigv4(
                handler.command,
                headers.get("Host", ""),
                handler.path,
                headers,
                body,
                self.region,
                self.lookup,
            )
        except SignatureError as exc:
            return ScriptedResponse(403, {"message": str(exc)}, {"x-amzn-ErrorType": exc.error_type})
        if not handler.path.startswith(self.STAGE + "/"):
            return ScriptedResponse(403, {"message": "Missing Authentication Token"})
        path = handler.path.removeprefix(self.STAGE)
        with self._lock:
            queue = self.scripted.get((handler.command, path))
            if queue:
                return queue.popleft()
            return self.answer(handler.command, path, record.json())

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                response = api._handle(self)
                payload = json.dumps(response.body).encode() if response.body is not None else b""
                self.send_response(response.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", f"req-{len(api.requests)}")
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler


# The kinds DELETE /sellers/{sellerId} counts (sp_reports.pipeline.seller_erasure.ErasureResult.counts).
ERASED_KINDS = (
    "tokens",
    "reportRecords",
    "requestIntents",
    "reportBudgets",
    "sweepState",
    "pullPlans",
    "pullWindows",
    "subscriptions",
    "reportSchedules",
    "objectVersions",
    "deleteMarkers",
)


def _error(status: int, code: str, message: str) -> ScriptedResponse:
    return ScriptedResponse(status, {"error": {"code": code, "message": message}})
