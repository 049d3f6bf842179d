"""Fixtures for the handler tests: moto as AWS (the root `aws` fixture) with the pipeline's resources, and the
Lambda handler modules loaded fresh, as a cold start would, with their environment."""

from __future__ import annotations

import json
from types import ModuleType

import boto3
import pytest

from tests.support import aws_resources
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET
from tests.support.lambda_testing import import_handler_cold, sleep_on_virtual_time
from tests.support.lambda_testing import lambda_context as make_lambda_context


@pytest.fixture
def resources(aws):
    return aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)


@pytest.fixture
def state_machine_arn(resources):
    """A state machine to start executions of (moto records them; the workflow tests run them)."""
    definition = aws_resources.render_workflow(
        "arn:aws:lambda:us-east-1:123456789012:function:storer",
        "arn:aws:lambda:us-east-1:123456789012:function:notifier",
        convert_function_arn="arn:aws:lambda:us-east-1:123456789012:function:converter",
    )
    return boto3.client("stepfunctions", region_name=aws_resources.REGION).create_state_machine(
        name="sp-reports-report-workflow",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sp-reports-workflow",
    )["stateMachineArn"]


@pytest.fixture
def function_environment(resources, monkeypatch):
    """The environment Terraform gives the functions (the union of all of them)."""
    values = aws_resources.function_environment(resources)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def load_handler(function_environment, monkeypatch):
    """Import `sp_reports.handlers.<name>` afresh (a cold start) with the current environment."""

    def load(name: str, **environment: str) -> ModuleType:
        return import_handler_cold(name, monkeypatch, **environment)

    return load


@pytest.fixture
def lambda_context():
    return make_lambda_context()


@pytest.fixture
def stored_seller(resources):
    """The canary seller's refresh token, stored as POST /tokens would."""
    from sp_reports.pipeline.token_store import TokenStore
    from tests.support.canaries import REFRESH_TOKEN, SELLER_ID

    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)
    return SELLER_ID


@pytest.fixture
def fast_spapi_retries():
    """Keep a function's SP-API retries (real backoff sleeps) from slowing the tests down."""

    def speed_up(module: ModuleType, region_code: str, read_timeout: float | None = None) -> None:
        http = module.spapi_clients.http(region_code)
        sleep_on_virtual_time(http)  # backoff and rate-limit waits pass at once, buckets still refill
        if read_timeout is not None:
            http.timeout = (1.0, read_timeout)

    return speed_up
