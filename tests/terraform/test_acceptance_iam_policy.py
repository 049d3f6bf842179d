"""docs/acceptance-iam-policy.json, the permissions README's real-account `make acceptance` asks for: it must
allow creating and deleting every resource the acceptance configuration (terraform/acceptance: the root module
with the test-only inputs set, and modules/spapi_emulator) plans, under the names it plans them with.

The resource types come from mocked plans (terraform_checks.mock_plan_json): the root's, with the inputs
terraform/acceptance gives it, and the emulator module's. terraform/acceptance itself cannot be planned under
the mock provider (the root keeps its own provider "aws", which a test's mock does not replace), hence the two
plans. A resource type missing from REQUIRED_ACTIONS fails the test: its permissions must be added to the
policy, then here. The calls the run makes itself, outside Terraform (the account guard, the emulator's
control routes, the email observer, the deployed-stack assertions), are in RUN_CALLS, checked the same way."""

from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path

import pytest

import terraform_checks

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

POLICY = Path(__file__).resolve().parents[2] / "docs" / "acceptance-iam-policy.json"
PREFIX = "spacc-0123abcd"  # the shape of the prefix make acceptance draws (spacc-<8 hex>)
ACCOUNT = "123456789012"  # the mock provider's account
REGION = "eu-west-1"  # the region the documented policy names
EMULATOR = f"{PREFIX}-spapi-emulator"  # the emulator's function and role (modules/spapi_emulator)

# What Terraform calls to create and to delete each resource type (the AWS provider's documented API calls;
# service authorization reference for the action names). iam:PassRole where the resource is given a role.
REQUIRED_ACTIONS: dict[str, list[str]] = {
    "aws_api_gateway_account": ["apigateway:PATCH", "apigateway:GET", "iam:PassRole"],
    "aws_api_gateway_deployment": ["apigateway:POST", "apigateway:DELETE"],
    "aws_api_gateway_gateway_response": ["apigateway:PUT", "apigateway:DELETE"],
    "aws_api_gateway_integration": ["apigateway:PUT", "apigateway:DELETE"],
    "aws_api_gateway_method": ["apigateway:PUT", "apigateway:DELETE"],
    "aws_api_gateway_method_settings": ["apigateway:PATCH"],
    "aws_api_gateway_model": ["apigateway:POST", "apigateway:DELETE"],
    "aws_api_gateway_request_validator": ["apigateway:POST", "apigateway:DELETE"],
    "aws_api_gateway_resource": ["apigateway:POST", "apigateway:DELETE"],
    "aws_api_gateway_rest_api": ["apigateway:POST", "apigateway:DELETE", "apigateway:PUT"],
    "aws_api_gateway_stage": ["apigateway:POST", "apigateway:DELETE", "apigateway:PATCH"],
    "aws_cloudwatch_log_group": ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy"],
    "aws_cloudwatch_metric_alarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
    "aws_dynamodb_table": ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTimeToLive"],
    "aws_iam_role": ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole"],
    "aws_iam_role_policy": ["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"],
    "aws_iam_role_policy_attachment": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
    "aws_iam_user": ["iam:CreateUser", "iam:DeleteUser"],
    "aws_iam_user_policy": ["iam:PutUserPolicy", "iam:DeleteUserPolicy"],
    "aws_kms_alias": ["kms:CreateAlias", "kms:DeleteAlias"],
    "aws_kms_key": ["kms:CreateKey", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"],
    "aws_kms_key_policy": ["kms:PutKeyPolicy", "kms:GetKeyPolicy"],
    "aws_lambda_event_source_mapping": ["lambda:CreateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
    "aws_lambda_function": ["lambda:CreateFunction", "lambda:DeleteFunction", "iam:PassRole"],
    "aws_lambda_function_event_invoke_config": [
        "lambda:PutFunctionEventInvokeConfig",
        "lambda:DeleteFunctionEventInvokeConfig",
    ],
    "aws_lambda_function_url": ["lambda:CreateFunctionUrlConfig", "lambda:DeleteFunctionUrlConfig"],
    "aws_lambda_permission": ["lambda:AddPermission", "lambda:RemovePermission"],
    "aws_s3_bucket": ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:DeleteObject"],
    "aws_s3_bucket_lifecycle_configuration": ["s3:PutLifecycleConfiguration"],
    "aws_s3_bucket_logging": ["s3:PutBucketLogging"],
    "aws_s3_bucket_ownership_controls": ["s3:PutBucketOwnershipControls"],
    "aws_s3_bucket_policy": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    "aws_s3_bucket_public_access_block": ["s3:PutBucketPublicAccessBlock"],
    "aws_s3_bucket_server_side_encryption_configuration": ["s3:PutEncryptionConfiguration"],
    "aws_s3_bucket_versioning": ["s3:PutBucketVersioning"],
    "aws_s3_object": ["s3:PutObject", "s3:DeleteObject"],
    "aws_scheduler_schedule": ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "iam:PassRole"],
    "aws_secretsmanager_secret": ["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret"],
    "aws_secretsmanager_secret_version": ["secretsmanager:PutSecretValue"],
    "aws_sfn_state_machine": ["states:CreateStateMachine", "states:DeleteStateMachine", "iam:PassRole"],
    "aws_sns_topic": ["sns:CreateTopic", "sns:DeleteTopic"],
    "aws_sns_topic_policy": ["sns:SetTopicAttributes"],
    "aws_sns_topic_subscription": ["sns:Subscribe", "sns:Unsubscribe"],
    "aws_sqs_queue": ["sqs:CreateQueue", "sqs:DeleteQueue"],
    "aws_wafv2_web_acl_association": ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
}


def _statements() -> list[dict]:
    statements = json.loads(POLICY.read_text(encoding="utf-8"))["Statement"]
    return [s for s in statements if s["Effect"] == "Allow"]


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def allowed(action: str, resource: str) -> bool:
    """Whether an Allow statement of the policy grants action on resource (IAM matches actions without
    regard to case; the region condition is the one the resource's region meets)."""
    for statement in _statements():
        actions = _as_list(statement["Action"])
        if not any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions):
            continue
        if any(fnmatch.fnmatchcase(resource, pattern) for pattern in _as_list(statement["Resource"])):
            return True
    return False


def _resource_arns(action: str, change: dict, planned: list[dict]) -> list[str]:
    """The ARNs the action is authorised on, for the resources the policy scopes by name (IAM)."""
    after = change["change"]["after"] or {}
    if action == "iam:PassRole":
        # The role a resource is given is known as a name only where it is built from one (mocked ARNs are
        # not): every role the run creates must be passable.
        return [
            f"arn:aws:iam::{ACCOUNT}:role/{c['change']['after']['name']}"
            for c in planned
            if c["type"] == "aws_iam_role"
        ]
    if action.startswith("iam:") and "User" in action:
        return [f"arn:aws:iam::{ACCOUNT}:user/{after.get('name') or after.get('user')}"]
    if action.startswith("iam:"):
        return [f"arn:aws:iam::{ACCOUNT}:role/{after.get('name') or after.get('role')}"]
    return [f"arn:aws:{action.split(':')[0]}:{REGION}:{ACCOUNT}:{PREFIX}"]


@pytest.fixture(scope="module")
def planned_resources() -> list[dict]:
    """The resources make acceptance creates: the root as terraform/acceptance configures it, and the
    emulator module."""
    packages = str(terraform_checks.write_test_packages())
    root = terraform_checks.mock_plan_json(
        variables={
            "name_prefix": PREFIX,
            "deletion_protection": False,
            "test_spapi_emulator_function_arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{EMULATOR}",
            "test_notification_sender_role_arns": [f"arn:aws:iam::{ACCOUNT}:role/{EMULATOR}"],
        }
    )
    emulator = terraform_checks.mock_plan_json(
        terraform_checks.TERRAFORM_DIR / "modules" / "spapi_emulator",
        variables={
            "name_prefix": PREFIX,
            "lambda_package_dir": packages,
            "kms_key_arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555",
        },
    )
    # Where the account has no API Gateway CloudWatch role, terraform/acceptance sets one for the run.
    account_settings = terraform_checks.mock_plan_json(
        terraform_checks.TERRAFORM_DIR / "modules" / "account_settings",
        variables={"current_cloudwatch_role_arn": "", "role_name": f"{PREFIX}-apigw-cloudwatch"},
    )
    return [
        change
        for plan in (root, emulator, account_settings)
        for change in plan["resource_changes"]
        if change["mode"] == "managed" and "create" in change["change"]["actions"]
    ]


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
    missing = sorted(
        {
            f"{change['type']}: {action} on {arn}"
            for change in planned_resources
            for action in REQUIRED_ACTIONS.get(change["type"], [])
            for arn in _resource_arns(action, change, planned_resources)
            if not allowed(action, arn)
        }
    )

    assert missing == []


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


# What the run calls itself, on which resource (sp_reports_local.acceptance_targets, acceptance_aws,
# account_stack_under_test, email_observer, spapi_emulator.remote and tests/integration/deployed_stack).
RUN_CALLS: list[tuple[str, str]] = [
    ("sts:GetCallerIdentity", "*"),  # the account guard
    # The account's API Gateway CloudWatch setting, read before the run and after its destroy.
    ("apigateway:GET", f"arn:aws:apigateway:{REGION}::/account"),
    ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-api-invoke"),  # the API is called as its role
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
    assert not allowed("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/{PREFIX}-api-invoke")
    assert not allowed("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/someone-no-api-access")
