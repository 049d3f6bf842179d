"""Before the assertions on an account: wait until what the apply created answers the deployer.

IAM is eventually consistent (IAM User Guide, "Troubleshoot IAM", "Changes that I make are not always
immediately visible": a change "takes time to become visible"; "verify that the changes have been
propagated before production workflows depend on them"). For seconds after ``terraform apply`` a real
account can refuse what it will soon allow: assuming the API's invoke role (STS AccessDenied), that role's
``execute-api:Invoke`` (API Gateway's 403), the emulator's function URL (Lambda's 403). The run retries
each first call while it is refused, up to ``READY_TIMEOUT_SECONDS``, so that a refusal the assertions see
is one the stack makes, not propagation. Any other answer ends the wait at once, whatever it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError

from sp_reports.client import ApiError, ConfigurationError, SpReportsClient
from sp_reports_harness.acceptance.results import AcceptanceFailed
from spapi_emulator.remote_control import ControlError

T = TypeVar("T")
READY_TIMEOUT_SECONDS = 180.0
RETRY_INTERVAL_SECONDS = 5.0
# An id no report has: GET /reports/{id} answers 404 once the caller is authorised.
PROBE_REPORT_ID = "acceptance-readiness-probe"


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` is an authorisation refusal that IAM propagation explains."""
    if isinstance(error, ControlError | ApiError):
        return error.status == 403
    if isinstance(error, ConfigurationError) and isinstance(error.__cause__, ClientError):
        return error.__cause__.response.get("Error", {}).get("Code") == "AccessDenied"
    return False


def retry_while_refused(
    call: Callable[[], T],
    what: str,
    timeout: float = READY_TIMEOUT_SECONDS,
    interval: float = RETRY_INTERVAL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``call()``'s answer once it is not refused; AcceptanceFailed naming ``what`` after ``timeout`` s."""
    deadline = clock() + timeout
    while True:
        try:
            return call()
        except Exception as error:
            if not is_refusal(error):
                raise
            if clock() >= deadline:
                raise AcceptanceFailed(
                    f"{what} was still refused {timeout:.0f} s after the apply: {error}"
                ) from None
        sleep(interval)


def api_answers(client: SpReportsClient) -> str:
    """Probe the API as its invoke role: any answer but a refusal (404 for the probe id) means it is ready."""
    try:
        client.get_report(PROBE_REPORT_ID)
    except ApiError as error:
        if error.status == 403:
            raise
        return f"HTTP {error.status}"
    return "HTTP 200"
