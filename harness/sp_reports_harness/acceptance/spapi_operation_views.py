"""SP-API's side of a real seller's run, read through SP-API's own operations (``SpApiViews``), and the
subscription the run made, released at its end.

The views are what the emulator's control shows, built from what any app may ask (Reports API v2021-06-30,
Notifications API v1; the models `make models` fetches):

- ``report``: getReport with the seller's token. A Report carries no seller id; one the seller's token can
  read is that seller's.
- ``document``: getReportDocument, then its URL downloaded and decompressed as the stack does
  (``sp_reports.spapi.documents.iter_report_document``); the charset is the download's Content-Type parameter.
- ``subscription``: getSubscriptionById and getDestination (both grantless: "grantless" in their
  descriptions, notifications.json), and getSubscription with the seller's token, which says whether it is
  this seller's subscription of REPORT_PROCESSING_FINISHED.

``release`` undoes what the stack's ``POST /notifications`` did in SP-API for the run's queue: the seller's
subscription if it delivers there (deleteSubscriptionById), then the destination (deleteDestination). SP-API
keeps both after the queue is gone, and a seller may hold one subscription per notification type and app,
so a run that left them would keep the next one from subscribing. ``held`` lists what is still there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sp_reports.spapi.charsets import charset_label
from sp_reports.spapi.credentials import AppCredentials as LwaAppCredentials
from sp_reports.spapi.documents import iter_report_document
from sp_reports.spapi.errors import SpApiClientError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.notifications import (
    REPORT_PROCESSING_FINISHED,
    NotificationsClient,
    destination_sqs_arn,
)
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from sp_reports_harness.acceptance.stack_under_test import SellerUnderTest
from sp_reports_harness.deployment.local_deployment import AppCredentials
from spapi_emulator.control_protocol import DocumentView, ReportView, SubscriptionView


@dataclass(frozen=True)
class HeldInSpApi:
    """What SP-API holds for a queue: its destination and the seller's subscription delivering to it."""

    destination_id: str | None
    subscription_id: str | None

    def describe(self) -> list[str]:
        held = []
        if self.subscription_id is not None:
            held.append(
                f"SP-API subscription {self.subscription_id} ({REPORT_PROCESSING_FINISHED}, the seller's)"
            )
        if self.destination_id is not None:
            held.append(f"SP-API destination {self.destination_id} (the run's queue)")
        return held


class SpApiOperationsViews:
    """``SpApiViews`` of real SP-API (or a stand-in at ``spapi_endpoint_url``) for one seller."""

    def __init__(
        self,
        app: AppCredentials,
        seller: SellerUnderTest,
        spapi_endpoint_url: str | None = None,
        lwa_endpoint_url: str | None = None,
    ) -> None:
        self._seller = seller
        lwa = LwaClient(LwaAppCredentials(app.client_id, app.client_secret), endpoint=lwa_endpoint_url)
        http = SpApiHttpClient(spapi_endpoint_url or spapi_endpoint(seller.region_code))
        seller_token = lwa.seller_token_provider(seller.refresh_token)
        self._reports = ReportsClient(http, seller_token, stand_in=spapi_endpoint_url is not None)
        self._notifications = NotificationsClient(http, lwa.grantless_token_provider(), seller_token)

    def __repr__(self) -> str:
        return f"SpApiOperationsViews(seller={self._seller.seller_id!r})"

    def report(self, report_id: str) -> ReportView:
        report = self._reports.get_report(report_id)
        return ReportView(
            str(report["reportId"]),
            self._seller.seller_id,
            str(report["reportType"]),
            str(report["processingStatus"]),
            report.get("reportDocumentId"),
        )

    def document(self, report_document_id: str) -> DocumentView:
        stream = iter_report_document(self._reports, report_document_id)
        plain = b"".join(stream)
        return DocumentView(
            report_document_id, plain, stream.compression_algorithm, charset_label(stream.content_type)
        )

    def subscription(self, subscription_id: str) -> SubscriptionView:
        found = self._notifications.get_subscription_by_id(REPORT_PROCESSING_FINISHED, subscription_id)
        destination_id = str(found["destinationId"])
        destination = self._notifications.get_destination(destination_id)
        sellers = self._sellers_subscription()
        return SubscriptionView(
            str(found["subscriptionId"]),
            # Only the seller's own getSubscription ties a subscription to a seller.
            self._seller.seller_id if sellers and sellers["subscriptionId"] == subscription_id else "",
            REPORT_PROCESSING_FINISHED,
            destination_id,
            destination_sqs_arn(destination) or "",
        )

    def held(self, queue_arn: str) -> HeldInSpApi:
        destination = self._notifications.find_destination(queue_arn)
        if destination is None:
            return HeldInSpApi(None, None)
        destination_id = str(destination["destinationId"])
        sellers = self._sellers_subscription()
        if sellers is None or sellers.get("destinationId") != destination_id:
            return HeldInSpApi(destination_id, None)
        return HeldInSpApi(destination_id, str(sellers["subscriptionId"]))

    def existing_subscription(self) -> str | None:
        """The seller's subscription of REPORT_PROCESSING_FINISHED with this app, if any (another stack's,
        which the run would have to take over); None when there is none."""
        sellers = self._sellers_subscription()
        return None if sellers is None else str(sellers.get("subscriptionId"))

    def release(self, queue_arn: str) -> list[str]:
        """Delete the seller's subscription delivering to ``queue_arn``, then its destination; what was
        deleted."""
        held = self.held(queue_arn)
        deleted = held.describe()
        if held.subscription_id is not None:
            self._notifications.delete_subscription(REPORT_PROCESSING_FINISHED, held.subscription_id)
        if held.destination_id is not None:
            self._notifications.delete_destination(held.destination_id)
        return deleted

    def _sellers_subscription(self) -> dict | None:
        try:
            return self._notifications.get_subscription(REPORT_PROCESSING_FINISHED)
        except SpApiClientError as error:
            # The seller has none: getSubscription answers 404 "The resource specified does not exist"
            # (notifications.json).
            if error.status == 404:
                return None
            raise
