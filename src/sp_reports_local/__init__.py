"""Local AWS for the offline demo and integration tests: moto's server in-process plus tested extensions.

``LocalAws`` (``aws.py``) runs pinned moto's ``ThreadedMotoServer`` on 127.0.0.1 and installs, each in its own
module with its own test under ``tests/local``:

- ``stepfunctions_ext``: ValidateStateMachineDefinition and ListStateMachineVersions (for the provider), and
  Choice rules on a missing Variable failing the execution with States.Runtime as on AWS;
- ``sns_confirmation``: email subscriptions stay PendingConfirmation (and receive nothing) until
  ConfirmSubscription with their token;
- ``sns_sqs_delivery``: SNS delivers to a subscribed SQS queue only what the queue's policy (and its key's
  policy) let the SNS service send; a refused delivery never fails the Publish;
- ``stepfunctions_faults``: a fault switch (``LocalAws.lambda_faults``) that fails the Invoke behind a Lambda
  task with a documented Lambda service error (``Lambda.ServiceException``, ...), named as AWS names it;
- ``drift_fixes``: SQS RedrivePolicy and Lambda LoggingConfig echoed, so a second ``terraform plan`` is clean;
- ``authorization`` (+ ``request_principals``, ``request_context``, ``iam_evaluation``): every request is
  authorised as AWS would for the principal that signed it: identity, bucket, key, queue, topic and trust
  policies with IAM's condition semantics, S3's 403 for missing keys without s3:ListBucket, KMS use through
  S3/SNS/Secrets Manager/DynamoDB, expiring sessions and presigned URLs, role chaining's hour;
- ``role_sessions``: each Lambda runs with its execution role's session from local STS;
- ``apigateway_logging``: stage access/execution logging refused until the account has a CloudWatch role;
- ``lambda_executor`` (+ ``lambda_worker``): functions run their zip's handler in warm worker processes;
- ``sqs_poller``: SQS event source mappings with batches, ReportBatchItemFailures and redrive to the DLQ;
- ``apigateway_dataplane`` (+ ``execute_api_auth``): REST API Lambda proxy requests with SigV4 and IAM checks;
- ``sdk_retries``: an SDK's retry of a write already made is answered as its earlier attempt was, and every
  replay and 5xx answer is journaled (``LocalAws.server_journal``) for a failed deployment's error.

Helpers: ``write_local_provider`` and ``write_provider_override`` (Terraform endpoints),
``published_messages`` (what SNS would deliver), ``pending_confirmations`` (the confirmation emails) and
``delivered_messages`` (what a subscriber received).
"""

from .aws import LocalAws
from .sns_messages import (
    PendingConfirmation,
    PublishedMessage,
    delivered_messages,
    pending_confirmations,
    published_messages,
)
from .terraform_provider import STACK_SERVICES, write_local_provider, write_provider_override

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
