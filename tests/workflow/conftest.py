"""The report workflow run for real: moto's Step Functions engine executes the ASL file and its Lambda
tasks run our real handlers in-process (moto would want Docker), with the SP-API emulator behind them."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import sys
import time
import traceback
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest

from sp_reports_harness.local_aws import pending_confirmations
from sp_reports_harness.local_aws.moto_internals import (
    LambdaFunction,
    default_user_config,
    replace_workflow_retry_sleep,
    require_pinned_moto,
)
from sp_reports_harness.local_aws.sns.confirmation import sns_confirmation_patches
from sp_reports_harness.local_aws.stepfunctions.lambda_faults import LambdaServiceFaults
from sp_reports_harness.local_aws.stepfunctions.missing_actions import choice_state_patches
from tests.support import aws_resources
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET
from tests.support.lambda_testing import import_handler_cold, sleep_on_virtual_time
from tests.support.lambda_testing import lambda_context as make_lambda_context

FUNCTIONS = {
    "report_storer": "sp-reports-report-storer",
    "report_converter": "sp-reports-report-converter",
    "report_notifier": "sp-reports-report-notifier",
}


@dataclass
class InProcessLambdas:
    """Stands in for moto's Docker runner: imports each function's handler (as a cold start would) and calls
    it; an exception becomes the Lambda-style error payload that Step Functions' Retry and Catch match on."""

    modules: dict[str, ModuleType] = field(default_factory=dict)
    invocations: list[tuple[str, dict]] = field(default_factory=list)

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
        self.invocations.append((function.function_name, payload))
        module = self.modules[function.handler.rsplit(".", 1)[0]]
        context = SimpleNamespace(
            function_name=function.function_name,
            memory_limit_in_mb=512,
            invoked_function_arn=function.function_arn,
            aws_request_id=str(uuid.uuid4()),
            get_remaining_time_in_millis=lambda: 60_000,
        )
        try:
            result = module.handler(payload, context)
        except Exception as exc:
            error = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return json.dumps(error), True, ""
        return json.dumps(result), False, ""

    def calls_of(self, function_name: str) -> list[dict]:
        return [payload for name, payload in self.invocations if name == function_name]


@dataclass
class Workflow:
    resources: Any
    state_machine_arn: str
    lambdas: InProcessLambdas
    retry_sleeps: list[float]
    storer: ModuleType
    converter: ModuleType
    notifier: ModuleType
    # Local Step Functions' fault switch: Lambda service errors on the Invoke behind a task.
    lambda_faults: LambdaServiceFaults

    def start(self, execution_input: dict, name: str | None = None) -> str:
        return boto3.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn,
            name=name or f"test-{uuid.uuid4().hex[:12]}",
            input=json.dumps(execution_input),
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 60.0) -> dict:
        client = boto3.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        raise AssertionError(f"execution {execution_arn} still running after {timeout} s")

    def history(self, execution_arn: str) -> list[dict]:
        return boto3.client("stepfunctions").get_execution_history(
            executionArn=execution_arn, maxResults=1000
        )["events"]

    def executions(self) -> list[dict]:
        return boto3.client("stepfunctions").list_executions(stateMachineArn=self.state_machine_arn)[
            "executions"
        ]

    def emails(self) -> list[dict]:
        return aws_resources.published_emails(self.resources.topic_arn)

    def confirm_email_subscriptions(self) -> None:
        """What the address's owner does: follow the link in SNS's confirmation email."""
        sns = boto3.client("sns")
        for confirmation in pending_confirmations(self.resources.topic_arn):
            sns.confirm_subscription(TopicArn=self.resources.topic_arn, Token=confirmation.token)


def _function_zip() -> bytes:
    # moto stores the code; the in-process runner imports the handlers from the source tree instead.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handlers/__init__.py", "")
    return buffer.getvalue()


@pytest.fixture
def local_stepfunctions(aws) -> Iterator[LambdaServiceFaults]:
    """moto's Step Functions engine with our extensions, so the ASL runs as AWS runs it: Choice rules on a
    missing field fail the execution, and the Lambda fault switch (with AWS's naming of Invoke errors)."""
    require_pinned_moto()
    faults = LambdaServiceFaults()
    patch_sets = [choice_state_patches(), faults.patches()]
    for patch_set in patch_sets:
        patch_set.install()
    try:
        yield faults
    finally:
        for patch_set in reversed(patch_sets):
            patch_set.uninstall()


@pytest.fixture
def local_sns(aws) -> Iterator[None]:
    """SNS as AWS runs it: email subscriptions stay pending, and receive nothing, until confirmed."""
    require_pinned_moto()
    patches = sns_confirmation_patches()
    patches.install()
    try:
        yield
    finally:
        patches.uninstall()


@pytest.fixture
def workflow_environment() -> dict[str, str]:
    """What a test's deployment sets beyond the defaults (a test parametrizes it by this name, e.g.
    EMAIL_DOWNLOAD_LINKS, as root email_download_links would)."""
    return {}


@pytest.fixture
def workflow(
    aws, local_stepfunctions, local_sns, spapi_emulator, workflow_environment, monkeypatch
) -> Workflow:
    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    retry_sleeps: list[float] = []
    # Record Retry intervals instead of sleeping them: the ASL's production backoff would take minutes.
    replace_workflow_retry_sleep(monkeypatch, retry_sleeps.append)
    resources = aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)
    environment = aws_resources.function_environment(resources)
    environment["REPORT_UPLOAD_PART_SIZE_MIB"] = "5"
    environment.update(workflow_environment)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    role_arn = boto3.client("iam").create_role(
        RoleName="sp-reports-lambda",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    lambda_client = boto3.client("lambda")
    arns = {}
    for module_name, function_name in FUNCTIONS.items():
        arns[module_name] = lambda_client.create_function(
            FunctionName=function_name,
            Runtime="python3.12",
            Role=role_arn,
            Handler=f"sp_reports.handlers.{module_name}.handler",
            Code={"ZipFile": _function_zip()},
            Environment={"Variables": environment},
        )["FunctionArn"]

    lambdas = InProcessLambdas()
    for module_name in FUNCTIONS:
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", f"{module_name}-{uuid.uuid4().hex[:8]}")
        sys.modules.pop(f"sp_reports.handlers.{module_name}", None)
        lambdas.modules[f"sp_reports.handlers.{module_name}"] = importlib.import_module(
            f"sp_reports.handlers.{module_name}"
        )
    monkeypatch.setattr(
        LambdaFunction, "_invoke_lambda", lambda self, event=None: lambdas.invoke(self, event)
    )
    # The storer's own SP-API retries and rate-limit waits pass on a virtual clock, so the tests do not wait
    # for them; the workflow's Retry is what these tests are about.
    storer = lambdas.modules["sp_reports.handlers.report_storer"]
    for region in ("NA", "EU", "FE"):
        sleep_on_virtual_time(storer.spapi_clients.http(region))

    definition = aws_resources.render_workflow(
        arns["report_storer"], arns["report_notifier"], convert_function_arn=arns["report_converter"]
    )
    state_machine_arn = boto3.client("stepfunctions").create_state_machine(
        name="sp-reports-report-workflow",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sp-reports-workflow",
    )["stateMachineArn"]
    workflow = Workflow(
        resources=resources,
        state_machine_arn=state_machine_arn,
        lambdas=lambdas,
        retry_sleeps=retry_sleeps,
        storer=storer,
        converter=lambdas.modules["sp_reports.handlers.report_converter"],
        notifier=lambdas.modules["sp_reports.handlers.report_notifier"],
        lambda_faults=local_stepfunctions,
    )
    workflow.confirm_email_subscriptions()  # the notification address is in use, as in production
    return workflow


@pytest.fixture
def load_handler(workflow, monkeypatch):
    """Import another function's handler fresh, in the workflow's environment."""

    def load(name: str, **environment: str) -> ModuleType:
        return import_handler_cold(name, monkeypatch, **environment)

    return load


@pytest.fixture
def lambda_context():
    return make_lambda_context()
