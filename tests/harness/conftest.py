"""Fixtures for local AWS tests: a running LocalAws and a factory for Lambda functions from a tiny zip."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from sp_reports_harness.local_aws import LocalAws
from tests.support.local_aws_functions import HANDLERS, build_zip


@pytest.fixture
def local_aws() -> Iterator[LocalAws]:
    # Managed policies are only needed by Terraform tests; they make every IAM call's first use slow.
    with LocalAws(sqs_poll_interval=0.1, aws_managed_policies=False) as aws:
        yield aws


@pytest.fixture
def lambda_role(local_aws: LocalAws) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = local_aws.boto3_client("iam")
    return iam.create_role(RoleName="test-lambda", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


@pytest.fixture
def create_function(local_aws: LocalAws, lambda_role: str) -> Callable[..., str]:
    """Create a Lambda from HANDLERS (plus extra files); returns its ARN."""
    client = local_aws.boto3_client("lambda")

    def create(
        name: str,
        handler: str,
        timeout: int = 5,
        env: dict[str, str] | None = None,
        extra_files: dict[str, str] | None = None,
        runtime: str = "python3.13",
        architecture: str = "x86_64",
    ) -> str:
        code = build_zip({"app.py": HANDLERS, **(extra_files or {})})
        return client.create_function(
            FunctionName=name,
            Runtime=runtime,
            Architectures=[architecture],
            Role=lambda_role,
            Handler=f"app.{handler}",
            Code={"ZipFile": code},
            Timeout=timeout,
            Environment={"Variables": env or {}},
        )["FunctionArn"]

    return create
