"""Stage logging is refused, as on AWS, until the account has an API Gateway CloudWatch Logs role."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.exceptions import ClientError

from sp_reports_harness.local_aws.apigateway.account_logging import (
    CLOUDWATCH_ROLE_REQUIRED,
    apigateway_logging_patches,
    enables_logging,
)
from sp_reports_harness.local_aws.moto_internals import APIGatewayBackend, MotoInternalsChanged

LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:access"
ACCESS_LOGS = [
    {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": LOG_GROUP},
    {"op": "replace", "path": "/accessLogSettings/format", "value": '{"requestId":"$context.requestId"}'},
]


@pytest.fixture
def stage(local_aws):
    """A deployed REST API stage: (client, rest_api_id, stage_name)."""
    client = local_aws.boto3_client("apigateway")
    api = client.create_rest_api(name="logging-test")
    root = client.get_resources(restApiId=api["id"])["items"][0]["id"]
    client.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    deployment = client.create_deployment(restApiId=api["id"])
    client.create_stage(restApiId=api["id"], stageName="prod", deploymentId=deployment["id"])
    return client, api["id"], "prod"


def _set_cloudwatch_role(local_aws) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = local_aws.boto3_client("iam").create_role(
        RoleName="apigateway-cloudwatch", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    local_aws.boto3_client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
    )


def _refused(call) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value


def test_access_logging_without_the_account_role_is_a_bad_request(local_aws, stage):
    client, api_id, name = stage

    error = _refused(
        lambda: client.update_stage(restApiId=api_id, stageName=name, patchOperations=ACCESS_LOGS)
    )

    assert error.response["Error"]["Code"] == "BadRequestException"
    assert error.response["Error"]["Message"] == CLOUDWATCH_ROLE_REQUIRED
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not client.get_stage(restApiId=api_id, stageName=name).get("accessLogSettings")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/*/*/logging/loglevel", "INFO"),
        ("/*/*/logging/loglevel", "ERROR"),
        ("/*/*/logging/dataTrace", "true"),
    ],
)
def test_execution_logging_without_the_account_role_is_a_bad_request(local_aws, stage, path, value):
    client, api_id, name = stage

    operations = [{"op": "replace", "path": path, "value": value}]

    error = _refused(
        lambda: client.update_stage(restApiId=api_id, stageName=name, patchOperations=operations)
    )

    assert error.response["Error"]["Message"] == CLOUDWATCH_ROLE_REQUIRED


def test_settings_without_logging_are_still_accepted(local_aws, stage):
    client, api_id, name = stage
    operations = [
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "OFF"},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "10"},
        {"op": "replace", "path": "/tracingEnabled", "value": "true"},
    ]

    answer = client.update_stage(restApiId=api_id, stageName=name, patchOperations=operations)

    assert answer["tracingEnabled"] is True
    assert answer["methodSettings"]["*/*"]["metricsEnabled"] is True


def test_logging_is_accepted_once_the_account_has_a_cloudwatch_role(local_aws, stage):
    client, api_id, name = stage
    assert not client.get_account().get("cloudwatchRoleArn")  # a fresh account, as on AWS
    _set_cloudwatch_role(local_aws)

    answer = client.update_stage(
        restApiId=api_id,
        stageName=name,
        patchOperations=[*ACCESS_LOGS, {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}],
    )

    assert answer["accessLogSettings"]["destinationArn"] == ACCESS_LOGS[0]["value"]
    assert answer["methodSettings"]["*/*"]["loggingLevel"] == "INFO"
    assert client.get_account()["cloudwatchRoleArn"].endswith(":role/apigateway-cloudwatch")


def test_create_stage_cannot_carry_logging_settings():
    """Why only UpdateStage is checked: if CreateStage ever gains these members, check it too."""
    model = botocore.session.get_session().get_service_model("apigateway")
    members = set(model.operation_model("CreateStage").input_shape.members)

    assert not members & {"accessLogSettings", "methodSettings"}


def test_patch_operations_that_turn_logging_off_do_not_count_as_enabling_it():
    assert not enables_logging([{"op": "remove", "path": "/accessLogSettings"}])
    assert not enables_logging([{"op": "replace", "path": "/*/*/logging/dataTrace", "value": "false"}])
    assert enables_logging(
        [{"op": "replace", "path": "/accessLogSettings/format", "value": "$context.status"}]
    )


def test_the_patch_is_reversible_and_checks_moto_still_has_update_stage(monkeypatch):
    original = APIGatewayBackend.update_stage
    patches = apigateway_logging_patches()
    patches.install()
    assert APIGatewayBackend.update_stage is not original
    patches.uninstall()
    assert APIGatewayBackend.update_stage is original

    monkeypatch.delattr(APIGatewayBackend, "update_stage")
    with pytest.raises(MotoInternalsChanged, match="update_stage"):
        apigateway_logging_patches()


def test_update_account_without_a_value_resets_the_cloudwatch_role(local_aws):
    """The provider's reset of aws_api_gateway_account on destroy: replace /cloudwatchRoleArn, no value."""
    _set_cloudwatch_role(local_aws)
    client = local_aws.boto3_client("apigateway")
    assert client.get_account()["cloudwatchRoleArn"].endswith(":role/apigateway-cloudwatch")

    client.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn"}])

    assert not client.get_account().get("cloudwatchRoleArn")


def test_a_reset_account_refuses_stage_logging_again(local_aws, stage):
    client, api_id, stage_name = stage
    _set_cloudwatch_role(local_aws)
    client.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}])

    error = _refused(
        lambda: client.update_stage(restApiId=api_id, stageName=stage_name, patchOperations=ACCESS_LOGS)
    )

    assert CLOUDWATCH_ROLE_REQUIRED in error.response["Error"]["Message"]


@pytest.mark.parametrize(
    "path",
    ["/authorization~1redirect/GET/logging/loglevel", "/authorization/redirect/GET/logging/loglevel"],
)
def test_a_nested_resources_method_settings_are_kept_under_its_resource_path(local_aws, stage, path):
    client, api_id, name = stage
    operations = [
        {"op": "replace", "path": path, "value": "OFF"},
        {"op": "replace", "path": path.replace("logging/loglevel", "metrics/enabled"), "value": "true"},
    ]

    answer = client.update_stage(restApiId=api_id, stageName=name, patchOperations=operations)

    assert answer["methodSettings"]["authorization/redirect/GET"]["loggingLevel"] == "OFF"
    assert answer["methodSettings"]["authorization/redirect/GET"]["metricsEnabled"] is True
    again = client.get_stage(restApiId=api_id, stageName=name)
    assert again["methodSettings"]["authorization/redirect/GET"]["loggingLevel"] == "OFF"
