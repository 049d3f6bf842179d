"""Notifications API v1: make sure our SQS destination and a seller's subscription exist (idempotently).

Grantless operations (createDestination, getDestinations, getDestination, deleteDestination,
getSubscriptionById, deleteSubscriptionById: "grantless" in each operation's description, notifications.json)
use the client-credentials token; createSubscription and getSubscription need the seller's token. Responses
are wrapped in `payload`.
deleteSubscriptionById is grantless by the Notifications model itself ("The `deleteSubscriptionById`
operation is grantless.", notifications.json at selling-partner-api-models 34dc93f), which settles the 2022
claim that it had stopped being grantless (selling-partner-api-docs#1850). A 404 from it means the
subscription is already gone: what we wanted, so it is not an error.

Conflicts are recovered, not reported: a destination for the same ARN (409 Conflict) is looked up with
getDestinations; an existing subscription (409 StateConflict) is read with getSubscription. When that
subscription delivers to another destination, it is re-pointed (deleteSubscriptionById, then
createSubscription), because the caller asked for notifications at *this* destination; the result says so
(`outcome: "repointed"`).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from sp_reports.spapi.errors import SpApiClientError, SpApiServerError, SubscriptionElsewhereError
from sp_reports.spapi.http import AccessToken, SpApiHttpClient, SpApiResponse

logger = logging.getLogger("sp_reports.spapi.notifications")

BASE_PATH = "/notifications/v1"
# The notification types we subscribe sellers to (docs/spapi-notes.md#notifications-api): a report finished
# (docs/spapi-notes.md#report-processing-finished), and a seller authorised or deauthorised the application
# (docs/spapi-notes.md#authorization).
REPORT_PROCESSING_FINISHED = "REPORT_PROCESSING_FINISHED"
APPLICATION_OAUTH_CHANGED = "APPLICATION_OAUTH_CHANGED"
# The AWS account SP-API sends notifications from; a destination queue's policy lets it send
# (docs/spapi-notes.md#sqs-destinations).
SPAPI_NOTIFICATIONS_ACCOUNT_ID = "437568002678"
SQS_ARN_PREFIX = "arn:aws:sqs:"


def _payload(response: SpApiResponse, operation: str) -> Any:
    if not isinstance(response.body, dict) or "payload" not in response.body:
        raise SpApiServerError(
            response.status,
            "InvalidResponse",
            f"{operation} answered without a payload",
            request_id=response.request_id,
            operation=operation,
        )
    return response.body["payload"]


def _segment(value: str, field_name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field_name}: a non-empty string is required")
    return quote(value, safe="")


def destination_sqs_arn(destination: dict[str, Any]) -> str | None:
    """The SQS queue ARN a Destination delivers to (resource.sqs.arn), or None for another kind."""
    resource = destination.get("resource") or {}
    arn = (resource.get("sqs") or {}).get("arn")
    return arn if isinstance(arn, str) else None


class NotificationsClient:
    def __init__(
        self,
        http: SpApiHttpClient,
        grantless_token_provider: AccessToken,
        seller_token_provider: AccessToken | None = None,
    ) -> None:
        self.http = http
        self._grantless = grantless_token_provider
        self._seller = seller_token_provider

    def __repr__(self) -> str:
        return f"NotificationsClient(http={self.http!r})"

    def _seller_token(self) -> AccessToken:
        if self._seller is None:
            raise ValueError("seller_token_provider: this operation needs the seller's access token")
        return self._seller

    # Destinations (grantless) ----------------------------------------------------------------------------

    def ensure_destination(self, sqs_arn: str, name: str) -> str:
        """The destinationId for `sqs_arn`, creating the destination when it does not exist yet."""
        if (
            not isinstance(sqs_arn, str)
            or not sqs_arn.startswith(SQS_ARN_PREFIX)
            or len(sqs_arn.split(":")) < 6
        ):
            raise ValueError("sqsArn: expected an SQS queue ARN (arn:aws:sqs:region:account:queue)")
        if not isinstance(name, str) or not name or len(name) > 256:
            raise ValueError("name: a destination name of 1-256 characters is required")
        body = {"name": name, "resourceSpecification": {"sqs": {"arn": sqs_arn}}}
        try:
            response = self.http.request(
                "createDestination",
                "POST",
                f"{BASE_PATH}/destinations",
                access_token=self._grantless,
                json=body,
            )
        except SpApiClientError as conflict:
            if conflict.status != 409:
                raise
            existing = self.find_destination(sqs_arn)
            if existing is None:
                raise
            logger.info("destination already exists", extra={"destination_id": existing["destinationId"]})
            return existing["destinationId"]
        destination = _payload(response, "createDestination")
        return destination["destinationId"]

    def get_destinations(self) -> list[dict[str, Any]]:
        response = self.http.request(
            "getDestinations", "GET", f"{BASE_PATH}/destinations", access_token=self._grantless
        )
        destinations = _payload(response, "getDestinations")
        return destinations if isinstance(destinations, list) else []

    def get_destination(self, destination_id: str) -> dict[str, Any]:
        """The Destination (destinationId, name, resource.sqs.arn)."""
        response = self.http.request(
            "getDestination",
            "GET",
            f"{BASE_PATH}/destinations/{_segment(destination_id, 'destinationId')}",
            access_token=self._grantless,
        )
        return dict(_payload(response, "getDestination"))

    def delete_destination(self, destination_id: str) -> bool:
        """deleteDestination. True when it deleted the destination; False when SP-API answered 404 (already
        gone)."""
        try:
            self.http.request(
                "deleteDestination",
                "DELETE",
                f"{BASE_PATH}/destinations/{_segment(destination_id, 'destinationId')}",
                access_token=self._grantless,
            )
        except SpApiClientError as refused:
            if refused.status != 404:
                raise
            return False
        return True

    def find_destination(self, sqs_arn: str) -> dict[str, Any] | None:
        for destination in self.get_destinations():
            if destination_sqs_arn(destination) == sqs_arn:
                return destination
        return None

    # Subscriptions ----------------------------------------------------------------------------------------

    def ensure_subscription(
        self,
        notification_type: str,
        destination_id: str,
        payload_version: str = "1.0",
        *,
        replace_elsewhere: bool = False,
    ) -> dict[str, Any]:
        """Make sure the seller is subscribed to `notification_type` at `destination_id`.

        Returns the Subscription (subscriptionId, destinationId, payloadVersion, ...) plus `outcome`:
        "created", "existing" (already pointed here) or "repointed" (it pointed elsewhere, see
        `previousDestinationId`; we deleted it and subscribed again). A subscription that points elsewhere
        is moved only with `replace_elsewhere`; otherwise SubscriptionElsewhereError, since the other
        destination stops receiving the seller's notifications.
        """
        path_type = _segment(notification_type, "notificationType")
        if not isinstance(destination_id, str) or not destination_id:
            raise ValueError("destinationId: a non-empty string is required")
        try:
            return {
                **self._create_subscription(path_type, destination_id, payload_version),
                "outcome": "created",
            }
        except SpApiClientError as conflict:
            if conflict.status != 409:
                raise
        existing = self.get_subscription(notification_type, payload_version)
        if existing.get("destinationId") == destination_id:
            return {**existing, "outcome": "existing"}
        if not replace_elsewhere:
            raise SubscriptionElsewhereError(
                notification_type, str(existing.get("subscriptionId")), str(existing.get("destinationId"))
            )
        logger.warning(
            "subscription delivers to another destination; re-pointing it as asked",
            extra={
                "notification_type": notification_type,
                "subscription_id": existing.get("subscriptionId"),
                "previous_destination_id": existing.get("destinationId"),
                "destination_id": destination_id,
            },
        )
        self.delete_subscription(notification_type, existing["subscriptionId"])
        created = self._create_subscription(path_type, destination_id, payload_version)
        return {**created, "outcome": "repointed", "previousDestinationId": existing.get("destinationId")}

    def _create_subscription(
        self, path_type: str, destination_id: str, payload_version: str
    ) -> dict[str, Any]:
        response = self.http.request(
            "createSubscription",
            "POST",
            f"{BASE_PATH}/subscriptions/{path_type}",
            access_token=self._seller_token(),
            json={"payloadVersion": payload_version, "destinationId": destination_id},
        )
        return dict(_payload(response, "createSubscription"))

    def get_subscription(self, notification_type: str, payload_version: str | None = None) -> dict[str, Any]:
        params = {"payloadVersion": payload_version} if payload_version else None
        response = self.http.request(
            "getSubscription",
            "GET",
            f"{BASE_PATH}/subscriptions/{_segment(notification_type, 'notificationType')}",
            access_token=self._seller_token(),
            params=params,
        )
        return dict(_payload(response, "getSubscription"))

    def get_subscription_by_id(self, notification_type: str, subscription_id: str) -> dict[str, Any]:
        """getSubscriptionById (grantless): the Subscription (subscriptionId, destinationId, ...)."""
        response = self.http.request(
            "getSubscriptionById",
            "GET",
            f"{BASE_PATH}/subscriptions/{_segment(notification_type, 'notificationType')}/"
            f"{_segment(subscription_id, 'subscriptionId')}",
            access_token=self._grantless,
        )
        return dict(_payload(response, "getSubscriptionById"))

    def delete_subscription(self, notification_type: str, subscription_id: str) -> bool:
        """deleteSubscriptionById (grantless). True when it deleted the subscription; False when SP-API
        answered 404, the subscription being already gone (deleted by another caller, or never ours)."""
        try:
            self.http.request(
                "deleteSubscriptionById",
                "DELETE",
                f"{BASE_PATH}/subscriptions/{_segment(notification_type, 'notificationType')}/"
                f"{_segment(subscription_id, 'subscriptionId')}",
                access_token=self._grantless,
            )
        except SpApiClientError as refused:
            if refused.status != 404:
                raise
            logger.info(
                "subscription already gone",
                extra={"subscription_id": subscription_id, "request_id": refused.request_id},
            )
            return False
        return True
