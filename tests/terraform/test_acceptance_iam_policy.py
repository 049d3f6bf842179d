"""docs/acceptance-iam-policy.json, the permissions README's real-account `make acceptance` asks for: it must
allow creating and deleting every resource the acceptance configuration (terraform/acceptance: the root module
with the test-only inputs set, and its modules/spapi_emulator) plans, under the names it plans them with. The
resource types come from terraform/acceptance's mocked plan (terraform_checks.mock_plan_json): the root module
as it configures it, and the emulator module. A resource type missing from REQUIRED_ACTIONS fails the test:
its permissions must be added to the policy, then here. The calls the run makes itself, outside Terraform (the
account guard, the emulator's control routes, the email observer, the deployed-stack assertions), are in
RUN_CALLS, checked the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import terraform_checks
from tests.support.iam_policy_coverage import (
    REQUIRED_ACTIONS,
    DocumentedPolicy,
    created_resources,
    missing_permissions,
)

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

POLICY_PATH = Path(__file__).resolve().parents[2] / "docs" / "acceptance-iam-policy.json"
PREFIX = "spacc-0123abcd"  # the shape of the prefix make acceptance draws (spacc-<8 hex>)
ACCOUNT = "123456789012"  # the mock provider's account
REGION = "eu-west-1"  # the region the documented policy names
EMULATOR = f"{PREFIX}-spapi-emulator"  # the emulator's function and role (acceptance/modules/spapi_emulator)

BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/sp-reports-acceptance-boundary"
BUCKET_ARN = f"arn:aws:s3:::{PREFIX}-reports-{ACCOUNT}-{REGION}"
DATABASE = "spacc_0123abcd_reports"  # the analytics module's database name of the prefix

POLICY = DocumentedPolicy(POLICY_PATH)
allowed = POLICY.allows


@pytest.fixture(scope="module")
def planned_resources() -> list[dict]:
    """The resources make acceptance creates: terraform/acceptance, the root module beside the emulator."""
    plan = terraform_checks.mock_plan_json(
        terraform_checks.TERRAFORM_DIR / "acceptance",
        variables={
            "region": REGION,
            "name_prefix": PREFIX,
            "lambda_package_dir": str(terraform_checks.write_test_packages()),
            # An account without an API Gateway CloudWatch role: terraform/acceptance sets one for the run.
            "account_cloudwatch_role_arn": "",
            "permissions_boundary_arn": BOUNDARY,
        },
    )
    return created_resources(plan)


def test_every_planned_resource_type_has_its_permissions_listed(planned_resources):
    types = {change["type"] for change in planned_resources}

    assert {
        "aws_lambda_function_url",
        "aws_sqs_queue",
        "aws_iam_role",
        "aws_api_gateway_account",
    } <= types  # the emulator's, the stack's and the run's account setting
    assert types - REQUIRED_ACTIONS.keys() == set(), (
        "add their permissions to docs/acceptance-iam-policy.json"
    )


def test_the_documented_policy_lets_the_caller_create_and_delete_every_planned_resource(planned_resources):
    assert missing_permissions(POLICY, planned_resources, ACCOUNT, REGION) == []


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


# What the run calls itself, on which resource (sp_reports_harness.acceptance.targets, acceptance_aws,
# account_stack_under_test, email_observer, spapi_emulator.remote_control and
# tests/integration/deployed_stack).
RUN_CALLS: list[tuple[str, str]] = [
    ("sts:GetCallerIdentity", "*"),  # the account guard
    # The account's API Gateway CloudWatch setting, read before the run and after its destroy.
    ("apigateway:GET", f"arn:aws:apigateway:{REGION}::/account"),
    ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-{REGION}-api-invoke"),  # called as its role
    ("execute-api:Invoke", _arn("execute-api", "a1b2c3/prod/POST/reports")),
    # The emulator's control routes: both actions for a function URL created since October 2025.
    ("lambda:InvokeFunctionUrl", _arn("lambda", f"function:{EMULATOR}")),
    ("lambda:InvokeFunction", _arn("lambda", f"function:{EMULATOR}")),
    # The sweep schedule's target, invoked as the schedule invokes it.
    ("scheduler:GetSchedule", _arn("scheduler", f"schedule/default/{PREFIX}-report-sweep")),
    ("lambda:InvokeFunction", _arn("lambda", f"function:{PREFIX}-report-sweeper")),
    # The email observer's queue and its subscription to the topic.
    *[
        (f"sqs:{action}", _arn("sqs", f"{PREFIX}-email-observer"))
        for action in (
            "CreateQueue",
            "GetQueueAttributes",
            "SetQueueAttributes",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteQueue",
            "GetQueueUrl",
        )
    ],
    *[
        (f"sns:{action}", _arn("sns", f"{PREFIX}-notifications"))
        for action in ("Subscribe", "GetSubscriptionAttributes", "Unsubscribe")
    ],
    # The unauthorised caller: a user with an access key, removed by the test.
    *[
        (f"iam:{action}", f"arn:aws:iam::{ACCOUNT}:user/{PREFIX}-no-api-access")
        for action in (
            "CreateUser",
            "CreateAccessKey",
            "ListAccessKeys",
            "DeleteAccessKey",
            "DeleteUser",
            "GetUser",
        )
    ],
    # What the assertions read.
    ("s3:GetObject", f"arn:aws:s3:::{PREFIX}-reports-{ACCOUNT}-{REGION}/reports/r.tsv"),
    ("s3:ListBucket", f"arn:aws:s3:::{PREFIX}-reports-{ACCOUNT}-{REGION}"),
    ("dynamodb:GetItem", _arn("dynamodb", f"table/{PREFIX}-tokens")),
    ("kms:Decrypt", _arn("kms", "key/11111111-2222-3333-4444-555555555555")),
    ("states:ListExecutions", _arn("states", f"stateMachine:{PREFIX}-report")),
    ("states:DescribeExecution", _arn("states", f"execution:{PREFIX}-report:r")),
    ("states:GetExecutionHistory", _arn("states", f"execution:{PREFIX}-report:r")),
    ("logs:DescribeLogGroups", _arn("logs", "log-group:*")),
    ("logs:FilterLogEvents", _arn("logs", f"log-group:/aws/lambda/{PREFIX}-report-creator")),
    # The Athena query of the curated tables (deployed_stack/test_analytics_query.py): the workgroup's calls,
    # and what Athena does as the caller: read the Glue tables, list and read the curated Parquet, write and
    # read the results under the workgroup's prefix, all encrypted with the data key.
    *[
        (f"athena:{action}", _arn("athena", f"workgroup/{PREFIX}-analytics"))
        for action in ("StartQueryExecution", "GetQueryExecution", "GetQueryResults", "StopQueryExecution")
    ],
    *[
        ("glue:GetTable", _arn("glue", resource))
        for resource in ("catalog", f"database/{DATABASE}", f"table/{DATABASE}/merchant_listings")
    ],
    ("glue:GetDatabase", _arn("glue", f"database/{DATABASE}")),
    (
        "s3:GetObject",
        f"{BUCKET_ARN}/curated/merchant_listings/seller_id=A1/marketplace=A1F83G8C2ARO7P/dt=x/f.parquet",
    ),
    ("s3:PutObject", f"{BUCKET_ARN}/athena-results/{PREFIX}-analytics/q.csv"),
    ("s3:GetObject", f"{BUCKET_ARN}/athena-results/{PREFIX}-analytics/q.csv"),
    ("s3:ListMultipartUploadParts", f"{BUCKET_ARN}/athena-results/{PREFIX}-analytics/q.csv"),
    ("s3:AbortMultipartUpload", f"{BUCKET_ARN}/athena-results/{PREFIX}-analytics/q.csv"),
    ("s3:ListBucketMultipartUploads", BUCKET_ARN),
    ("s3:GetBucketLocation", BUCKET_ARN),
    ("kms:GenerateDataKey", _arn("kms", "key/11111111-2222-3333-4444-555555555555")),
]


@pytest.mark.parametrize(("action", "resource"), RUN_CALLS, ids=[f"{a} {r}" for a, r in RUN_CALLS])
def test_the_documented_policy_lets_the_run_make_its_own_calls(action, resource):
    assert allowed(action, resource)


def test_the_policy_scopes_iam_to_the_runs_names():
    assert allowed("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-report-creator")
    assert not allowed("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/Admin")
    # The account's own API Gateway CloudWatch role (a baseline's) is never the run's to replace or delete.
    assert not allowed("iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/api-gateway-cloudwatch-logs-{REGION}")
    assert not allowed("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole")
    assert not allowed("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/someone")
    assert not allowed("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/{PREFIX}-{REGION}-api-invoke")
    assert not allowed("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/someone-no-api-access")


# -- Nothing the run creates can do more than its boundary ----------------------------------------------

PRINCIPAL_WRITES = {
    "iam:createrole",
    "iam:putrolepolicy",
    "iam:deleterolepolicy",
    "iam:attachrolepolicy",
    "iam:detachrolepolicy",
    "iam:putrolepermissionsboundary",
}


def test_every_role_the_run_creates_carries_the_boundary(planned_resources):
    roles = [c for c in planned_resources if c["type"] == "aws_iam_role"]
    assert len(roles) >= 10  # the stack's, the emulator's and the run's API Gateway CloudWatch role
    assert {c["address"]: c["change"]["after"]["permissions_boundary"] for c in roles} == {
        c["address"]: BOUNDARY for c in roles
    }


def test_roles_are_created_and_given_policies_only_within_the_boundary():
    # The IAM User Guide's delegation pattern ("Permissions boundaries for IAM entities"): creating a role or
    # changing its policies only with the boundary condition, so a created role never exceeds it.
    for statement in POLICY.statements:
        actions = {action.lower() for action in statement["Action"]}
        if actions & PRINCIPAL_WRITES:
            condition = statement.get("Condition", {}).get("StringLike", {})
            assert condition.get("iam:PermissionsBoundary") == (
                "arn:aws:iam::*:policy/sp-reports-acceptance-boundary"
            ), statement["Sid"]
        if {"iam:attachrolepolicy", "iam:detachrolepolicy"} & actions:
            # Only the managed policy API Gateway's CloudWatch role needs, not AdministratorAccess.
            assert statement["Condition"]["ArnEquals"] == {
                "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
            }
        assert not actions & {
            "iam:putuserpolicy",
            "iam:attachuserpolicy",
            "iam:deleterolepermissionsboundary",
        }
