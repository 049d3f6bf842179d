"""What both peer drivers share: the scenario's settings from stdin, its order of calls, one JSON line per
call on stdout.

Runs in the peer clients' venv (tests/support/peer_venv.py), never beside our own `spapi` package. A line
carries the operation, the HTTP status, whether the library parsed the answer, and on failure the library's
exception type and message, with every secret it was given cut out.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

SETTINGS: dict[str, Any] = json.loads(sys.stdin.read())
_SECRETS = [SETTINGS["client_secret"], SETTINGS["refresh_token"]]


def keep_secret(value: str | None) -> None:
    """A value the driver learns (an access token, an RDT, a document URL) that must not reach its output."""
    if value:
        _SECRETS.append(value)


def _redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "<redacted>")
    return text


def emit(operation: str, status: int | None, parsed: bool, **facts: Any) -> None:
    line = json.dumps({"operation": operation, "status": status, "parsed": parsed, **facts}, default=str)
    print(_redact(line), flush=True)


def call(operation: str, action: Callable[[], tuple[int | None, dict[str, Any]]]) -> dict[str, Any] | None:
    """Run one library call; `action` returns (status, facts) once the library parsed the answer. An exception
    becomes a line with parsed false, its type and message (the caller decides whether it was expected)."""
    try:
        status, facts = action()
    except Exception as error:  # every library failure is a result to report, not a crash
        status = getattr(error, "status", None) or getattr(error, "code", None)
        emit(
            operation,
            status if isinstance(status, int) else None,
            False,
            error_type=f"{type(error).__module__}.{type(error).__name__}",
            error=_redact(str(error))[:500],
            where=_redact("".join(traceback.format_exception(error)[-3:]))[:1500],
        )
        return None
    emit(operation, status, True, **facts)
    return facts


def run_reports_and_notifications(driver: ModuleType) -> None:
    """The scenario's reports, documents, tokens, report schedules and notifications calls, in order, each
    through the driver's function of that name (which calls its library and returns the facts the test
    checks)."""
    created = call("createReport", driver.create_report)
    to_cancel = call("createReport", driver.create_report)
    if to_cancel:
        call("cancelReport", lambda: driver.cancel_report(to_cancel["reportId"]))
    document_id = None
    if created:
        for _ in range(40):
            facts = call("getReport", lambda: driver.get_report(created["reportId"]))
            if not facts or facts["processingStatus"] in ("DONE", "FATAL", "CANCELLED"):
                document_id = facts and facts["reportDocumentId"]
                break
            time.sleep(0.5)  # getReport: 2 requests a second (reports_2021-06-30.json), polled within it
    call("getReports", driver.get_reports)
    if document_id:
        call("getReportDocument+download", lambda: driver.report_document(document_id))
        call("createRestrictedDataToken", lambda: driver.restricted_data_token(document_id))

    schedule = call("createReportSchedule", driver.create_report_schedule)
    call("getReportSchedules", driver.get_report_schedules)
    if schedule:
        call("getReportSchedule", lambda: driver.get_report_schedule(schedule["reportScheduleId"]))
        call("cancelReportSchedule", lambda: driver.cancel_report_schedule(schedule["reportScheduleId"]))

    destination = call("createDestination", driver.create_destination)
    call("getDestinations", driver.get_destinations)
    if destination:
        subscription = call(
            "createSubscription", lambda: driver.create_subscription(destination["destinationId"])
        )
        call("getSubscription", driver.get_subscription)
        if subscription:
            call("deleteSubscriptionById", lambda: driver.delete_subscription(subscription["subscriptionId"]))
        call("deleteDestination", lambda: driver.delete_destination(destination["destinationId"]))
