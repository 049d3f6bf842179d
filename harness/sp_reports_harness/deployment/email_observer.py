"""What the stack's notifications topic sends, observed the way any AWS account allows: a queue of our own.

Nobody can read an email SNS sent, and a real account has no record of what was published to a topic. So the
deployed-stack assertions subscribe an SQS queue they create to the topic and read what SNS delivers there, on
local AWS (which authorises that delivery as AWS does, ``local_aws.sns.sqs_delivery``) and on a real account
alike:

- The queue's policy lets SNS send for this topic only (SNS Developer Guide, "Fanout Amazon SNS notifications
  to Amazon SQS queues": the queue must give the topic permission to send; ``aws:SourceArn`` the topic).
- It is encrypted with SQS-managed keys, which need no key policy for SNS (SQS Developer Guide, "Amazon SQS
  Key management": only a customer managed key needs the service allowed in its key policy).
- The queue's owner subscribes it, so the subscription needs no confirmation (SNS Developer Guide, "Sending
  Amazon SNS messages to an Amazon SQS queue in a different account": "When the queue owner creates a
  subscription, the subscription doesn't require confirmation"); it is checked confirmed before use.
- Raw message delivery stays off (SNS Developer Guide, "Amazon SNS raw message delivery": off unless a
  subscription enables it), so each SQS message is SNS's JSON envelope, which carries the ``Subject``
  and ``Message`` published, and SNS's ``MessageId`` (SNS Developer Guide, Fanout to SQS). SQS delivers at
  least once, so messages are counted by that ``MessageId``: one per Publish.

The observer deletes its subscription and its queue when closed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


def observer_queue_name(name_prefix: str) -> str:
    """The observer queue of the stack deployed with ``name_prefix`` (what to delete if a run left it)."""
    return f"{name_prefix}-email-observer"


# SQS ReceiveMessage takes at most 10 messages per call (SQS API reference, MaxNumberOfMessages).
_BATCH = 10


@dataclass(frozen=True)
class ObservedEmail:
    message_id: str  # SNS's MessageId: one per Publish to the topic
    subject: str | None
    body: str


class ObserverNotReady(RuntimeError):
    """The observer's subscription is not confirmed, so it would receive nothing."""


class SqsEmailObserver:
    """An SQS queue subscribed to ``topic_arn``: ``emails()`` is everything SNS delivered to it so far."""

    def __init__(self, sqs: Any, sns: Any, topic_arn: str, queue_url: str, subscription_arn: str) -> None:
        self._sqs = sqs
        self._sns = sns
        self.topic_arn = topic_arn
        self.queue_url = queue_url
        self.subscription_arn = subscription_arn
        self._seen: dict[str, ObservedEmail] = {}

    @classmethod
    @contextmanager
    def subscribed(cls, sqs: Any, sns: Any, topic_arn: str, queue_name: str) -> Iterator[SqsEmailObserver]:
        """Create the queue, subscribe it to the topic, yield the observer; remove both afterwards."""
        queue_url = sqs.create_queue(QueueName=queue_name, Attributes={"SqsManagedSseEnabled": "true"})[
            "QueueUrl"
        ]
        subscription_arn: str | None = None
        try:
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            sqs.set_queue_attributes(
                QueueUrl=queue_url, Attributes={"Policy": _queue_policy(queue_arn, topic_arn)}
            )
            subscription_arn = sns.subscribe(
                TopicArn=topic_arn,
                Protocol="sqs",
                Endpoint=queue_arn,
                ReturnSubscriptionArn=True,  # RawMessageDelivery left at its default, false
            )["SubscriptionArn"]
            attributes = sns.get_subscription_attributes(SubscriptionArn=subscription_arn)["Attributes"]
            if attributes.get("PendingConfirmation") != "false":
                raise ObserverNotReady(f"the subscription of {queue_arn} to {topic_arn} is not confirmed")
            yield cls(sqs, sns, topic_arn, queue_url, subscription_arn)
        finally:
            if subscription_arn is not None:
                sns.unsubscribe(SubscriptionArn=subscription_arn)
            sqs.delete_queue(QueueUrl=queue_url)

    def emails(self) -> list[ObservedEmail]:
        """Every distinct message SNS delivered so far, oldest first as received (the queue is drained)."""
        while True:
            answer = self._sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=_BATCH)
            messages = answer.get("Messages", [])
            if not messages:
                return list(self._seen.values())
            for message in messages:
                envelope = json.loads(message["Body"])
                email = ObservedEmail(envelope["MessageId"], envelope.get("Subject"), envelope["Message"])
                self._seen.setdefault(email.message_id, email)
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def about(self, text: str, timeout: float = 30.0, interval: float = 0.5) -> list[ObservedEmail]:
        """The emails whose body mentions ``text``, waiting up to ``timeout`` seconds for the first (SNS
        delivers asynchronously on AWS), then once more for any other already on its way."""
        deadline = time.monotonic() + timeout
        while not (found := [e for e in self.emails() if text in e.body]) and time.monotonic() < deadline:
            time.sleep(interval)
        return [e for e in self.emails() if text in e.body] if found else found


def _queue_policy(queue_arn: str, topic_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TheObservedTopicSends",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )
