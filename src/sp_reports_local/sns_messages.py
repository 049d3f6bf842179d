"""What SNS would have delivered: moto records every publish on the topic but sends no email.

The demo prints the report-ready email from here; tests assert on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moto.sns.models import sns_backends


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


def published_messages(topic_arn: str) -> list[PublishedMessage]:
    """Messages published to ``topic_arn`` so far, oldest first; empty when nothing was published."""
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        raise ValueError(f"topic_arn is not an SNS topic ARN: {topic_arn!r}")
    region, account_id = parts[3], parts[4]
    topic = sns_backends[account_id][region].topics.get(topic_arn)
    if topic is None:
        raise LookupError(f"SNS topic {topic_arn} does not exist in local AWS")
    return [
        PublishedMessage(
            message_id=message_id, subject=subject, message=message, message_attributes=attrs or {}
        )
        for message_id, message, subject, attrs, _group_id in list(topic.sent_notifications)
    ]
