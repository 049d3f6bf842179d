"""SigV4-signed JSON requests to the API with retries on throttling, 5xx and connection failures."""

from __future__ import annotations

import email.utils
import importlib.metadata
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from .credentials import CredentialSource
from .errors import ApiError, ApiUnavailableError
from .redaction import redact


def _package_version() -> str:
    try:
        return importlib.metadata.version("sp-reports")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


SIGNING_SERVICE = "execute-api"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
REQUEST_ID_HEADERS = ("x-amzn-RequestId", "x-amz-apigw-id")
USER_AGENT = f"sp-reports-client/{_package_version()}"

logger = logging.getLogger("sp_reports.client")

# Codes for API Gateway's own errors, which carry only {"message"} and an x-amzn-ErrorType header.
_GATEWAY_CODES = {
    400: "BadRequest",
    403: "Forbidden",
    404: "NotFound",
    429: "Throttled",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay_seconds: float = 0.5
    # Longest single wait, also when Retry-After asks for more: a CLI should fail visibly rather than hang.
    max_delay_seconds: float = 30.0


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    request_id: str | None


class SignedTransport:
    def __init__(
        self,
        credentials: CredentialSource,
        region: str,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials = credentials
        self.region = region
        self._timeout = timeout
        self._retry = retry or DEFAULT_RETRY
        self._http = http or requests.Session()
        self._sleep = sleep

    def request(
        self,
        method: str,
        url: str,
        payload: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
        secrets: Iterable[str] = (),
    ) -> ApiResponse:
        """Sends one API call; answers 2xx responses and raises `ApiError` / `ApiUnavailableError` otherwise.

        A non-idempotent call (creating a report) is retried only when the API certainly did not act on it:
        throttled (429) or the connection never opened. `secrets` are redacted from any error message.
        """
        body = json.dumps(payload).encode() if payload is not None else None
        path = urlsplit(url).path
        secrets = tuple(secrets)
        for attempt in range(1, self._retry.max_attempts + 1):
            last_attempt = attempt == self._retry.max_attempts
            try:
                response = self._send_signed(method, url, body)
            except requests.RequestException as exc:
                # A refused or timed-out connect means nothing was sent: safe to repeat even a create.
                retryable = idempotent or isinstance(exc, requests.ConnectTimeout) or _is_refused(exc)
                if last_attempt or not retryable:
                    raise ApiUnavailableError(
                        f"cannot reach the API at {urlsplit(url).netloc}: {_describe_network_error(exc)}"
                    ) from None
                delay = self._backoff(attempt)
                logger.info(
                    "%s %s failed (%s); retry %d in %.1f s", method, path, type(exc).__name__, attempt, delay
                )
                self._sleep(delay)
                continue
            request_id = _request_id(response)
            logger.debug(
                "%s %s -> %d (request id %s, attempt %d)",
                method,
                path,
                response.status_code,
                request_id,
                attempt,
            )
            if response.status_code < 400:
                return ApiResponse(response.status_code, _json_body(response), request_id)
            # A 429 whose Retry-After is longer than we would wait (a report type's cooldown: 30 minutes or
            # more) fails now with it, rather than spending the attempts on answers that cannot change.
            retryable = (response.status_code == 429 and not self._waits_too_long(response)) or (
                idempotent and response.status_code in RETRYABLE_STATUSES
            )
            if last_attempt or not retryable:
                raise _api_error(response, request_id, secrets)
            delay = self._retry_delay(response, attempt)
            logger.info("%s %s -> %d; retry %d in %.1f s", method, path, response.status_code, attempt, delay)
            self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises on its last attempt")

    def _send_signed(self, method: str, url: str, body: bytes | None) -> requests.Response:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if body is not None:
            headers["Content-Type"] = "application/json"
        aws_request = AWSRequest(method=method, url=url, data=body, headers=headers)
        # Signed afresh on every attempt: the timestamp must be recent and role credentials may have renewed.
        SigV4Auth(self._credentials.get(), SIGNING_SERVICE, self.region).add_auth(aws_request)
        prepared = aws_request.prepare()
        return self._http.request(
            method,
            prepared.url,
            headers=dict(prepared.headers.items()),
            data=body,
            timeout=self._timeout,
            allow_redirects=False,
        )

    def _waits_too_long(self, response: requests.Response) -> bool:
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        return retry_after is not None and retry_after > self._retry.max_delay_seconds

    def _retry_delay(self, response: requests.Response, attempt: int) -> float:
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            return min(retry_after, self._retry.max_delay_seconds)
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._retry.base_delay_seconds * 2 ** (attempt - 1), self._retry.max_delay_seconds)
        return random.uniform(ceiling / 2, ceiling)


def _is_refused(exc: BaseException) -> bool:
    """True when a ConnectionRefusedError sits anywhere in the chain requests/urllib3 wrap around it."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return True
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending.extend(item for item in linked if isinstance(item, BaseException))
    return False


def _describe_network_error(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.ReadTimeout):
        return "no answer before the read timeout"
    if _is_refused(exc):
        return "connection refused"
    return type(exc).__name__


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _request_id(response: requests.Response) -> str | None:
    for header in REQUEST_ID_HEADERS:
        if response.headers.get(header):
            return response.headers[header]
    return None


def _json_body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _api_error(response: requests.Response, request_id: str | None, secrets: tuple[str, ...]) -> ApiError:
    body = _json_body(response)
    code = message = None
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            code, message = error.get("code"), error.get("message")
        elif isinstance(body.get("message"), str):
            message = body["message"]
        elif isinstance(body.get("Message"), str):
            message = body["Message"]
    if not code:
        error_type = response.headers.get("x-amzn-ErrorType", "").split(":")[0].strip()
        code = error_type or _GATEWAY_CODES.get(response.status_code, f"HTTP{response.status_code}")
    if not message:
        message = response.reason or "no error message in the response"
    return ApiError(
        status=response.status_code,
        code=redact(str(code), secrets),
        message=redact(str(message), secrets),
        request_id=request_id,
        retry_after=_parse_retry_after(response.headers.get("Retry-After")),
    )
