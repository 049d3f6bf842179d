"""Notifications v1 operations on destinations and subscriptions, answers wrapped in `{"payload": …}`.

Not supported: eventBridge destinations and `processingDirective` (REPORT_PROCESSING_FINISHED has no event
filter and the pipeline delivers to SQS only) answer 400 `InvalidInput` naming the field;
sendTestNotification (sandbox-only) answers 404 from the app. Subscriptions are unique per application,
seller, notification type and payload version. Destinations belong to the application (grantless),
subscriptions to application and seller.

Both are per regional endpoint (the request's Host): a destination created at one endpoint does not exist at
another, although createDestination is grantless. createSubscription there answers 400 InvalidInput
"Request has missing or invalid parameters and cannot be parsed." with details "No destination with id … for
applicationId …" (selling-partner-api-models#2151 and #2406: a Far East / UAE / Europe subscription to a
destination that exists in another region; #4286: "Notifications destinations seem to be region-specific").
"""

from __future__ import annotations

import uuid
from typing import Any

from spapi_emulator import state as st
from spapi_emulator.operation_calls import ApiError, Handler, OperationCall, invalid, not_found, unauthorized


def create_destination(call: OperationCall) -> tuple[int, Any]:
    specification = call.body["resourceSpecification"]
    if "eventBridge" in specification:
        raise invalid("resourceSpecification.eventBridge: EventBridge destinations are not supported.")
    if "sqs" not in specification:
        raise invalid("resourceSpecification.sqs is required.")
    arn = specification["sqs"]["arn"]
    client_id = call.grant.client_id
    state = call.context.state
    with state.lock:
        for destination in _app_destinations(call):
            if destination.arn == arn:
                raise ApiError(
                    409,
                    "Conflict",
                    "The requested resource conflict with a resource in the server.",
                    f"A destination with arn {arn} already exists for the application "
                    f"{state.application_id(client_id)}",
                )
        destination = st.Destination(str(uuid.uuid4()), client_id, call.body["name"], arn, call.endpoint)
        state.destinations[destination.destination_id] = destination
    return 200, {"payload": destination.to_model()}


def _app_destinations(call: OperationCall) -> list[st.Destination]:
    """The application's destinations at this endpoint (state lock held)."""
    return [
        d
        for d in call.context.state.destinations.values()
        if d.client_id == call.grant.client_id and d.endpoint == call.endpoint
    ]


def _app_destination(call: OperationCall, destination_id: str) -> st.Destination | None:
    destination = call.context.state.destinations.get(destination_id)
    if destination is None or destination not in _app_destinations(call):
        return None
    return destination


def _own_destination(call: OperationCall) -> st.Destination:
    destination_id = call.path_params["destinationId"]
    destination = _app_destination(call, destination_id)
    if destination is None:
        raise not_found(f"Destination {destination_id}")
    return destination


def get_destinations(call: OperationCall) -> tuple[int, Any]:
    with call.context.state.lock:
        mine = [d.to_model() for d in _app_destinations(call)]
    return 200, {"payload": mine}


def get_destination(call: OperationCall) -> tuple[int, Any]:
    with call.context.state.lock:
        return 200, {"payload": _own_destination(call).to_model()}


def delete_destination(call: OperationCall) -> tuple[int, Any]:
    state = call.context.state
    with state.lock:
        destination = _own_destination(call)
        if any(s.destination_id == destination.destination_id for s in state.subscriptions.values()):
            # The code SP-API answers here (selling-partner-api-models#2113).
            raise unauthorized("Destination has subscriptions")
        del state.destinations[destination.destination_id]
    return 200, {}


def create_subscription(call: OperationCall) -> tuple[int, Any]:
    notification_type = call.path_params["notificationType"]
    body, grant, state = call.body, call.grant, call.context.state
    if "processingDirective" in body:
        raise invalid(f"processingDirective: not supported for {notification_type} subscriptions.")
    with state.lock:
        destination = _app_destination(call, body["destinationId"])
        if destination is None:
            # SP-API's answer, also for a destination of another region (selling-partner-api-models#2151).
            raise ApiError(
                400,
                "InvalidInput",
                "Request has missing or invalid parameters and cannot be parsed.",
                f"No destination with id {body['destinationId']} for applicationId "
                f"{state.application_id(grant.client_id)}",
            )
        duplicate = [
            s
            for s in _seller_subscriptions(call, notification_type)
            if s.payload_version == body["payloadVersion"]
        ]
        if duplicate:
            raise ApiError(
                409,
                "StateConflict",
                "The resource specified conflicts with the current state.",
                f"Subscription already exist for notification type {notification_type}",
            )
        subscription = st.Subscription(
            subscription_id=str(uuid.uuid4()),
            client_id=grant.client_id,
            seller_id=grant.seller_id or "",
            notification_type=notification_type,
            payload_version=body["payloadVersion"],
            destination_id=destination.destination_id,
            endpoint=call.endpoint,
        )
        state.subscriptions[subscription.subscription_id] = subscription
    return 200, {"payload": subscription.to_model()}


def _seller_subscriptions(call: OperationCall, notification_type: str) -> list[st.Subscription]:
    grant = call.grant
    return [
        s
        for s in call.context.state.subscriptions.values()
        if s.client_id == grant.client_id
        and s.seller_id == grant.seller_id
        and s.notification_type == notification_type
        and s.endpoint == call.endpoint
    ]


def get_subscription(call: OperationCall) -> tuple[int, Any]:
    notification_type = call.path_params["notificationType"]
    version = call.query.get("payloadVersion")
    with call.context.state.lock:
        candidates = _seller_subscriptions(call, notification_type)
    if version:
        candidates = [s for s in candidates if s.payload_version == version]
    if not candidates:
        raise not_found(f"Subscription for notification type {notification_type}")
    # Without payloadVersion SP-API answers the latest version's subscription.
    latest = max(candidates, key=lambda s: s.payload_version)
    return 200, {"payload": latest.to_model()}


def get_subscriptions(call: OperationCall) -> tuple[int, Any]:
    notification_type = call.csv("notificationTypes")[0]
    version = call.query.get("payloadVersion")
    with call.context.state.lock:
        found = _seller_subscriptions(call, notification_type)
    if version:
        found = [s for s in found if s.payload_version == version]
    # A seller has a handful of payload versions per type, far below the minimum page size of 30: one page.
    return 200, {"payload": {"subscriptions": [s.to_model() for s in found]}}


def _app_subscription(call: OperationCall) -> st.Subscription:
    params = call.path_params
    subscription = call.context.state.subscriptions.get(params["subscriptionId"])
    if (
        subscription is None
        or subscription.client_id != call.grant.client_id
        or subscription.notification_type != params["notificationType"]
        or subscription.endpoint != call.endpoint
        or (call.grant.kind == "seller" and subscription.seller_id != call.grant.seller_id)
    ):
        raise not_found(f"Subscription {params['subscriptionId']}")
    return subscription


def get_subscription_by_id(call: OperationCall) -> tuple[int, Any]:
    with call.context.state.lock:
        return 200, {"payload": _app_subscription(call).to_model()}


def delete_subscription_by_id(call: OperationCall) -> tuple[int, Any]:
    state = call.context.state
    with state.lock:
        subscription = _app_subscription(call)
        del state.subscriptions[subscription.subscription_id]
    return 200, {}


HANDLERS: dict[str, Handler] = {
    "createDestination": create_destination,
    "getDestinations": get_destinations,
    "getDestination": get_destination,
    "deleteDestination": delete_destination,
    "createSubscription": create_subscription,
    "getSubscription": get_subscription,
    "getSubscriptions": get_subscriptions,
    "getSubscriptionById": get_subscription_by_id,
    "deleteSubscriptionById": delete_subscription_by_id,
}
