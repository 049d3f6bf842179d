"""The `sp-reports` client: SigV4-signed calls to the sp-reports API, as a Python API and a CLI."""

from .client import (
    SUCCESS_STATUSES,
    TERMINAL_STATUSES,
    Plan,
    PlanPage,
    Report,
    ReportRequestResult,
    SpReportsClient,
    StoredToken,
    Subscription,
)
from .config import ApiEndpoints, ClientConfig, ConfigFlags, resolve_config
from .errors import ApiError, ApiUnavailableError, ConfigurationError, SpReportsError, WaitTimeoutError
from .transport import RetryPolicy

__all__ = [
    "SUCCESS_STATUSES",
    "TERMINAL_STATUSES",
    "ApiEndpoints",
    "ApiError",
    "ApiUnavailableError",
    "ClientConfig",
    "ConfigFlags",
    "ConfigurationError",
    "Plan",
    "PlanPage",
    "Report",
    "ReportRequestResult",
    "RetryPolicy",
    "SpReportsClient",
    "SpReportsError",
    "StoredToken",
    "Subscription",
    "WaitTimeoutError",
    "resolve_config",
]
