"""A fault switch for local Step Functions: the Invoke behind a Lambda task fails as the Lambda service can.

Step Functions Developer Guide, "Handle Lambda service exceptions" (bp-lambda-serviceexception): "AWS Lambda
can occasionally experience transient service errors. In this case, invoking Lambda results in a 500 error,
such as ClientExecutionTimeoutException, ServiceException, AWSLambdaException, or SdkClientException",
"Lambda errors are reported as Lambda.ErrorName", and "When Lambda hits the maximum number of invocations,
the error is Lambda.TooManyRequestsException". moto never fails an Invoke that way, so a workflow's Retry
for these errors could not be exercised; ``LambdaServiceFaults.inject`` makes the next invocations of a
function fail with one.

Two patches on the pinned moto's Step Functions engine:

- ``lambda_eval_utils.execute_lambda_function_integration`` (the Invoke of both the ``arn:aws:lambda:...``
  task resource and ``arn:aws:states:::lambda:invoke``) raises the injected fault as the Lambda client's
  ``ClientError`` (HTTP 500), before the function runs or, with ``function_runs=True``, after it ran and
  its answer was lost (what a client-side timeout such as ClientExecutionTimeoutException can mean).
- ``StateTaskLambda._from_error`` names an Invoke ``ClientError`` ``Lambda.<ErrorCode>`` as the guide says;
  moto calls it ``Exception`` for the ``arn:aws:lambda:...`` resource (its ``lambda:invoke`` integration
  already names it ``Lambda.<ErrorCode>``; we reuse that naming).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sp_reports_harness.local_aws.moto_internals import (
    CustomErrorName,
    Environment,
    EventDetails,
    FailureEvent,
    LambdaFunctionFailedEventDetails,
    MotoInternalsChanged,
    PatchSet,
    StateTaskLambda,
    StateTaskServiceLambda,
    lambda_eval_utils,
)

# The transient Lambda service errors the guide names, as Step Functions reports them.
LAMBDA_SERVICE_ERRORS = frozenset(
    {
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    }
)
_STATUS = {"Lambda.TooManyRequestsException": 429}


@dataclass
class _Fault:
    error: str
    remaining: int
    function_runs: bool


class LambdaServiceFaults:
    """Armed faults per function; each invocation of the function consumes one until none is left."""

    def __init__(self) -> None:
        self._faults: dict[str, list[_Fault]] = {}
        self._lock = threading.Lock()
        self.raised: list[tuple[str, str]] = []  # (function name, error), in order

    def inject(self, function: str, error: str, *, times: int = 1, function_runs: bool = False) -> None:
        """Fail the next ``times`` invocations of ``function`` (name or ARN) from Step Functions with
        ``error`` (one of LAMBDA_SERVICE_ERRORS). ``function_runs``: the function runs, then its answer is
        lost."""
        if error not in LAMBDA_SERVICE_ERRORS:
            raise ValueError(f"{error!r} is not a Lambda service error Step Functions documents")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.setdefault(_function_name(function), []).append(_Fault(error, times, function_runs))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take(self, function_name: str) -> _Fault | None:
        with self._lock:
            pending = self._faults.get(function_name)
            if not pending:
                return None
            fault = pending[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                pending.pop(0)
            self.raised.append((function_name, fault.error))
            return fault

    def patches(self) -> PatchSet:
        patches = PatchSet("stepfunctions_lambda_faults")
        original_execute = lambda_eval_utils.execute_lambda_function_integration
        original_from_error = StateTaskLambda._from_error
        if not hasattr(StateTaskServiceLambda, "_error_cause_from_client_error"):
            raise MotoInternalsChanged(
                "stepfunctions_lambda_faults: StateTaskServiceLambda._error_cause_from_client_error is gone"
            )

        def execute_lambda_function_integration(
            env: Environment, parameters: dict, region: str, state_credentials: Any
        ) -> None:
            invoke = dict(env=env, parameters=parameters, region=region, state_credentials=state_credentials)
            fault = self._take(_function_name(str(parameters.get("FunctionName", ""))))
            if fault is not None and fault.function_runs:
                original_execute(**invoke)
                env.stack.pop()  # the answer never reaches Step Functions
            if fault is not None:
                raise _client_error(fault.error)
            original_execute(**invoke)

        def _from_error(task: StateTaskLambda, env: Environment, ex: Exception) -> FailureEvent:
            failure = original_from_error(task, env, ex)
            if isinstance(ex, ClientError):
                error, cause = StateTaskServiceLambda._error_cause_from_client_error(ex)
                details = LambdaFunctionFailedEventDetails(error=error, cause=cause)
                failure = FailureEvent(
                    env=env,
                    error_name=CustomErrorName(error),
                    event_type=failure.event_type,
                    event_details=EventDetails(lambdaFunctionFailedEventDetails=details),
                )
            return failure

        patches.replace(
            lambda_eval_utils, "execute_lambda_function_integration", execute_lambda_function_integration
        )
        patches.replace(StateTaskLambda, "_from_error", _from_error)
        return patches


def _function_name(function: str) -> str:
    """``name``, ``arn:...:function:name`` or ``arn:...:function:name:qualifier`` → ``name``."""
    if ":function:" in function:
        return function.split(":function:", 1)[1].split(":", 1)[0]
    return function


def _client_error(error: str) -> ClientError:
    code = error.removeprefix("Lambda.")
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} injected by local AWS"},
            "ResponseMetadata": {"HTTPStatusCode": _STATUS.get(error, 500), "RequestId": str(uuid.uuid4())},
        },
        "Invoke",
    )
