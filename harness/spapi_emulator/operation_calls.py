"""What an operation handler receives (`OperationCall`) and how it fails (`ApiError`: SP-API's errors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from spapi_emulator.context import EmulatorContext
from spapi_emulator.state import AccessGrant

# Error code and message per status, for injected faults and throttling.
FAULT_BODIES = {
    400: ("InvalidInput", "Invalid input."),
    403: ("Unauthorized", "Access to requested resource is denied."),
    404: ("NotFound", "The requested resource was not found."),
    429: ("QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Service is temporarily unavailable. Please try again."),
}


@dataclass
class OperationCall:
    """A request that passed authorisation, rate limiting and contract validation."""

    context: EmulatorContext
    grant: AccessGrant
    path_params: dict[str, str]
    query: MultiDict[str, str]
    body: Any
    host_url: str

    @property
    def endpoint(self) -> str:
        """The SP-API endpoint the request came to (its Host, port included): each regional endpoint keeps
        its own destinations and subscriptions."""
        return self.host_url.split("://", 1)[-1].rstrip("/").lower()

    def csv(self, name: str) -> list[str]:
        """A query array, whether sent comma-separated (swagger's csv default) or repeated."""
        values: list[str] = []
        for raw in self.query.getlist(name):
            values.extend(part for part in raw.split(",") if part)
        return values


# A handler answers (status, JSON-able body or None for an empty body) or raises ApiError.
Handler = Callable[[OperationCall], tuple[int, Any]]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"errors": [error]}


def unauthorized(details: str = "") -> ApiError:
    """SP-API's 403. Its details are often empty, `"details": ""` (selling-partner-api-models#826, #1433,
    #2623; selling-partner-api-docs#62 for a wrong path); some name the reason (an expired or revoked access
    token, models#2333; an expired client secret, models#4489)."""
    return ApiError(403, "Unauthorized", "Access to requested resource is denied.", details)


def missing_token() -> ApiError:
    """A request without x-amz-access-token: 403 {"errors": [{"message": "Access to requested resource is
    denied.", "code": "MissingAuthenticationToken"}]}, no details (selling-partner-api-docs#51 and
    selling-partner-api-models#712, #736, #1227)."""
    return ApiError(403, "MissingAuthenticationToken", "Access to requested resource is denied.")


def not_found(what: str) -> ApiError:
    return ApiError(404, "NotFound", f"{what} was not found.")


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidInput", message)
