"""An AWS SDK's retry of a write local AWS has already made gets the answer of the attempt that made it.

AWS SDKs number the attempts of one operation call: every attempt carries the same ``amz-sdk-invocation-id``
and ``amz-sdk-request: attempt=N; max=M`` (AWS SDKs and Tools Reference Guide, "Retry behavior"; botocore's
and the Go SDK's retry middleware). An SDK retries an attempt whose answer it never read: a reset connection,
a timeout. On AWS that is rare. Local AWS is one Python process serving Terraform's thirty parallel calls on
a two-core runner, so a write can finish after its client gave up on it, and the retry then fails on the
write's own effect (``EntityAlreadyExists`` for the role Terraform has just created). That is a fault of the
stand-in's transport, not a behaviour of AWS to reproduce, so a retried attempt waits for the attempt still
running and, when one finished with a 2xx, gets that answer instead of making the write again.

Only writes are replayed (not GET or HEAD, which may simply run again). Every replay and every 5xx answer is
journaled, so a deployment that fails on local AWS can say what the server did.
"""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_ATTEMPT = re.compile(r"attempt=(\d+)")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEPT_ANSWERS = 512
_JOURNAL_LIMIT = 200
# How long a retry waits for the attempt still running before it runs itself.
_IN_FLIGHT_WAIT_SECONDS = 300.0
_OPERATION_KEY = "sp_reports_harness.operation"


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class JournalEntry:
    """What local AWS did that a failed deployment's error should mention."""

    kind: str  # "replayed" (a retry answered from its earlier attempt) or "server-error" (a 5xx answer)
    method: str
    operation: str  # X-Amz-Target, the query's Action, or the path
    status: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.method} {self.operation} -> {self.status}"


class SdkRetryReplay:
    """WSGI middleware: replays answered writes to their SDK retries and journals 5xx answers."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, _Answer] = OrderedDict()
        self._in_flight: dict[str, threading.Event] = {}
        self._journal: list[JournalEntry] = []

    @property
    def journal(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._journal)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # Read before the app consumes a query-protocol body.
        environ[_OPERATION_KEY] = _operation(environ)
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ.get("REQUEST_METHOD", "GET") in _READS:
            return self._journaled(environ, start_response)
        attempt = _ATTEMPT.search(environ.get("HTTP_AMZ_SDK_REQUEST", ""))
        if attempt is not None and int(attempt.group(1)) > 1:
            replayed = self._earlier_answer(invocation)
            if replayed is not None:
                self._note("replayed", environ, replayed.status)
                start_response(replayed.status, replayed.headers)
                return [replayed.body]
        return self._answered(invocation, environ, start_response)

    def _earlier_answer(self, invocation: str) -> _Answer | None:
        with self._lock:
            running = self._in_flight.get(invocation)
        if running is not None:
            running.wait(_IN_FLIGHT_WAIT_SECONDS)
        with self._lock:
            return self._answers.get(invocation)

    def _answered(
        self, invocation: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        done = threading.Event()
        with self._lock:
            self._in_flight[invocation] = done
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            result = self._app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status = str(captured.get("status", "500 INTERNAL SERVER ERROR"))
            if status.startswith("2"):
                with self._lock:
                    self._answers[invocation] = _Answer(status, captured.get("headers", []), body)
                    while len(self._answers) > _KEPT_ANSWERS:
                        self._answers.popitem(last=False)
            elif status.startswith("5"):
                self._note("server-error", environ, status)
        finally:
            with self._lock:
                self._in_flight.pop(invocation, None)
            done.set()
        return [body]

    def _journaled(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def watch(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("5"):
                self._note("server-error", environ, status)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self._app(environ, watch)

    def _note(self, kind: str, environ: dict[str, Any], status: str) -> None:
        entry = JournalEntry(kind, environ.get("REQUEST_METHOD", "?"), environ[_OPERATION_KEY], status)
        with self._lock:
            if len(self._journal) < _JOURNAL_LIMIT:
                self._journal.append(entry)


def _operation(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target)
    query = environ.get("QUERY_STRING", "")
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        query = f"{query}&{_form_body(environ)}"
    action = re.search(r"(?:^|&)Action=([A-Za-z0-9]+)", query)
    if action:
        return action.group(1)
    return str(environ.get("PATH_INFO", "/"))


def _form_body(environ: dict[str, Any]) -> str:
    """The body of a query-protocol call (IAM, STS, SNS), put back for the app to read."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length <= 0:
        return ""  # a chunked body stays in the stream for the app
    raw = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw.decode("utf-8", "replace")
