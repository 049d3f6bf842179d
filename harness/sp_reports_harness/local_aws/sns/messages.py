"""What SNS would have delivered: moto records every publish on the topic but sends no email.

The demo prints the report-ready email from here; tests assert on it. With ``local_aws.sns.confirmation``
installed (LocalAws does), ``pending_confirmations`` is the confirmation email SNS sends to a new email
subscription (its token confirms it) and ``delivered_messages`` what a confirmed email subscription received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sp_reports_harness.local_aws.moto_internals import Topic, sns_backends
from sp_reports_harness.local_aws.sns.confirmation import confirmation_token, deliveries


@dataclass(frozen=True)
class PublishedMessage:
    message_id: str
    subject: str | None
    message: str
    message_attributes: dict[str, Any]

    def body_for(self, protocol: str = "email") -> str:
        """The text a subscriber of ``protocol`` receives (honours MessageStructure=json documents)."""
        try:
            structure = json.loads(self.message)
        except ValueError:
            return self.message
        if isinstance(structure, dict) and isinstance(structure.get("default"), str):
            return str(structure.get(protocol, structure["default"]))
        return self.message


@dataclass(frozen=True)
class PendingConfirmation:
    """The confirmation email SNS sends a new email subscription: confirm with ConfirmSubscription(token)."""

    endpoint: str
    protocol: str
    token: str


def _topic(topic_arn: str) -> Topic:
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        raise ValueError(f"topic_arn is not an SNS topic ARN: {topic_arn!r}")
    region, account_id = parts[3], parts[4]
    topic = sns_backends[account_id][region].topics.get(topic_arn)
    if topic is None:
        raise LookupError(f"SNS topic {topic_arn} does not exist in local AWS")
    return topic


def pending_confirmations(topic_arn: str) -> list[PendingConfirmation]:
    """Subscriptions of ``topic_arn`` waiting for their confirmation, with the token their email carries."""
    topic = _topic(topic_arn)
    found = []
    for subscription in list(topic.sns_backend.subscriptions.values()):
        token = confirmation_token(subscription)
        if subscription.topic is topic and token:
            found.append(PendingConfirmation(subscription.endpoint, subscription.protocol, token))
    return found


def delivered_messages(topic_arn: str, endpoint: str) -> list[PublishedMessage]:
    """What the confirmed email subscription of ``endpoint`` received from ``topic_arn``, oldest first."""
    topic = _topic(topic_arn)
    return [
        PublishedMessage(message_id=message_id, subject=subject, message=message, message_attributes={})
        for subscription in list(topic.sns_backend.subscriptions.values())
        if subscription.topic is topic and subscription.endpoint == endpoint
        for message_id, subject, message in deliveries(subscription)
    ]


def published_messages(topic_arn: str) -> list[PublishedMessage]:
    """Messages published to ``topic_arn`` so far, oldest first; empty when nothing was published."""
    topic = _topic(topic_arn)
    return [
        PublishedMessage(
            message_id=message_id, subject=subject, message=message, message_attributes=attrs or {}
        )
        for message_id, message, subject, attrs, _group_id in list(topic.sent_notifications)
    ]
