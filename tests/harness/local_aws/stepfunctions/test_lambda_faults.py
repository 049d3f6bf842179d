"""Local Step Functions' fault switch: the Invoke behind a Lambda task fails as the Lambda service can."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from sp_reports_harness.local_aws.moto_internals import (
    LambdaFunction,
    StateTaskLambda,
    default_user_config,
    lambda_eval_utils,
    replace_workflow_retry_sleep,
)
from sp_reports_harness.local_aws.stepfunctions.lambda_faults import (
    LAMBDA_SERVICE_ERRORS,
    LambdaServiceFaults,
)

ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture
def engine(monkeypatch):
    """moto executing state machines, its Lambda answering with the event it got, and the fault switch on."""
    environment = {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    replace_workflow_retry_sleep(monkeypatch, lambda seconds: None)
    calls: list[str] = []

    def invoke(function: LambdaFunction, event=None):
        calls.append(function.function_name)
        return json.dumps({"echo": json.loads(event or "{}")}), False, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
    faults = LambdaServiceFaults()
    patches = faults.patches()
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="l", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        arn = boto3.client("lambda").create_function(
            FunctionName="echo", Runtime="python3.12", Role=role, Handler="app.echo", Code={"ZipFile": b"PK"}
        )["FunctionArn"]
        patches.install()
        try:
            yield SimpleNamespace(faults=faults, function_arn=arn, calls=calls)
        finally:
            patches.uninstall()


def _run(definition: dict, sfn=None) -> tuple[dict, list[dict]]:
    sfn = sfn or boto3.client("stepfunctions")
    machine_arn = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution_arn = sfn.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 15
    while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.05)
    return described, sfn.get_execution_history(executionArn=execution_arn)["events"]


def _task(resource: str, **fields) -> dict:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource, **fields}}}


def _failures(history: list[dict]) -> list[tuple[str, str]]:
    return [
        (e["lambdaFunctionFailedEventDetails"]["error"], e["lambdaFunctionFailedEventDetails"]["cause"])
        for e in history
        if e["type"] == "LambdaFunctionFailed"
    ]


@pytest.mark.parametrize("error", sorted(LAMBDA_SERVICE_ERRORS))
def test_each_documented_lambda_service_error_reaches_the_workflow_under_its_name(engine, error):
    engine.faults.inject("echo", error)
    execution, history = _run(_task(engine.function_arn, End=True))
    assert execution["status"] == "FAILED"
    assert execution["error"] == error
    ((failed_error, cause),) = _failures(history)
    assert failed_error == error
    assert "Service: AWSLambda" in cause and f"Error Code: {error.removeprefix('Lambda.')}" in cause
    assert engine.calls == []  # the Invoke failed: the function never ran


def test_a_retrier_for_the_error_retries_and_the_next_invocation_runs(engine):
    engine.faults.inject(engine.function_arn, "Lambda.ClientExecutionTimeoutException", times=2)
    retry = [{"ErrorEquals": ["Lambda.ClientExecutionTimeoutException"], "MaxAttempts": 3}]
    execution, history = _run(_task(engine.function_arn, Retry=retry, End=True))
    assert execution["status"] == "SUCCEEDED"
    assert [error for error, _ in _failures(history)] == ["Lambda.ClientExecutionTimeoutException"] * 2
    assert engine.calls == ["echo"]
    assert engine.faults.raised == [("echo", "Lambda.ClientExecutionTimeoutException")] * 2


def test_a_lost_answer_means_the_function_ran_although_the_task_failed(engine):
    engine.faults.inject("echo", "Lambda.ClientExecutionTimeoutException", function_runs=True)
    retry = [{"ErrorEquals": ["Lambda.ClientExecutionTimeoutException"], "MaxAttempts": 1}]
    execution, _ = _run(_task(engine.function_arn, Retry=retry, End=True))
    assert execution["status"] == "SUCCEEDED"
    assert engine.calls == ["echo", "echo"]  # ran once unseen, once more on the retry


def test_the_lambda_invoke_integration_names_the_fault_the_same_way(engine):
    engine.faults.inject("echo", "Lambda.ServiceException")
    execution, _ = _run(
        _task(
            "arn:aws:states:::lambda:invoke",
            Parameters={"FunctionName": engine.function_arn, "Payload.$": "$"},
            End=True,
        )
    )
    assert execution["error"] == "Lambda.ServiceException"


def test_only_documented_errors_can_be_injected():
    faults = LambdaServiceFaults()
    with pytest.raises(ValueError, match="not a Lambda service error"):
        faults.inject("echo", "Lambda.Unknown")
    with pytest.raises(ValueError, match="times"):
        faults.inject("echo", "Lambda.ServiceException", times=0)


def test_uninstall_restores_moto():
    original_execute = lambda_eval_utils.execute_lambda_function_integration
    original_from_error = StateTaskLambda._from_error
    patches = LambdaServiceFaults().patches()
    patches.install()
    assert lambda_eval_utils.execute_lambda_function_integration is not original_execute
    patches.uninstall()
    assert lambda_eval_utils.execute_lambda_function_integration is original_execute
    assert StateTaskLambda._from_error is original_from_error


def test_local_aws_has_the_switch_installed(local_aws, create_function):
    arn = create_function("echo", "echo")
    local_aws.lambda_faults.inject("echo", "Lambda.SdkClientException")
    execution, _ = _run(_task(arn, End=True), local_aws.boto3_client("stepfunctions"))
    assert execution["error"] == "Lambda.SdkClientException"
