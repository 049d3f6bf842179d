"""The SP-API HTTP client: auth header, user-agent, request ids, typed errors, retries and rate limiting.

Retries: 429, 500, 502, 503, 504, connection errors and timeouts are retried with exponential backoff and
full jitter, bounded by `max_attempts` and by a total `deadline` (a retry whose sleep would overrun the
deadline is not attempted). A 429 carries no `x-amzn-RateLimit-Limit` (selling-partner-api-docs
Usage-Plans-and-Rate-Limits.md: it "should never be expected in the response to a throttled ... request"),
so its retry waits at least until the operation's bucket - drained by the 429 - holds a token again, at the
rate the last successful answer reported or the documented usage plan.

Every method is retried, POST included: a createReport that SP-API did process despite a timeout only yields
a second report, which the pipeline ignores (its notification's reportId matches no record).
"""

from __future__ import annotations

import logging
import platform
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import requests

from sp_reports.spapi.errors import (
    LwaClientSecretExpiredError,
    SpApiClientError,
    SpApiError,
    SpApiServerError,
    SpApiThrottledError,
    SpApiTimeoutError,
)
from sp_reports.spapi.ratelimit import RateLimiter

logger = logging.getLogger("sp_reports.spapi.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_USER_AGENT_LENGTH = 500  # SP-API rejects longer user-agents


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("sp-reports")
    except Exception:  # not installed as a distribution (e.g. a Lambda zip without metadata)
        return "0.1.0"


DEFAULT_USER_AGENT = f"sp-reports/{_package_version()} (Language=Python/{platform.python_version()})"

_session_lock = threading.Lock()
_default_session: requests.Session | None = None


def default_session() -> requests.Session:
    """The process-wide `requests.Session` (connection pooling across invocations of a Lambda container)."""
    global _default_session
    with _session_lock:
        if _default_session is None:
            _default_session = requests.Session()
        return _default_session


@runtime_checkable
class AccessTokenProvider(Protocol):
    """Gives the current access token; `invalidate` drops it from the cache after SP-API rejected it."""

    def __call__(self) -> str: ...

    def invalidate(self, access_token: str) -> None: ...


AccessToken = str | Callable[[], str]


@dataclass(frozen=True)
class SpApiResponse:
    status: int
    # Bodies can hold secrets (createRestrictedDataToken's RDT, a document's presigned URL): not in repr.
    body: Any = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    request_id: str | None


@dataclass
class _Call:
    """One request across its attempts: what to send, and what the attempts so far have used up."""

    operation: str
    method: str
    url: str
    access_token: AccessToken
    params: Mapping[str, Any] | None
    json: Any
    partition: str  # the token provider's rate-limit partition (seller or grantless scope)
    give_up_at: float  # the clock's value at the total deadline
    attempt: int = 0
    started: float = 0.0  # when the current attempt was sent
    refreshed_token: bool = False
    reread_secret: bool = False


@dataclass(frozen=True)
class _Refusal:
    """A non-2xx answer: its status and SP-API's first error (the message falls back to the HTTP reason)."""

    status: int
    code: str
    message: str
    details: str | None
    request_id: str | None


def _parse_errors(body: Any) -> tuple[str, str, str | None]:
    """SP-API's first error as (code, message, details): both APIs send {"errors": [{code, message, ...}]}."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            details = first.get("details")
            return (
                str(first.get("code") or "Unknown"),
                str(first.get("message") or ""),
                None if details is None else str(details),
            )
    return "Unknown", "", None


def _is_expired_client_secret(status: int, message: str, details: str | None) -> bool:
    # 403 Unauthorized, details "The LWA secret token you provided has expired." (selling-partner-api-models
    # #4489): the access token is fine, the client secret it was issued with is not. A fresh access token
    # from the same secret would be refused again; the app credentials have to be re-read.
    text = f"{message} {details or ''}".lower()
    return status == 403 and "lwa secret" in text and "expired" in text


def _is_expired_token(status: int, message: str, details: str | None) -> bool:
    # SP-API answers an expired/invalid access token with 403 "Unauthorized" whose details say it expired
    # (older answers used 401); a 403 for a missing role must not trigger a token refresh.
    if status == 401:
        return True
    text = f"{message} {details or ''}".lower()
    return status == 403 and ("expired" in text or "access token" in text)


class SpApiHttpClient:
    def __init__(
        self,
        endpoint: str,
        user_agent: str = DEFAULT_USER_AGENT,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (3.05, 30.0),
        max_attempts: int = 5,
        deadline: float = 60.0,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        rate_limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        request_auth: requests.auth.AuthBase | None = None,
    ) -> None:
        if len(user_agent) > MAX_USER_AGENT_LENGTH:
            raise ValueError(f"user_agent: SP-API rejects user-agents longer than {MAX_USER_AGENT_LENGTH}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.endpoint = endpoint.rstrip("/")
        self.user_agent = user_agent
        self.session = session if session is not None else default_session()
        # Applied to each SP-API request after its headers are set (e.g. SigV4 for an endpoint behind AWS_IAM,
        # signing the x-amz-access-token header with the rest); never to document downloads, which go to
        # presigned URLs that a second signature would break.
        self.request_auth = request_auth
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.rate_limiter = rate_limiter if rate_limiter is not None else RateLimiter(clock=clock)
        self.clock = clock
        self.sleep = sleep
        self.rng = rng

    def __repr__(self) -> str:
        return f"SpApiHttpClient(endpoint={self.endpoint!r})"

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))]."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng() * ceiling

    def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        access_token: AccessToken,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> SpApiResponse:
        """Call SP-API; each attempt is prepare (rate limit, token), send, parse, and on a failure worth it,
        retry. A token or client secret SP-API rejected as expired is renewed once, without using up an
        attempt."""
        call = _Call(
            operation=operation,
            method=method,
            url=f"{self.endpoint}{path}",
            access_token=access_token,
            params=params,
            json=json,
            partition=str(getattr(access_token, "rate_limit_partition", "")),
            give_up_at=self.clock() + self.deadline,
        )
        while True:
            call.attempt += 1
            token = self._prepare(call)
            sent = self._send(call, token)
            if isinstance(sent, SpApiTimeoutError):
                failure: SpApiError = sent
            else:
                answer = self._parse(call, sent)
                if isinstance(answer, SpApiResponse):
                    return answer
                if self._renewed_credentials(call, token, answer):
                    call.attempt -= 1  # the same attempt again, with the new credentials
                    continue
                failure = self._error_for(
                    answer.status,
                    answer.code,
                    answer.message,
                    answer.details,
                    answer.request_id,
                    operation,
                    call.partition,
                )
            self._wait_before_retry(call, failure)

    def _prepare(self, call: _Call) -> str:
        """Wait for the client-side rate limit, then give the access token to send."""
        self._wait_for_rate_limit(call.operation, call.partition, call.give_up_at)
        token = call.access_token() if callable(call.access_token) else call.access_token
        if not isinstance(token, str) or not token:
            # SP-API would answer 403 MissingAuthenticationToken; the fault is ours, say so here.
            raise ValueError(f"access_token: no access token to send with {call.operation}")
        return token

    def _send(self, call: _Call, token: str) -> requests.Response | SpApiTimeoutError:
        """One HTTP exchange; a connection error or timeout is returned as the SpApiTimeoutError it means."""
        headers = {"x-amz-access-token": token, "user-agent": self.user_agent, "accept": "application/json"}
        if call.json is not None:
            headers["content-type"] = "application/json"
        call.started = self.clock()
        # Never let one slow answer carry us far past the total deadline.
        read_timeout = min(self.timeout[1], max(1.0, call.give_up_at - call.started))
        try:
            return self.session.request(
                call.method,
                call.url,
                params=call.params,
                json=call.json,
                headers=headers,
                timeout=(self.timeout[0], read_timeout),
                auth=self.request_auth,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            self._log_attempt(call, None, None, level=logging.WARNING)
            return SpApiTimeoutError(
                None,
                "RequestTimeout" if isinstance(exc, requests.Timeout) else "ConnectionError",
                f"{type(exc).__name__} while calling SP-API",
                operation=call.operation,
            )

    def _parse(self, call: _Call, response: requests.Response) -> SpApiResponse | _Refusal:
        """A 2xx with a JSON (or empty) body is the answer; anything else is SP-API's refusal, its first error
        read. Learns the rate limit the answer reports and logs the attempt."""
        request_id = response.headers.get("x-amzn-RequestId")
        self._adopt_rate_limit(call.operation, call.partition, response.headers)
        status = response.status_code
        self._log_attempt(call, status, request_id, level=logging.INFO if status < 400 else logging.WARNING)
        body = self._body(response)
        if 200 <= status < 300:
            if body is _INVALID_JSON:
                raise SpApiServerError(
                    status,
                    "InvalidResponse",
                    "SP-API answered with a body that is not JSON",
                    request_id=request_id,
                    operation=call.operation,
                )
            return SpApiResponse(status, body, response.headers, request_id)
        code, message, details = _parse_errors(None if body is _INVALID_JSON else body)
        return _Refusal(status, code, message or response.reason or f"HTTP {status}", details, request_id)

    def _renewed_credentials(self, call: _Call, token: str, refusal: _Refusal) -> bool:
        """True when the refusal was of expired credentials and new ones were got, once each: the app's
        client secret re-read, or the cached access token dropped. An expired client secret that stays
        expired raises LwaClientSecretExpiredError."""
        status, message, details = refusal.status, refusal.message, refusal.details
        if _is_expired_client_secret(status, message, details):
            renew = getattr(call.access_token, "client_secret_expired", None)
            if not call.reread_secret and renew is not None and renew():
                # Re-read the app credentials and get a token from them; then try once more.
                call.reread_secret = True
                return True
            raise LwaClientSecretExpiredError(
                f"SP-API refused {call.operation}: {details or message}"
                f"{' (also after re-reading the app credentials)' if call.reread_secret else ''}"
                f"{f' [x-amzn-RequestId {refusal.request_id}]' if refusal.request_id else ''}: store the "
                "application's current LWA client secret in the app credentials secret (rotate it in "
                "Solution Provider Portal first if it has lapsed)",
                status=status,
            )
        if (
            not call.refreshed_token
            and isinstance(call.access_token, AccessTokenProvider)
            and _is_expired_token(status, message, details)
        ):
            # The cached access token was revoked or expired early: drop it and try once more.
            call.refreshed_token = True
            call.access_token.invalidate(token)
            return True
        return False

    def _wait_before_retry(self, call: _Call, failure: SpApiError) -> None:
        """Sleep before the next attempt, or raise `failure` when it is not worth retrying, the attempts are
        spent, or the wait would overrun the deadline."""
        # After a 429 SP-API's bucket is empty, and so is ours: calling before it refills earns a 429.
        refill = self.rate_limiter.throttled(call.operation, call.partition) if failure.status == 429 else 0.0
        if not self._retryable(failure) or call.attempt >= self.max_attempts:
            raise failure
        delay = max(self.backoff(call.attempt), refill)
        if self.clock() + delay > call.give_up_at:
            raise failure
        logger.info(
            "retrying SP-API call",
            extra={
                "operation": call.operation,
                "attempt": call.attempt,
                "delay_seconds": round(delay, 3),
                "error_code": failure.code,
                "status": failure.status,
                "request_id": failure.request_id,
            },
        )
        self.sleep(delay)

    @staticmethod
    def _retryable(failure: SpApiError) -> bool:
        return isinstance(failure, SpApiTimeoutError) or failure.status in RETRY_STATUSES

    def _error_for(
        self,
        status: int,
        code: str,
        message: str,
        details: str | None,
        request_id: str | None,
        operation: str,
        partition: str = "",
    ) -> SpApiError:
        if status == 429:
            rate = self.rate_limiter.bucket(operation, partition).rate
            return SpApiThrottledError(
                status, code, message, details, request_id, operation, retry_after=round(1.0 / rate, 3)
            )
        if status >= 500:
            return SpApiServerError(status, code, message, details, request_id, operation)
        return SpApiClientError(status, code, message, details, request_id, operation)

    def _wait_for_rate_limit(self, operation: str, partition: str, give_up_at: float) -> None:
        while True:
            wait = self.rate_limiter.wait_time(operation, partition)
            if wait <= 0:
                return
            if self.clock() + wait > give_up_at:
                raise SpApiThrottledError(
                    None,
                    "ClientRateLimited",
                    f"the client-side rate limit for {operation} allows the next call in {wait:.1f} s",
                    operation=operation,
                    retry_after=round(wait, 3),
                )
            self.sleep(wait)

    def _adopt_rate_limit(self, operation: str, partition: str, headers: Mapping[str, str]) -> None:
        value = headers.get("x-amzn-RateLimit-Limit")
        if not value:
            return
        try:
            rate = float(value)
        except ValueError:
            return
        if rate > 0:
            self.rate_limiter.update_rate(operation, rate, partition)

    @staticmethod
    def _body(response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return _INVALID_JSON

    def _log_attempt(self, call: _Call, status: int | None, request_id: str | None, level: int) -> None:
        logger.log(
            level,
            "SP-API call",
            extra={
                "operation": call.operation,
                "method": call.method,
                "status": status,
                "request_id": request_id,
                "attempt": call.attempt,
                "duration_ms": round((self.clock() - call.started) * 1000, 1),
            },
        )


_INVALID_JSON = object()
