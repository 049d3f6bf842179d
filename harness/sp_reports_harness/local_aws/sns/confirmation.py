"""SNS email subscriptions stay pending until someone confirms them, as on AWS; pinned moto confirms at once.

What AWS does, and this module makes moto do:

- An email or email-json subscription needs confirmation: SNS emails a link with a token, and until
  ConfirmSubscription is called with it the subscription is pending (SNS API reference: Subscribe answers
  "pending confirmation" unless ReturnSubscriptionArn; GetSubscriptionAttributes, PendingConfirmation: "true
  if the subscription hasn't been confirmed. To confirm a pending subscription, call the ConfirmSubscription
  action with a confirmation token").
- ListSubscriptions and ListSubscriptionsByTopic show a pending subscription with the SubscriptionArn
  ``PendingConfirmation`` (what AWS returns; the API reference only types the field as a string).
- A pending subscription receives nothing published to the topic; unconfirmed subscriptions are deleted
  after 48 hours (SNS Developer Guide, "Deleting an Amazon SNS subscription and topic").

Patches (version-checked and reversible through ``PatchSet``):

- ``SNSBackend.subscribe``: a new email/email-json subscription starts pending with a confirmation token;
- ``SNSResponse.subscribe``: answers ``pending confirmation`` for it unless ``ReturnSubscriptionArn=true``;
- ``SNSResponse.list_subscriptions`` / ``list_subscriptions_by_topic``: list it as ``PendingConfirmation``;
- ``SNSResponse.confirm_subscription``: the token confirms it (``InvalidParameter`` otherwise), moto's own
  version accepted any token and confirmed nothing;
- ``Subscription.publish``: a pending subscription gets nothing; each message a confirmed email subscription
  gets is kept, for ``sns_messages.delivered_messages``.

Not modelled: the 48-hour deletion, and confirmation of http/https endpoints (this stack subscribes email
only). The confirmation email itself is ``pending_confirmations`` in ``local_aws.sns.messages``.
"""

from __future__ import annotations

import secrets
from typing import Any

from sp_reports_harness.local_aws.moto_internals import (
    ActionResult,
    PatchSet,
    SNSBackend,
    SNSInvalidParameter,
    SNSNotFoundError,
    SNSResponse,
    Subscription,
)

CONFIRMED_BY_TOKEN = frozenset({"email", "email-json"})
PENDING_ARN_IN_LISTS = "PendingConfirmation"
PENDING_ARN_ON_SUBSCRIBE = "pending confirmation"


def is_pending(subscription: Subscription) -> bool:
    return subscription.attributes.get("PendingConfirmation") is True


def confirmation_token(subscription: Subscription) -> str | None:
    """The token SNS puts in the confirmation email of a pending subscription."""
    return getattr(subscription, "_confirmation_token", None) if is_pending(subscription) else None


def deliveries(subscription: Subscription) -> list[tuple[str, str | None, str]]:
    """(message id, subject, message) of each message the confirmed subscription received."""
    return list(getattr(subscription, "_deliveries", []))


def sns_confirmation_patches() -> PatchSet:
    patches = PatchSet("sns_confirmation")
    original_subscribe = SNSBackend.subscribe
    original_subscribe_response = SNSResponse.subscribe
    original_publish = Subscription.publish

    def subscribe(self: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Subscription:
        existing = self._find_subscription(topic_arn, endpoint, protocol)
        subscription = original_subscribe(self, topic_arn, endpoint, protocol)
        if existing is None and protocol in CONFIRMED_BY_TOKEN:
            subscription.attributes["PendingConfirmation"] = True
            subscription.attributes["ConfirmationWasAuthenticated"] = False
            subscription._confirmation_token = secrets.token_hex(64)
        return subscription

    def subscribe_response(self: SNSResponse) -> ActionResult:
        answer = original_subscribe_response(self)
        subscription = self.backend.subscriptions.get(answer.result["SubscriptionArn"])
        wants_arn = str(self._get_param("ReturnSubscriptionArn", "false")).lower() == "true"
        if subscription is not None and is_pending(subscription) and not wants_arn:
            return ActionResult({"SubscriptionArn": PENDING_ARN_ON_SUBSCRIBE})
        return answer

    def list_subscriptions(self: SNSResponse) -> ActionResult:
        subscriptions, next_token = self.backend.list_subscriptions(next_token=self._get_param("NextToken"))
        return ActionResult({"Subscriptions": [_listed(s) for s in subscriptions], "NextToken": next_token})

    def list_subscriptions_by_topic(self: SNSResponse) -> ActionResult:
        subscriptions, next_token = self.backend.list_subscriptions_by_topic(
            self._get_param("TopicArn"), next_token=self._get_param("NextToken")
        )
        return ActionResult({"Subscriptions": [_listed(s) for s in subscriptions], "NextToken": next_token})

    def confirm_subscription(self: SNSResponse) -> ActionResult:
        topic_arn = self._get_param("TopicArn")
        if topic_arn not in self.backend.topics:
            raise SNSNotFoundError("Topic does not exist")
        token = self._get_param("Token") or ""
        for subscription in self.backend.subscriptions.values():
            if subscription.topic.arn != topic_arn:
                continue
            if getattr(subscription, "_confirmation_token", None) == token and token:
                subscription.attributes["PendingConfirmation"] = False
                authenticate = str(self._get_param("AuthenticateOnUnsubscribe", "false")).lower() == "true"
                subscription.attributes["ConfirmationWasAuthenticated"] = authenticate
                return ActionResult({"SubscriptionArn": subscription.arn})
        raise SNSInvalidParameter("Invalid parameter: Token")

    def publish(self: Subscription, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        if is_pending(self):
            return
        if self.protocol in CONFIRMED_BY_TOKEN and (
            self._filter_policy_matcher is None
            or self._filter_policy_matcher.matches(kwargs.get("message_attributes"), message)
        ):
            received = message
            if kwargs.get("message_structure") == "json":
                received = self._parse_message_structure(message, self.protocol)
            if not hasattr(self, "_deliveries"):
                self._deliveries = []
            self._deliveries.append((message_id, kwargs.get("subject"), received))
        original_publish(self, message, message_id, *args, **kwargs)

    patches.replace(SNSBackend, "subscribe", subscribe)
    patches.replace(SNSResponse, "subscribe", subscribe_response)
    patches.replace(SNSResponse, "list_subscriptions", list_subscriptions)
    patches.replace(SNSResponse, "list_subscriptions_by_topic", list_subscriptions_by_topic)
    patches.replace(SNSResponse, "confirm_subscription", confirm_subscription)
    patches.replace(Subscription, "publish", publish)
    return patches


def _listed(subscription: Subscription) -> dict[str, Any]:
    return {
        "SubscriptionArn": PENDING_ARN_IN_LISTS if is_pending(subscription) else subscription.arn,
        "Owner": subscription.owner,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": subscription.topic.arn,
    }
