"""POST /notifications behind the door: make sure SP-API delivers the seller's notifications of the asked type
to our queue, through our destination (created once per region, found after)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sp_reports.pipeline.api_requests import parse_json_body, parse_subscription_request
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.pipeline.tenancy import TenantBoundary
from sp_reports.spapi.notifications import NotificationsClient


class NotificationSubscriptions:
    def __init__(
        self,
        *,
        notifications_for: Callable[[str, str], NotificationsClient],
        queue_arn: str,
        destination_name: str,
        boundary: TenantBoundary,
        logger: StructuredLogger,
        metrics: MetricSink,
    ) -> None:
        self._notifications_for = notifications_for  # (seller_id, region_code) -> Notifications client
        self._queue_arn = queue_arn
        self._destination_name = destination_name
        self._boundary = boundary
        self._logger = logger
        self._metrics = metrics

    def subscribe(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """The API event's subscription ensured: (status, body) of the answer; ApiError when refused."""
        request = parse_subscription_request(parse_json_body(event))
        self._logger.append_keys(seller_id=request.seller_id, region_code=request.region_code)
        self._boundary.admit(event, request.seller_id)
        notifications = self._notifications_for(request.seller_id, request.region_code)
        destination_id = notifications.ensure_destination(self._queue_arn, self._destination_name)
        subscription = notifications.ensure_subscription(
            request.notification_type, destination_id, replace_elsewhere=request.replace_existing
        )
        self._logger.info(
            "subscription ensured",
            extra={
                "destination_id": destination_id,
                "subscription_id": subscription["subscriptionId"],
                "outcome": subscription.get("outcome"),
            },
        )
        self._metrics.add_metric(name="SubscriptionsEnsured", unit=COUNT, value=1)
        return 200, {"destinationId": destination_id, "subscriptionId": subscription["subscriptionId"]}
