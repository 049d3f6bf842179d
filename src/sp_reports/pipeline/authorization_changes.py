"""APPLICATION_OAUTH_CHANGED: SP-API's notification that a selling partner authorised or deauthorised our app.

SP-API's "Notification Type Values" page (https://developer-docs.amazon.com/sp-api/docs/notification-type-values,
APPLICATION_OAUTH_CHANGED) gives the message in PascalCase, unlike REPORT_PROCESSING_FINISHED's camelCase:

    {"NotificationVersion": "1.0", "NotificationType": "APPLICATION_OAUTH_CHANGED", "PayloadVersion": "1.0",
     "EventTime": "...",
     "Payload": {"ApplicationOAuthChanged": {
         "SellerId": "A3TH9S8BH6GOGM",
         "AuthorizationChange": {"ChangeType": "Deauthorization", "ChangeReason": "User request"}}},
     "NotificationMetadata": {"ApplicationId": "...", "SubscriptionId": "...", "PublishTime": "...",
                              "NotificationId": "..."}}

ChangeType is `Authorization` or `Deauthorization`. The partner is named `SellerId` for sellers and
`SellingPartnerId` in the newer payload; either is accepted, and it must be a selling partner id as POST
/tokens accepts one (it picks the token to erase). A deauthorisation erases the seller's token and stops its
future work (sp_reports.pipeline.seller_erasure, `revoke`); an authorisation changes nothing (POST /tokens
stores
the new token).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sp_reports.pipeline.notifications_processing import InvalidNotificationError
from sp_reports.pipeline.token_store import SELLER_ID_PATTERN
from sp_reports.spapi.notifications import APPLICATION_OAUTH_CHANGED

DEAUTHORIZATION = "Deauthorization"
CHANGE_TYPES = frozenset({"Authorization", DEAUTHORIZATION})
_PARTNER_FIELDS = ("SellerId", "SellingPartnerId")


@dataclass(frozen=True)
class ApplicationOAuthChanged:
    notification_id: str
    seller_id: str
    change_type: str
    application_id: str

    @property
    def deauthorized(self) -> bool:
        return self.change_type == DEAUTHORIZATION


def parse_application_oauth_changed(body: str | bytes) -> ApplicationOAuthChanged | None:
    """The notification, or None when the body is not an APPLICATION_OAUTH_CHANGED one (another type, or not
    JSON: the REPORT_PROCESSING_FINISHED parser then says what is wrong). InvalidNotificationError names the
    JSON path at fault in a malformed one and never repeats the body."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or document.get("NotificationType") != APPLICATION_OAUTH_CHANGED:
        return None
    metadata = _object(document, "NotificationMetadata", "$")
    application_id = _string(metadata, "ApplicationId", "$.NotificationMetadata")
    notification_id = _string(metadata, "NotificationId", "$.NotificationMetadata")
    path = "$.Payload.ApplicationOAuthChanged"
    changed = _object(_object(document, "Payload", "$"), "ApplicationOAuthChanged", "$.Payload")
    present = [name for name in _PARTNER_FIELDS if changed.get(name) is not None]
    if not present:
        raise InvalidNotificationError(f"{path}.SellerId: is required (or SellingPartnerId)")
    seller_id = _string(changed, present[0], path)
    if not SELLER_ID_PATTERN.match(seller_id):
        raise InvalidNotificationError(f"{path}.{present[0]}: expected 8-20 upper-case letters or digits")
    change = _object(changed, "AuthorizationChange", path)
    change_type = _string(change, "ChangeType", f"{path}.AuthorizationChange")
    if change_type not in CHANGE_TYPES:
        raise InvalidNotificationError(
            f"{path}.AuthorizationChange.ChangeType: {change_type!r} is not one of "
            f"{', '.join(sorted(CHANGE_TYPES))}"
        )
    return ApplicationOAuthChanged(notification_id, seller_id, change_type, application_id)


def _object(parent: dict[str, Any], name: str, path: str) -> dict[str, Any]:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise InvalidNotificationError(f"{path}.{name}: must be an object")
    return value


def _string(parent: dict[str, Any], name: str, path: str) -> str:
    value = parent.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidNotificationError(f"{path}.{name}: must be a non-empty string")
    return value
