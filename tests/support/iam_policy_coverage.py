"""What a documented IAM policy for running Terraform must allow, and a reader of such a policy: the
policies in docs/ (acceptance-iam-policy.json for make acceptance, deployer-iam-policy.json for a pipeline's
role) are checked against the resources of mocked plans with these."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

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
    # UpdateRestApi's /policy patch, both to set the policy and, on destroy, to clear it.
    "aws_api_gateway_rest_api_policy": ["apigateway:PATCH", "apigateway:GET"],
    "aws_api_gateway_stage": ["apigateway:POST", "apigateway:DELETE", "apigateway:PATCH"],
    "aws_athena_workgroup": ["athena:CreateWorkGroup", "athena:DeleteWorkGroup", "athena:GetWorkGroup"],
    "aws_cloudwatch_log_group": ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy"],
    "aws_cloudwatch_dashboard": [
        "cloudwatch:PutDashboard",
        "cloudwatch:GetDashboard",
        "cloudwatch:DeleteDashboards",
    ],
    "aws_cloudwatch_metric_alarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
    "aws_dynamodb_table": ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTimeToLive"],
    "aws_glue_catalog_database": ["glue:CreateDatabase", "glue:DeleteDatabase", "glue:GetDatabase"],
    "aws_glue_catalog_table": ["glue:CreateTable", "glue:DeleteTable", "glue:GetTable"],
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


class DocumentedPolicy:
    """The Allow statements of a policy document, matched as IAM matches them: actions without regard to
    case, resources by their wildcards (a region condition is the one the checked resources' region meets)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        statements = json.loads(path.read_text(encoding="utf-8"))["Statement"]
        self.statements = [s for s in statements if s["Effect"] == "Allow"]

    def allows(self, action: str, resource: str) -> bool:
        for statement in self.statements:
            actions = as_list(statement["Action"])
            if not any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions):
                continue
            if any(fnmatch.fnmatchcase(resource, pattern) for pattern in as_list(statement["Resource"])):
                return True
        return False


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def resource_arns(action: str, change: dict, planned: list[dict], account: str, region: str) -> list[str]:
    """The ARNs the action is authorised on, for the resources a policy scopes by name (IAM); other services
    are scoped by region, so any ARN of the region stands for them."""
    if action == "iam:PassRole":
        # The role a resource is given is known as a name only where it is built from one (mocked ARNs are
        # not): every role the plan creates must be passable.
        return [_iam_arn(account, "role", c) for c in planned if c["type"] == "aws_iam_role"]
    if action.startswith("iam:") and "User" in action:
        return [_iam_arn(account, "user", _owner(change, planned, "aws_iam_user", "user"))]
    if action.startswith("iam:"):
        return [_iam_arn(account, "role", _owner(change, planned, "aws_iam_role", "role"))]
    return [f"arn:aws:{action.split(':')[0]}:{region}:{account}:planned-resource"]


def _owner(change: dict, planned: list[dict], owner_type: str, attribute: str) -> dict:
    """The planned role or user an IAM action on change acts on: change itself, or the one its `role` or
    `user` names, else (a name known only at apply) the one its module creates."""
    if change["type"] == owner_type:
        return change
    name = (change["change"]["after"] or {}).get(attribute)
    module = change["address"].rsplit(".", 2)[0]
    (owner,) = [
        c
        for c in planned
        if c["type"] == owner_type
        and (c["change"]["after"]["name"] == name if name else c["address"].rsplit(".", 2)[0] == module)
    ]
    return owner


def _iam_arn(account: str, kind: str, change: dict) -> str:
    after = change["change"]["after"]
    return f"arn:aws:iam::{account}:{kind}{after.get('path') or '/'}{after['name']}"


def missing_permissions(
    policy: DocumentedPolicy, planned: list[dict], account: str, region: str
) -> list[str]:
    """Each action Terraform calls for a planned resource that the policy does not allow, with its ARN."""
    return sorted(
        {
            f"{change['type']}: {action} on {arn}"
            for change in planned
            for action in REQUIRED_ACTIONS.get(change["type"], [])
            for arn in resource_arns(action, change, planned, account, region)
            if not policy.allows(action, arn)
        }
    )


def created_resources(plan: dict) -> list[dict]:
    return [
        change
        for change in plan["resource_changes"]
        if change["mode"] == "managed" and "create" in change["change"]["actions"]
    ]
