"""What the emulator's operations need of the emulator: `EmulatorContext`.

The SP-API operations (`reports_api`, `report_schedules_api`, `notifications_api`, `tokens_api`), the LWA
token endpoint (`lwa`) and the document host (`documents`) take this protocol, not the `EmulatorApp` that
routes requests to them: they name exactly what they use - the state, the clock, the settings, the fault
switches, the document URLs and the report lifecycle's entry points - and never import the app, which
imports them. `EmulatorApp` is the one implementation (a test checks it satisfies the protocol).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Protocol

from spapi_emulator.config import EmulatorConfig
from spapi_emulator.faults import FaultSwitches
from spapi_emulator.state import EmulatorState, Report


class DocumentUrls(Protocol):
    def url(self, host_url: str, document_id: str, content_encoding: bool) -> str:
        """An expiring download URL of the document (SP-API: a presigned S3 URL)."""
        ...


class EmulatorContext(Protocol):
    state: EmulatorState
    config: EmulatorConfig
    faults: FaultSwitches
    documents: DocumentUrls
    lwa_exchanges: Counter[str]  # LWA token requests counted per grant type
    refused_report_types: dict[str, str]  # createReport's refusals: report type -> SP-API's message
    # createReportSchedule's refusals of types createReport still makes (a test's choice: which types may be
    # scheduled is only known by trying, selling-partner-api-docs#1368): report type -> SP-API's message
    schedule_refusals: dict[str, str]

    def monotonic(self) -> float:
        """The emulator's clock of token expiry, report lifecycle and rate limits (seconds)."""
        ...

    def wall(self) -> float:
        """The emulator's wall clock (epoch seconds), shifted as the monotonic one."""
        ...

    def now(self) -> datetime:
        """`wall()` as an aware UTC datetime."""
        ...

    def configures_report_type(self, report_type: str) -> bool:
        """True when a test configured the type's outcome (a type SP-API then knows)."""
        ...

    def set_report_document(self, report_id: str, content: bytes) -> None:
        """The document a report gets when it ends DONE."""
        ...

    def add_report(self, report: Report) -> None:
        """A new report enters the time-driven lifecycle (IN_QUEUE)."""
        ...

    def cancel_queued_report(self, report_id: str) -> str:
        """Cancel the report if it is IN_QUEUE; returns the status it had."""
        ...
