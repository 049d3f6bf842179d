"""``LocalStackUnderTest``: a local deployment seen through the interface of the deployed-stack assertions,
offering local AWS's own checks; and the gate that skips those checks only where the target is not local."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest

from sp_reports.handlers import FUNCTIONS
from sp_reports_harness.acceptance.local_stack_under_test import LocalStackUnderTest
from sp_reports_harness.acceptance.stack_under_test import StackUnderTest, athena_of, local_aws_of
from sp_reports_harness.deployment.local_deployment import (
    DeploymentError,
    DeploymentSettings,
    LocalDeployment,
    StackOutputs,
)
from spapi_emulator.control_protocol import InProcessControl


@pytest.fixture
def deployment(tmp_path, models_dir):
    """Local AWS and the emulator started; the root module is not applied (its outputs are set by hand)."""
    packages = tmp_path / "lambda"
    packages.mkdir()
    for function in FUNCTIONS:
        (packages / f"{function}.zip").write_bytes(b"")  # start() only checks that they exist
    settings = DeploymentSettings(state_dir=tmp_path, package_dir=packages, models_dir=models_dir)
    with LocalDeployment(settings) as started:
        yield started


def _applied(deployment: LocalDeployment) -> LocalStackUnderTest:
    assert deployment.aws is not None
    topic_arn = deployment.aws.boto3_client("sns").create_topic(Name="outcomes")["TopicArn"]
    deployment.outputs = StackOutputs({"notifications_topic_arn": topic_arn})
    return LocalStackUnderTest(deployment)


def test_a_stack_not_applied_yet_is_refused(deployment):
    with pytest.raises(DeploymentError, match="not applied"):
        LocalStackUnderTest(deployment)


def test_it_offers_local_aws_and_the_in_process_emulator(deployment):
    stack = _applied(deployment)

    assert isinstance(stack, StackUnderTest)
    assert stack.on_local_aws and stack.local_aws is deployment.aws
    assert not stack.athena_runs_sql  # moto runs no SQL: the Athena query is skipped
    assert local_aws_of(stack, "anything") is deployment.aws
    assert isinstance(stack.emulator, InProcessControl)
    stack.emulator.register_seller("Atzr|another", "A2SELLER")
    assert deployment.emulator is not None and "Atzr|another" in deployment.emulator.app.state.sellers
    assert stack.name_prefix == deployment.settings.name_prefix and stack.region == deployment.settings.region


def test_its_clients_and_credentials_are_the_deployers_on_local_aws(deployment):
    stack = _applied(deployment)
    credentials = stack.credentials()

    signed_by_hand = boto3.client(
        "sts",
        endpoint_url=deployment.aws.endpoint_url,
        region_name=stack.region,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
    )

    assert credentials.access_key == deployment.aws.access_key_id  # local AWS's root: Terraform's caller
    assert signed_by_hand.get_caller_identity() | {"ResponseMetadata": None} == stack.boto3_client(
        "sts"
    ).get_caller_identity() | {"ResponseMetadata": None}


def test_emails_are_observed_through_a_queue_that_is_gone_afterwards(deployment):
    stack = _applied(deployment)
    sns, topic_arn = stack.boto3_client("sns"), stack.outputs["notifications_topic_arn"]

    with stack.observe_emails() as emails:
        sns.publish(TopicArn=topic_arn, Subject="SP-API report X is ready to download", Message="report R1")
        (email,) = emails.about("R1", timeout=5)

    assert email.subject == "SP-API report X is ready to download"
    assert stack.boto3_client("sqs").list_queues().get("QueueUrls", []) == []


@pytest.mark.parametrize(
    ("on_local_aws", "outcome"),
    [(True, pytest.fail.Exception), (False, pytest.skip.Exception)],
)
def test_local_aws_checks_are_skipped_only_where_the_target_is_not_local(on_local_aws, outcome):
    stack = SimpleNamespace(local_aws=None, on_local_aws=on_local_aws, description="a target")

    with pytest.raises(outcome, match="decisions"):
        local_aws_of(stack, "the decisions")


def test_the_athena_query_is_skipped_where_athena_runs_no_sql_and_asks_the_deployers_client_elsewhere():
    local = SimpleNamespace(athena_runs_sql=False, description="local AWS (http://127.0.0.1:1)")
    with pytest.raises(pytest.skip.Exception, match=r"only a real account's Athena runs SQL \(the count\)"):
        athena_of(local, "the count")

    asked: list[str] = []
    account = SimpleNamespace(
        athena_runs_sql=True, boto3_client=lambda service: asked.append(service) or service
    )
    assert athena_of(account, "the count") == "athena" and asked == ["athena"]
