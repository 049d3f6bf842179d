"""The stack in an estate, read from the root's mocked plans: every IAM role and user the plan creates (found
in the plan, whatever module makes it) carries the role path and permissions boundary, no role name passes
IAM's 64 characters, two regions of one account share no IAM name, and VPC placement reaches every function
with the network-interface permissions Lambda needs, and only then."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import terraform_checks
from sp_reports.handlers import FUNCTIONS, OPT_IN_FUNCTIONS

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

PREFIX = "acme-estate"
PATH = "/estate/sp-reports/"
BOUNDARY = "arn:aws:iam::123456789012:policy/estate/workload-boundary"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
SECURITY_GROUPS = ["sg-0123456789abcdef0"]
ESTATE = {
    "name_prefix": PREFIX,
    "iam_role_path": PATH,
    "iam_permissions_boundary_arn": BOUNDARY,
    "create_api_invoke_user": True,
    "lambda_vpc_subnet_ids": SUBNETS,
    "lambda_vpc_security_group_ids": SECURITY_GROUPS,
    # The API Gateway CloudWatch role is the account's (one per account and region), not the stack's.
    "manage_api_gateway_cloudwatch_role": False,
}
# IAM User Guide, "IAM and AWS STS quotas": role names are at most 64 characters.
IAM_ROLE_NAME_LIMIT = 64
ENI_SID = "ManageNetworkInterfacesInTheVpc"


@pytest.fixture(scope="module")
def estate() -> dict:
    return terraform_checks.mock_plan_json(variables=ESTATE)


@pytest.fixture(scope="module")
def estate_in_another_region() -> dict:
    return terraform_checks.mock_plan_json(variables=ESTATE, region="eu-west-1")


@pytest.fixture(scope="module")
def longest() -> dict:
    """The longest names the defaults build: a 24-character name_prefix in a 14-character region code."""
    return terraform_checks.mock_plan_json(
        variables={"name_prefix": "abcdefghijklmnopqrstuvwx"}, region="ap-southeast-4"
    )


def _created(plan: dict, resource_type: str) -> list[dict]:
    return [
        r["change"]["after"]
        for r in plan["resource_changes"]
        if r["type"] == resource_type and r["mode"] == "managed" and "create" in r["change"]["actions"]
    ]


def _iam_names(plan: dict) -> set[tuple[str, str]]:
    """(type, name) of every role and user: a role and a user may share a name, two roles may not."""
    return {(t, e["name"]) for t in ("aws_iam_role", "aws_iam_user") for e in _created(plan, t)}


def test_every_role_and_user_in_the_plan_carries_the_path_and_the_boundary(estate):
    roles = _created(estate, "aws_iam_role")
    users = _created(estate, "aws_iam_user")

    # A role per function (the opt-in ones are off by default), the workflow's, the sweep's and the pull
    # planner's schedules', the link signer's and the API invoke role.
    assert len(roles) == len(FUNCTIONS) - len(OPT_IN_FUNCTIONS) + 5
    assert len(users) == 1
    assert {(e["name"], e["path"], e["permissions_boundary"]) for e in roles + users} == {
        (e["name"], PATH, BOUNDARY) for e in roles + users
    }


def test_every_role_arn_in_the_plan_names_the_path(estate):
    """Key policies, trust policies, statements and environments name roles by ARNs the stack builds from
    names; each must include the path, or the principal is another (or no) role."""
    text = json.dumps([r["change"]["after"] for r in estate["resource_changes"]])
    arns = set(re.findall(r"arn:aws:iam::123456789012:role/[A-Za-z0-9+=,.@_/-]+", text))
    # The mocked aws_iam_role.arn stands for the ARN IAM returns, which includes the path.
    built = arns - {"arn:aws:iam::123456789012:role/mock-role"}

    assert len(built) >= 9  # the functions' roles in the key and trust policies, the signer
    assert not [arn for arn in built if not arn.startswith(f"arn:aws:iam::123456789012:role{PATH}")]


def test_no_role_name_passes_iams_limit_and_the_longest_reaches_it(longest):
    names = [role["name"] for role in _created(longest, "aws_iam_role")]

    assert names and max(len(n) for n in names) == IAM_ROLE_NAME_LIMIT
    assert not [n for n in names if len(n) > IAM_ROLE_NAME_LIMIT]


def test_two_regions_of_one_account_share_no_iam_name(estate, estate_in_another_region):
    here, there = _iam_names(estate), _iam_names(estate_in_another_region)

    # Those roles and the API invoke user.
    assert len(here) == len(there) == len(FUNCTIONS) - len(OPT_IN_FUNCTIONS) + 6
    assert not here & there

    # Regional names stay as they were: only the account-global ones carry the region.
    def function_names(plan):
        return {f["function_name"] for f in _created(plan, "aws_lambda_function")}

    assert function_names(estate) == function_names(estate_in_another_region)


def test_vpc_placement_reaches_every_function_with_the_network_interface_permissions(estate):
    functions = _created(estate, "aws_lambda_function")
    runtime = [
        json.loads(p["policy"])
        for p in _created(estate, "aws_iam_role_policy")
        if p["name"].endswith("-runtime")
    ]

    # Every function but the opt-in ones (seller authorization, off in this estate).
    assert len(functions) == len(runtime) == len(terraform_checks.FUNCTIONS) - len(OPT_IN_FUNCTIONS)
    assert [
        (sorted(f["vpc_config"][0]["subnet_ids"]), f["vpc_config"][0]["security_group_ids"])
        for f in functions
    ] == [(SUBNETS, SECURITY_GROUPS)] * len(functions)
    for policy in runtime:
        (eni,) = [s for s in policy["Statement"] if s["Sid"] == ENI_SID]
        assert "ec2:CreateNetworkInterface" in eni["Action"] and "ec2:DeleteNetworkInterface" in eni["Action"]


def test_outside_a_vpc_no_function_is_placed_and_no_role_may_touch_network_interfaces(longest):
    functions = _created(longest, "aws_lambda_function")
    policies = " ".join(p["policy"] for p in _created(longest, "aws_iam_role_policy"))

    assert functions and not [f for f in functions if f.get("vpc_config")]
    assert ENI_SID not in policies and "ec2:" not in policies
