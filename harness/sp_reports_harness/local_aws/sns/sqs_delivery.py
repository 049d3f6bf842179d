"""SNS delivers to an SQS queue only when the queue lets it, as on AWS; pinned moto delivers unconditionally.

What AWS requires, and this module makes local AWS require, before a message published to a topic reaches a
subscribed queue:

- The queue's policy must allow the SNS service principal ``sqs:SendMessage`` (SNS Developer Guide, "Fanout
  Amazon SNS notifications to Amazon SQS queues": give the topic permission to send messages to the queue;
  the documented statement allows ``Service: sns.amazonaws.com`` with ``aws:SourceArn`` the topic's ARN). SNS
  sends the request as the service, with ``aws:SourceArn`` the topic and ``aws:SourceAccount`` the topic's
  account (IAM User Guide, "AWS global condition context keys": aws:SourceArn, aws:SourceAccount).
- A queue encrypted with a customer managed key needs that key's policy to let the service use it (SQS
  Developer Guide, "Amazon SQS Key management", Configure KMS permissions for AWS services: "add permissions
  in the key policy for the service to use the required AWS KMS API methods": kms:GenerateDataKey and
  kms:Decrypt). A queue with SQS-managed encryption or the AWS managed key (``alias/aws/sqs``) needs nothing.
- A refused delivery does not fail the Publish: the publisher is answered, the message never arrives (SNS
  retries and, with delivery status logging, logs the failure). Pinned moto raised the queue's error into
  Publish when the queue did not exist; here that is a failed delivery too.

Each decision is counted by ``LocalIam`` under the principal ``sns.amazonaws.com``; each refusal is also kept
in ``failures`` with its reason, and logged.

Not modelled: a queue in another account than the topic (pinned moto would deliver into the topic's account);
such a delivery is refused with that reason, so a test relying on it fails instead of passing wrongly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sp_reports_harness.local_aws.moto_internals import PatchSet, Subscription, kms_backends, sqs_backends
from sp_reports_harness.local_aws.sns.confirmation import is_pending

if TYPE_CHECKING:
    from sp_reports_harness.local_aws.iam.authorization import LocalIam

SNS_SERVICE = "sns.amazonaws.com"
# SQS Developer Guide, "Encryption at rest in Amazon SQS": the AWS managed key for SQS is alias/aws/sqs.
_AWS_MANAGED_KEY_PREFIX = "alias/aws/"
_KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")

logger = logging.getLogger(__name__)


class SnsToSqsDelivery:
    """The delivery check of one LocalAws: its IAM (decisions are counted there) and the refusals so far."""

    def __init__(self, iam: LocalIam) -> None:
        self._iam = iam
        self._lock = threading.Lock()
        self._failures: list[str] = []

    @property
    def failures(self) -> list[str]:
        """Every refused delivery, oldest first: which topic, which queue, and why."""
        with self._lock:
            return list(self._failures)

    def patches(self) -> PatchSet:
        patches = PatchSet("sns_sqs_delivery")
        # Wrapped, not replaced: sns_confirmation's publish (installed before) keeps doing its part.
        patches.wrap(Subscription, "publish", self._publish_through)
        return patches

    def _publish_through(self, installed: Callable[..., None]) -> Callable[..., None]:
        delivery = self

        def publish(self: Subscription, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
            if self.protocol == "sqs" and not is_pending(self) and _passes_filter(self, message, kwargs):
                refusal = delivery.refusal(self.topic.arn, self.endpoint)
                if refusal is not None:
                    with delivery._lock:
                        delivery._failures.append(refusal)
                    logger.warning("SNS did not deliver message %s: %s", message_id, refusal)
                    return
            installed(self, message, message_id, *args, **kwargs)

        return publish

    def refusal(self, topic_arn: str, queue_arn: str) -> str | None:
        """Why SNS may not deliver from ``topic_arn`` to ``queue_arn``, or None when it may."""
        prefix = f"delivery from {topic_arn} to {queue_arn} refused"
        topic_parts, queue_parts = topic_arn.split(":"), queue_arn.split(":")
        if len(queue_parts) != 6 or queue_parts[2] != "sqs":
            return f"{prefix}: the endpoint is not an SQS queue ARN"
        region, account, name = queue_parts[3], queue_parts[4], queue_parts[5]
        topic_account = topic_parts[4]
        if account != topic_account:
            return f"{prefix}: a queue in another account is not modelled by local AWS"
        queue = sqs_backends[account][region].queues.get(name)
        if queue is None:
            return f"{prefix}: the queue does not exist"
        context = {"aws:SourceArn": topic_arn, "aws:SourceAccount": topic_account}
        verdict = self._iam.authorize_service(
            SNS_SERVICE, "sqs:SendMessage", queue_arn, queue.policy, context
        )
        if not verdict.allowed:
            return f"{prefix}: the queue policy does not allow it ({verdict.reason})"
        key_id = getattr(queue, "kms_master_key_id", None) or ""
        if key_id and not key_id.startswith(_AWS_MANAGED_KEY_PREFIX):
            key = kms_backends[account][region].describe_key(key_id)
            for action in _KMS_ACTIONS:
                verdict = self._iam.authorize_service(
                    SNS_SERVICE, action, key.arn, key.policy, context, resource_kind="kms_key"
                )
                if not verdict.allowed:
                    return f"{prefix}: the queue's key policy does not allow {action} ({verdict.reason})"
        return None


def _passes_filter(subscription: Subscription, message: str, kwargs: dict[str, Any]) -> bool:
    """Whether the subscription's filter policy lets the message through (else SNS attempts no delivery)."""
    matcher = subscription._filter_policy_matcher
    return matcher is None or bool(matcher.matches(kwargs.get("message_attributes"), message))
