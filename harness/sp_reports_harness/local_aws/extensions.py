"""The one ordered registry of what local AWS adds to pinned moto: ``LocalAws.start()`` installs ``PATCHES``
in this order (and removes them in reverse), and ``LocalAws`` wraps moto's WSGI app in ``MIDDLEWARE``,
innermost
first. Each entry names the module that holds the extension (and, under ``tests/harness/local_aws``, its test)
and what AWS does that pinned moto does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sp_reports_harness.local_aws.apigateway.account_logging import apigateway_logging_patches
from sp_reports_harness.local_aws.athena.untagged import untagged_workgroup_patches
from sp_reports_harness.local_aws.awslambda.function_urls import url_patches
from sp_reports_harness.local_aws.dynamodb.partition_reads import partition_read_patches
from sp_reports_harness.local_aws.echoed_attributes import drift_fix_patches
from sp_reports_harness.local_aws.moto_internals import PatchSet
from sp_reports_harness.local_aws.s3.atomicity import s3_atomicity_patches
from sp_reports_harness.local_aws.s3.conditional_copy import conditional_copy_patches
from sp_reports_harness.local_aws.s3.delete_markers import delete_marker_patches
from sp_reports_harness.local_aws.sns.confirmation import sns_confirmation_patches
from sp_reports_harness.local_aws.stepfunctions.missing_actions import (
    choice_state_patches,
    stepfunctions_patches,
)


class RunningLocalAws(Protocol):
    """What an extension is built from: the parts of a started ``LocalAws``."""

    lambda_faults: Any
    sns_to_sqs: Any
    iam: Any

    @property
    def endpoint_url(self) -> str: ...

    @property
    def lambda_executor(self) -> Any: ...

    @property
    def event_source_poller(self) -> Any: ...


@dataclass(frozen=True)
class Extension:
    module: str  # under sp_reports_harness.local_aws
    what: str
    patches: Callable[[RunningLocalAws], PatchSet]


PATCHES: tuple[Extension, ...] = (
    Extension(
        "stepfunctions.missing_actions",
        "ValidateStateMachineDefinition and ListStateMachineVersions (the provider calls them)",
        lambda aws: stepfunctions_patches(),
    ),
    Extension(
        "stepfunctions.missing_actions",
        "a Choice rule on a missing Variable fails the execution with States.Runtime",
        lambda aws: choice_state_patches(),
    ),
    Extension(
        "stepfunctions.lambda_faults",
        "a fault switch (LocalAws.lambda_faults): the Invoke behind a Lambda task fails with a documented "
        "Lambda service error, named as AWS names it",
        lambda aws: aws.lambda_faults.patches(),
    ),
    Extension(
        "sns.confirmation",
        "email subscriptions stay PendingConfirmation, receiving nothing, until ConfirmSubscription",
        lambda aws: sns_confirmation_patches(),
    ),
    Extension(
        "sns.sqs_delivery",
        "SNS delivers to a queue only what the queue's policy and its key's policy let it send (after "
        "sns.confirmation: it wraps that publish)",
        lambda aws: aws.sns_to_sqs.patches(),
    ),
    Extension(
        "echoed_attributes",
        "SQS RedrivePolicy and Lambda LoggingConfig echoed as given, so a second terraform plan is clean",
        lambda aws: drift_fix_patches(),
    ),
    Extension(
        "athena.untagged",
        "ListTagsForResource of an untagged Athena workgroup answers no tags, not 'Does Not Exist'",
        lambda aws: untagged_workgroup_patches(),
    ),
    Extension(
        "s3.conditional_copy",
        "CopyObject honours If-Match and If-None-Match on its destination (412 when they do not hold)",
        lambda aws: conditional_copy_patches(),
    ),
    Extension(
        "s3.atomicity",
        "each S3 request applied atomically, as S3 applies it",
        lambda aws: s3_atomicity_patches(),
    ),
    Extension(
        "s3.delete_markers",
        "a version deleted by its id beside a delete marker in a versioning-suspended bucket (terraform "
        "destroy's force_destroy), where moto fails with a 500",
        lambda aws: delete_marker_patches(),
    ),
    Extension(
        "dynamodb.partition_reads",
        "a Query reads the partition it names, not the whole table sorted (same answers, time that follows "
        "the items read)",
        lambda aws: partition_read_patches(),
    ),
    Extension(
        "apigateway.account_logging",
        "stage logging refused until the account has a CloudWatch Logs role",
        lambda aws: apigateway_logging_patches(),
    ),
    Extension(
        "iam.authorization",
        "every request authorised as AWS would for the principal that signed it (iam.request_principals, "
        "iam.request_context, iam.policy_evaluation)",
        lambda aws: aws.iam.patches(),
    ),
    Extension(
        "awslambda.function_urls",
        "function URLs served at local addresses",
        lambda aws: url_patches(lambda: aws.endpoint_url),
    ),
    Extension(
        "awslambda.executor",
        "functions run their zip's handler in warm worker processes (awslambda.worker), each with its "
        "execution role's session (awslambda.role_sessions)",
        lambda aws: aws.lambda_executor.patches(),
    ),
    Extension(
        "awslambda.sqs_poller",
        "SQS event source mappings with batches, ReportBatchItemFailures and redrive to the DLQ",
        lambda aws: aws.event_source_poller.patches(),
    ),
)

# WSGI middleware around moto's app, innermost first (LocalAws._wrap_app builds them in this order).
MIDDLEWARE: tuple[tuple[str, str], ...] = (
    ("apigateway.dataplane", "REST API Lambda proxy requests, with SigV4 and IAM (iam.sigv4_authentication)"),
    ("awslambda.function_urls", "function URL requests, AWS_IAM-authorised"),
    ("sdk_retries", "an SDK's retry of a write already made is answered as its first attempt was; journaled"),
)
