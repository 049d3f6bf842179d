"""LocalAws lifecycle: configuration for subprocesses, moto settings, clean shutdown, one per process."""

from __future__ import annotations

import os
import socket

import pytest

from sp_reports_harness.local_aws import LocalAws
from sp_reports_harness.local_aws.moto_internals import (
    LambdaFunction,
    StepFunctionResponse,
    default_user_config,
)


def test_env_points_subprocesses_at_local_aws_and_drops_profiles_and_session_tokens(local_aws):
    env = local_aws.env({"PATH": "/bin", "AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "real-token"})

    assert env["PATH"] == "/bin"
    assert env["AWS_ENDPOINT_URL"] == local_aws.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] == local_aws.access_key_id
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_PROFILE" not in env
    assert "AWS_SESSION_TOKEN" not in env


def test_clients_reach_local_aws_with_its_account(local_aws):
    identity = local_aws.boto3_client("sts").get_caller_identity()
    assert identity["Account"] == local_aws.account_id
    assert local_aws.endpoint_url.startswith("http://127.0.0.1:")


def test_aws_managed_policies_are_loaded_for_terraform():
    with LocalAws() as aws:
        policy = aws.boto3_client("iam").get_policy(
            PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        )
        assert policy["Policy"]["PolicyName"] == "AWSLambdaBasicExecutionRole"
        assert default_user_config["stepfunctions"] == {"execute_state_machine": True}


def test_stop_closes_the_port_and_restores_moto():
    original_invoke = LambdaFunction._invoke_lambda
    saved_port = os.environ.get("MOTO_PORT")
    aws = LocalAws().start()
    port = int(aws.endpoint_url.rsplit(":", 1)[1])
    assert LambdaFunction._invoke_lambda is not original_invoke
    assert os.environ["MOTO_PORT"] == str(port)

    aws.stop()

    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    assert LambdaFunction._invoke_lambda is original_invoke
    assert not hasattr(StepFunctionResponse, "validate_state_machine_definition")
    assert os.environ.get("MOTO_PORT") == saved_port
    aws.stop()  # idempotent


def test_only_one_local_aws_runs_per_process(local_aws):
    with pytest.raises(RuntimeError, match="another LocalAws"):
        LocalAws().start()
    assert local_aws.boto3_client("sqs").list_queues().get("QueueUrls") is None
