"""The one place local AWS touches moto's internals: the pinned version, the patches, the private names.

Local AWS extends moto (server mode, IAM, Lambda, SQS event sources, Step Functions, SNS, API Gateway).
Only ``moto.mock_aws`` and ``moto.server.ThreadedMotoServer`` are moto's public API; everything else we use -
backends, models, exceptions, the Step Functions interpreter's classes, private attributes - is imported or
read here and nowhere else (held by tests/harness/local_aws/test_moto_internals.py), so a moto upgrade is
reviewed in
this file and the modules that use what it exports.

Every extension in this package changes a moto class attribute. Those are internals, so each patch names the
attribute it replaces and fails loudly (``MotoInternalsChanged``) when moto is not the pinned version or the
attribute is gone, instead of silently doing nothing after an upgrade. Patches are reversible: ``LocalAws``
installs them on start and restores moto's originals on stop, so tests that use plain ``mock_aws`` in the same
process see unmodified moto.
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import moto
from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import APIGatewayBackend, Method, Resource, RestAPI, apigateway_backends
from moto.athena.models import AthenaBackend
from moto.awslambda.models import FunctionUrlConfig, LambdaBackend, LambdaFunction, lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.botocore_stubber import MockRawResponse
from moto.core.config import default_user_config
from moto.core.exceptions import (
    AccessDeniedError,
    InvalidClientTokenIdError,
    JsonRESTError,
    SignatureDoesNotMatchError,
    _RESTError,
)
from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table as DynamoDBTable
from moto.iam.access_control import IAMRequest, PermissionResult, S3IAMRequest
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeBucket, FakeDeleteMarker, FakeKey, s3_backends
from moto.s3.responses import S3Response
from moto.s3.utils import _VersionedKeyStore
from moto.scheduler.models import scheduler_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sns.exceptions import SNSInvalidParameter, SNSNotFoundError
from moto.sns.models import SNSBackend, Subscription, Topic, sns_backends
from moto.sns.responses import SNSResponse
from moto.sqs.models import Queue, sqs_backends
from moto.stepfunctions.models import stepfunctions_backends
from moto.stepfunctions.parser.api import (
    ExecutionFailedEventDetails,
    HistoryEventType,
    LambdaFunctionFailedEventDetails,
)
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_operator_type import (
    ComparisonOperatorType,
)
from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_variable import (
    ComparisonVariable,
)
from moto.stepfunctions.parser.asl.component.state.choice.comparison.variable import NoSuchVariable
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
    StateTaskServiceLambda,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException
from moto.stepfunctions.responses import StepFunctionResponse
from moto.sts.models import AssumedRole, sts_backends

# Every moto name local AWS and its tests use, by the module that uses it.
__all__ = [  # noqa: RUF022 - grouped by the module that uses each name, not sorted
    # The pinned version and the patch machinery.
    "MotoInternalsChanged",
    "PatchSet",
    "PINNED_MOTO_VERSION",
    "require_pinned_moto",
    "caller_arn",
    "replace_workflow_retry_sleep",
    # Server mode and account state (aws.py).
    "DEFAULT_ACCOUNT_ID",
    "default_user_config",
    "moto_api_backend",
    "DomainDispatcherApplication",
    "MotoRequestHandler",
    "create_backend_app",
    # The authorisation hook and error shapes (authorization.py, execute_api_auth.py; MockRawResponse:
    # fault tests).
    "ActionAuthenticatorMixin",
    "MockRawResponse",
    "AccessDeniedError",
    "InvalidClientTokenIdError",
    "JsonRESTError",
    "SignatureDoesNotMatchError",
    "_RESTError",
    "ActionResult",
    "IAMRequest",
    "PermissionResult",
    "S3IAMRequest",
    # Backends read for identities, resources and their policies (request_principals.py,
    # request_context.py, role_sessions.py).
    "dynamodb_backends",
    # DynamoDB's writes to one item, which the pinned moto does not serialise (the budget's race test).
    "DynamoDBBackend",
    # A Query reads the partition it names (dynamodb/partition_reads.py).
    "DynamoDBTable",
    "iam_backends",
    "kms_backends",
    "S3ClientError",
    "FakeBucket",
    "s3_backends",
    "secretsmanager_backends",
    "AssumedRole",
    "sts_backends",
    # Athena's tag listing of an untagged workgroup (athena/untagged.py).
    "AthenaBackend",
    # EventBridge Scheduler's schedules, which local AWS fires (scheduler.py).
    "scheduler_backends",
    # S3 requests served one at a time (s3_atomicity.py; its tests widen moto's race windows through the
    # key store's listing and the key's size).
    "S3Response",
    "FakeKey",
    # Deleting an object version beside a delete marker (s3/delete_markers.py).
    "FakeDeleteMarker",
    "_VersionedKeyStore",
    # Lambda and SQS event sources (lambda_executor.py, sqs_poller.py, drift_fixes.py).
    "LambdaBackend",
    "LambdaFunction",
    "lambda_backends",
    # Function URLs' configurations (function_urls.py).
    "FunctionUrlConfig",
    "Queue",
    "sqs_backends",
    # API Gateway data plane and stage logging (apigateway_dataplane.py, apigateway_logging.py).
    "BadRequestException",
    "APIGatewayBackend",
    "Method",
    "Resource",
    "RestAPI",
    "apigateway_backends",
    # SNS subscription confirmation and messages (sns_confirmation.py, sns_messages.py).
    "SNSInvalidParameter",
    "SNSNotFoundError",
    "SNSBackend",
    "Subscription",
    "Topic",
    "sns_backends",
    "SNSResponse",
    # Step Functions: the ASL interpreter's classes (stepfunctions_ext.py, stepfunctions_faults.py).
    "stepfunctions_backends",
    "ExecutionFailedEventDetails",
    "HistoryEventType",
    "LambdaFunctionFailedEventDetails",
    "CustomErrorName",
    "FailureEvent",
    "FailureEventException",
    "StatesErrorName",
    "StatesErrorNameType",
    "retrier_decl",
    "ComparisonOperatorType",
    "ComparisonVariable",
    "NoSuchVariable",
    "lambda_eval_utils",
    "StateTaskServiceLambda",
    "StateTaskLambda",
    "Environment",
    "EventDetails",
    "AmazonStateLanguageParser",
    "ASLParserException",
    "StepFunctionResponse",
]


def caller_arn(iam_request: Any) -> str:
    """The caller's ARN, which moto's ``IAMRequest`` resolved from the access key (a private attribute)."""
    return iam_request._access_key.arn


def replace_workflow_retry_sleep(monkeypatch: Any, sleep: Any) -> None:
    """Make the ASL interpreter's Retry waits call ``sleep(seconds)`` instead of ``time.sleep`` (tests only).

    moto's retrier sleeps through the ``time`` module it imported; the tests record or skip the waits.
    """
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=sleep))


# The harness runs only from the checkout (it is not in the wheel), so pyproject.toml is beside src/.
PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"

_MISSING = object()


class MotoInternalsChanged(RuntimeError):
    """moto is not the version our extensions were written against, or a hooked internal has changed."""


def pinned_moto_version(pyproject: Path = PYPROJECT) -> str:
    """The moto version the dev extra pins (``moto[server]==X.Y.Z``): the one place the version is stated."""
    extras = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    for requirement in extras["dev"]:
        match = re.fullmatch(r"moto(?:\[[^\]]*\])?==([0-9][0-9A-Za-z.]*)", requirement.strip())
        if match:
            return match.group(1)
    raise MotoInternalsChanged(f"{pyproject}: the dev extra pins no moto version (moto[server]==X.Y.Z)")


PINNED_MOTO_VERSION = pinned_moto_version()


def require_pinned_moto() -> None:
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise MotoInternalsChanged(
            f"sp_reports_harness.local_aws extends moto {PINNED_MOTO_VERSION} internals, "
            f"found moto {moto.__version__}: "
            "re-check every module in sp_reports_harness.local_aws and its test before changing the pin"
        )


@dataclass
class PatchSet:
    """A group of attribute replacements applied and restored together."""

    name: str
    _planned: list[tuple[Any, str, Any, bool]] = field(default_factory=list)
    _saved: list[tuple[Any, str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def replace(self, owner: Any, attribute: str, replacement: Any) -> None:
        """Plan replacing an existing attribute (of a class or a module); it must exist in the pinned moto."""
        if attribute not in vars(owner):
            raise MotoInternalsChanged(
                f"{self.name}: {_qualname(owner)}.{attribute} no longer exists in moto"
            )
        self._planned.append((owner, attribute, replacement, True))

    def wrap(self, owner: Any, attribute: str, make: Any) -> None:
        """Plan replacing an existing attribute with ``make(current)``, ``current`` being what is installed
        when this set is: another extension's replacement of the same attribute is wrapped, not lost."""
        if attribute not in vars(owner):
            raise MotoInternalsChanged(
                f"{self.name}: {_qualname(owner)}.{attribute} no longer exists in moto"
            )
        self._planned.append((owner, attribute, _Wrapper(make), True))

    def add(self, owner: Any, attribute: str, value: Any) -> None:
        """Plan adding an attribute moto lacks; if moto gained it, our addition may no longer be needed."""
        if hasattr(owner, attribute):
            raise MotoInternalsChanged(
                f"{self.name}: moto now defines {_qualname(owner)}.{attribute}; "
                "check whether this extension is still needed"
            )
        self._planned.append((owner, attribute, value, False))

    @property
    def installed(self) -> bool:
        return bool(self._saved)

    def install(self) -> None:
        with self._lock:
            if self._saved:
                return
            for owner, attribute, value, _existed in self._planned:
                current = vars(owner).get(attribute, _MISSING)
                self._saved.append((owner, attribute, current))
                setattr(owner, attribute, value.make(current) if isinstance(value, _Wrapper) else value)

    def uninstall(self) -> None:
        with self._lock:
            for owner, attribute, original in reversed(self._saved):
                if original is _MISSING:
                    delattr(owner, attribute)
                else:
                    setattr(owner, attribute, original)
            self._saved.clear()


@dataclass(frozen=True)
class _Wrapper:
    make: Any  # the installed attribute -> its replacement


def _qualname(owner: Any) -> str:
    """A class's qualified name, or a module's name."""
    return getattr(owner, "__qualname__", None) or owner.__name__
