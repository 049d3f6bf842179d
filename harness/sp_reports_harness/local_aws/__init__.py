"""Local AWS for the offline demo and integration tests: moto's server in-process plus tested extensions.

``LocalAws`` (``server``) runs pinned moto's ``ThreadedMotoServer`` on 127.0.0.1 with what AWS does and
pinned moto does not, one subpackage per service it extends (``iam``, ``awslambda``, ``apigateway``, ``sns``,
``stepfunctions``, ``s3``, ``scheduler``), each module with its test under ``tests/harness/local_aws``. The
one ordered list of those extensions, what each adds and where it lives, is ``extensions``: ``LocalAws``
installs exactly what it lists, in its order.

Helpers: ``write_local_provider`` and ``write_provider_override`` (Terraform endpoints),
``published_messages`` (what SNS would deliver), ``pending_confirmations`` (the confirmation emails) and
``delivered_messages`` (what a subscriber received).
"""

from sp_reports_harness.local_aws.server import LocalAws
from sp_reports_harness.local_aws.sns.messages import (
    PendingConfirmation,
    PublishedMessage,
    delivered_messages,
    pending_confirmations,
    published_messages,
)
from sp_reports_harness.local_aws.terraform_provider import (
    STACK_SERVICES,
    write_local_provider,
    write_provider_override,
)

__all__ = [
    "STACK_SERVICES",
    "LocalAws",
    "PendingConfirmation",
    "PublishedMessage",
    "delivered_messages",
    "pending_confirmations",
    "published_messages",
    "write_local_provider",
    "write_provider_override",
]
