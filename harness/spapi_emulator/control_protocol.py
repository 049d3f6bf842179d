"""What a test or ``make acceptance`` may ask of the SP-API emulator, wherever the emulator runs.

The deployed-stack assertions drive reports and read the emulator's side of the exchange through
``EmulatorControl`` only, so the same assertions run against the emulator in this process
(``InProcessControl``, local AWS) and against the emulator deployed in an AWS account behind its function URL
(the acceptance run's real-account target; ``remote.RemoteEmulatorControl`` implements the protocol over
HTTP). The views are plain values: nothing a caller holds can change the emulator's state behind its back, and
every view survives a JSON round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from spapi_emulator.settlements import SettlementAccount

if TYPE_CHECKING:
    from spapi_emulator.server import SpApiEmulator


@dataclass(frozen=True)
class ReportView:
    report_id: str
    seller_id: str
    report_type: str
    processing_status: str
    report_document_id: str | None


@dataclass(frozen=True)
class DocumentView:
    report_document_id: str
    plain: bytes  # the document's content, decompressed when it was stored compressed
    compression: str | None  # what getReportDocument says (``GZIP`` or None)
    charset_label: str | None  # the charset parameter of the download's Content-Type, as SP-API spells it


@dataclass(frozen=True)
class SubscriptionView:
    subscription_id: str
    seller_id: str
    notification_type: str
    destination_id: str
    destination_arn: str  # the SQS queue of the subscription's destination


@dataclass(frozen=True)
class ExchangeView:
    """One recorded request to the emulator and its status (the request body only; tokens are never kept)."""

    kind: str  # "spapi", "lwa" or "document"
    operation_id: str | None
    method: str
    path: str
    status: int
    request_body: str | None


class SpApiViews(Protocol):
    """SP-API's side of a seller's reports and subscription, as SP-API's own operations show it (getReport,
    getReportDocument and its download, getSubscriptionById with getDestination): what the assertions read
    from the emulator, and from real SP-API on a run with a real seller
    (sp_reports_harness.acceptance.spapi_operation_views)."""

    def report(self, report_id: str) -> ReportView: ...

    def document(self, report_document_id: str) -> DocumentView: ...

    def subscription(self, subscription_id: str) -> SubscriptionView: ...


class EmulatorControl(SpApiViews, Protocol):
    """The views, and the emulator's powers over SP-API that real SP-API does not give (ending a report
    now, choosing its document, holding notifications, its record of every exchange)."""

    def register_seller(self, refresh_token: str, seller_id: str) -> None:
        """A seller who authorised any registered application, selling in every marketplace."""

    def deauthorize_seller(self, seller_id: str) -> None:
        """The seller removes the application: its tokens stop working and APPLICATION_OAUTH_CHANGED
        (Deauthorization) is sent to the application's subscriptions of that type. An unknown or already
        deauthorised seller is refused (KeyError; 404 over HTTP)."""

    def finish_report(self, report_id: str, status: str = "DONE", document: bytes | None = None) -> None:
        """End the report now with ``status`` (DONE, FATAL or CANCELLED) and, for DONE/FATAL, ``document``
        (None: the report type's usual document); its REPORT_PROCESSING_FINISHED is sent."""

    def set_report_document(self, report_id: str, content: bytes) -> None:
        """The document the report will have when it finishes on the emulator's own clock."""

    def open_settlements(self, seller_id: str, marketplace_id: str, period_start: datetime) -> list[str]:
        """The seller's settlements in the marketplace begin at ``period_start``: Amazon makes a settlement
        report at the end of each period (spapi_emulator.settlements), also for periods already past; the ids
        of those made at once."""

    def exchanges(self) -> list[ExchangeView]: ...

    def restricted_data_tokens(self) -> list[str]:
        """Every Restricted Data Token issued so far (secrets: for asserting that none leaked)."""

    def hold_notifications(self) -> AbstractContextManager[list[str]]:
        """Inside the block, notifications are not delivered; the list collects their bodies (a dropped
        notification, for the sweep's assertions). Delivery resumes when the block ends."""

    def contract_violations(self) -> list[str]:
        """Every recorded SP-API exchange whose request or response the models do not allow."""

    def notification_errors(self) -> list[str]:
        """Every notification the emulator failed to deliver to its destination."""


class InProcessControl:
    """``EmulatorControl`` over an ``SpApiEmulator`` running in this process."""

    def __init__(self, emulator: SpApiEmulator) -> None:
        self._emulator = emulator

    def register_seller(self, refresh_token: str, seller_id: str) -> None:
        self._emulator.register_seller(refresh_token, seller_id)

    def deauthorize_seller(self, seller_id: str) -> None:
        if not self._emulator.deauthorize_seller(seller_id):
            raise KeyError(f"unknown seller {seller_id}, or already deauthorised")

    def finish_report(self, report_id: str, status: str = "DONE", document: bytes | None = None) -> None:
        self._emulator.finish_report(report_id, status, document)

    def set_report_document(self, report_id: str, content: bytes) -> None:
        self._emulator.set_report_document(report_id, content)

    def open_settlements(self, seller_id: str, marketplace_id: str, period_start: datetime) -> list[str]:
        account = SettlementAccount(seller_id, marketplace_id, period_start)
        self._emulator.open_settlements(account)
        return list(account.made)

    def report(self, report_id: str) -> ReportView:
        report = self._emulator.report(report_id)
        return ReportView(
            report.report_id,
            report.seller_id,
            report.report_type,
            report.processing_status,
            report.report_document_id,
        )

    def document(self, report_document_id: str) -> DocumentView:
        state = self._emulator.app.state
        with state.lock:
            document = state.documents[report_document_id]
        return DocumentView(
            document.report_document_id, document.plain, document.compression, document.charset_label
        )

    def subscription(self, subscription_id: str) -> SubscriptionView:
        state = self._emulator.app.state
        with state.lock:
            subscription = state.subscriptions[subscription_id]
            destination = state.destinations[subscription.destination_id]
        return SubscriptionView(
            subscription.subscription_id,
            subscription.seller_id,
            subscription.notification_type,
            subscription.destination_id,
            destination.arn,
        )

    def exchanges(self) -> list[ExchangeView]:
        return [
            ExchangeView(
                exchange.kind,
                exchange.operation_id,
                exchange.method,
                exchange.path,
                exchange.status,
                None if exchange.request_body is None else exchange.request_body.decode("utf-8", "replace"),
            )
            for exchange in self._emulator.exchanges
        ]

    def restricted_data_tokens(self) -> list[str]:
        state = self._emulator.app.state
        with state.lock:
            return [token for token, grant in state.access_tokens.items() if grant.kind == "restricted"]

    @contextmanager
    def hold_notifications(self) -> Iterator[list[str]]:
        held: list[str] = []
        deliver = self._emulator.notification_sink
        self._emulator.notification_sink = lambda _destination, body: held.append(body)
        try:
            yield held
        finally:
            self._emulator.notification_sink = deliver

    def contract_violations(self) -> list[str]:
        return self._emulator.contract_violations()

    def notification_errors(self) -> list[str]:
        return list(self._emulator.notification_errors)
