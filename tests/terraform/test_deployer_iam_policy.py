"""docs/deployer-iam-policy.json, the permissions terraform/README.md gives a pipeline's role that applies the
stack (name_prefix sp-reports, eu-west-1, code from a release in my-org-releases-eu-west-1): it must allow
every action Terraform calls to create and delete every resource of the root's mocked plan, with every
optional resource the estate inputs add, under the names the plan gives them; and nothing IAM beyond them.
With iam_role_path, the policy with the path written into its IAM patterns as terraform/README.md says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import terraform_checks
from tests.support.iam_policy_coverage import DocumentedPolicy, created_resources, missing_permissions

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

POLICY = DocumentedPolicy(Path(__file__).resolve().parents[2] / "docs" / "deployer-iam-policy.json")
ACCOUNT = "123456789012"  # the mock provider's account
REGION = "eu-west-1"  # the region the documented policy names
IAM_PREFIX = f"sp-reports-{REGION}"  # the root's default iam_name_prefix for name_prefix sp-reports
# Every input that adds resources of a kind the default plan lacks.
ESTATE = {
    "name_prefix": "sp-reports",
    "create_api_invoke_user": True,
    "api_waf_web_acl_arn": (
        f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/estate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    ),
    "s3_access_log_bucket": "estate-s3-access-logs",
    "lambda_vpc_subnet_ids": ["subnet-0123456789abcdef0"],
    "lambda_vpc_security_group_ids": ["sg-0123456789abcdef0"],
    "notification_email": "reports@example.com",
}


@pytest.fixture(scope="module")
def planned_resources() -> list[dict]:
    return created_resources(terraform_checks.mock_plan_json(variables=ESTATE, region=REGION))


ROLE_PATH = "/workloads/sp-reports/"


@pytest.fixture(scope="module")
def planned_resources_under_a_path() -> list[dict]:
    variables = {**ESTATE, "iam_role_path": ROLE_PATH}
    return created_resources(terraform_checks.mock_plan_json(variables=variables, region=REGION))


def with_the_path(policy_path: Path, directory: Path) -> DocumentedPolicy:
    """The documented policy as terraform/README.md tells a caller with iam_role_path to write it."""
    text = policy_path.read_text(encoding="utf-8")
    for kind in ("role", "user"):
        text = text.replace(f":{kind}/{IAM_PREFIX}-*", f":{kind}{ROLE_PATH}{IAM_PREFIX}-*")
    written = directory / "deployer-iam-policy.json"
    written.write_text(text, encoding="utf-8")
    return DocumentedPolicy(written)


def test_the_pipeline_policy_lets_terraform_create_and_delete_every_planned_resource(planned_resources):
    assert {"aws_iam_role", "aws_iam_user", "aws_wafv2_web_acl_association", "aws_s3_bucket_logging"} <= {
        change["type"] for change in planned_resources
    }
    assert missing_permissions(POLICY, planned_resources, ACCOUNT, REGION) == []


def test_with_a_role_path_the_policy_needs_the_path_written_into_its_iam_patterns(
    planned_resources_under_a_path, tmp_path
):
    roles = [c for c in planned_resources_under_a_path if c["type"] in ("aws_iam_role", "aws_iam_user")]
    assert roles and all(c["change"]["after"]["path"] == ROLE_PATH for c in roles)
    # As shipped, the policy names no path: every role and the user are out of its reach.
    assert any(":iam::" in line for line in missing_permissions(POLICY, roles, ACCOUNT, REGION))
    policy = with_the_path(POLICY.path, tmp_path)
    assert missing_permissions(policy, planned_resources_under_a_path, ACCOUNT, REGION) == []
    assert not policy.allows("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/{IAM_PREFIX}-report-storer")


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        # The release's manifest, read while planning (lambda_artifacts_s3_bucket / _prefix).
        ("s3:GetObject", "arn:aws:s3:::my-org-releases-eu-west-1/sp-reports/1.0.0/manifest.json"),
        # Creating a function in a VPC: Lambda checks the caller may describe what it names (Lambda Developer
        # Guide, "Giving Lambda functions access to resources in an Amazon VPC", IAM user permissions).
        ("ec2:DescribeSecurityGroups", "*"),
        ("ec2:DescribeSubnets", "*"),
        ("ec2:DescribeVpcs", "*"),
        # The permissions boundary on every role and on the user (iam_permissions_boundary_arn).
        ("iam:PutRolePermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:role/{IAM_PREFIX}-report-storer"),
        ("iam:PutUserPermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:user/{IAM_PREFIX}-api-invoke"),
    ],
)
def test_the_pipeline_policy_covers_what_the_plan_reads_and_the_estate_inputs_add(action, resource):
    assert POLICY.allows(action, resource)


def test_the_pipeline_policy_scopes_iam_to_the_stacks_names():
    assert not POLICY.allows("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/Admin")
    assert not POLICY.allows("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole")
    # Another region's stack of the same prefix, and the account's API Gateway CloudWatch role, are not its.
    assert not POLICY.allows(
        "iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/sp-reports-us-east-1-report-storer"
    )
    assert not POLICY.allows(
        "iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/api-gateway-cloudwatch-logs-{REGION}"
    )
    assert not POLICY.allows(
        "iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{IAM_PREFIX}-report-storer"
    )
    assert not POLICY.allows("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/{IAM_PREFIX}-api-invoke")
