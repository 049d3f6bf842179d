"""The account baseline local runs apply before the stack: API Gateway's CloudWatch Logs role, as a landing
zone sets it, so the stack (which manages no account-wide setting) can turn on its stage's logs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sp_reports_harness.local_aws import LocalAws
from sp_reports_harness.local_aws.account_baseline import (
    BASELINE_ROLE_NAME,
    PUSH_TO_CLOUDWATCH_LOGS_POLICY,
    apply_account_baseline,
)


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    # The baseline role carries an AWS managed policy: local AWS must know them.
    with LocalAws(aws_managed_policies=True) as local_aws:
        yield local_aws


def test_a_fresh_account_gets_a_cloudwatch_role_that_api_gateway_may_assume(aws):
    assert not aws.boto3_client("apigateway").get_account().get("cloudwatchRoleArn")

    arn = apply_account_baseline(aws)

    iam = aws.boto3_client("iam")
    role = iam.get_role(RoleName=BASELINE_ROLE_NAME)["Role"]
    assert aws.boto3_client("apigateway").get_account()["cloudwatchRoleArn"] == arn == role["Arn"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName=BASELINE_ROLE_NAME)["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [PUSH_TO_CLOUDWATCH_LOGS_POLICY]


def test_an_account_whose_setting_names_a_role_keeps_it(aws):
    first = apply_account_baseline(aws)

    assert apply_account_baseline(aws) == first
    roles = aws.boto3_client("iam").list_roles()["Roles"]
    assert [role["RoleName"] for role in roles].count(BASELINE_ROLE_NAME) == 1
