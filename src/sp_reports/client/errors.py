"""Typed errors of the sp-reports client.

Every message here is built from redacted text: an error may be printed, logged or shown in a traceback,
so it must never carry a refresh token or a presigned URL.
"""

from __future__ import annotations

from dataclasses import dataclass


class SpReportsError(Exception):
    """Base class of every error the client raises on purpose."""


class ConfigurationError(SpReportsError):
    """The client cannot run: a setting is missing or invalid (the message names the flag or variable)."""


@dataclass
class ApiError(SpReportsError):
    """The API answered with an error status (after retries for 429 and 5xx).

    `code` is the API's error code (`{"error": {"code"}}`), or a code we derive from API Gateway's own
    `{"message"}` errors (for example `Forbidden`, `Throttled`).
    """

    status: int
    code: str
    message: str
    request_id: str | None = None
    retry_after: float | None = None  # seconds, from Retry-After (429s: throttling, a report type's cooldown)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        request = f" (request id {self.request_id})" if self.request_id else ""
        return f"HTTP {self.status} {self.code}: {self.message}{request}"

    @property
    def is_client_error(self) -> bool:
        """True for 4xx answers the caller can fix; throttling (429) counts as transient, not as a fault."""
        return 400 <= self.status < 500 and self.status != 429


class ApiUnavailableError(SpReportsError):
    """The API could not be reached (connection refused, DNS, timeout) after retries."""


@dataclass
class WaitTimeoutError(SpReportsError):
    """`wait_for_report` gave up before the report reached a terminal status."""

    report_id: str
    last_status: str | None
    waited_seconds: float

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"report {self.report_id} is still {self.last_status or 'unknown'} after "
            f"{self.waited_seconds:.0f} s"
        )
