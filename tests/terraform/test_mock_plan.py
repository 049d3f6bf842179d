"""The root plan under Terraform's mocked aws provider, through terraform_checks.mock_plan_json(): what
other tests (IAM review, drift checks) build on. Needs the terraform binary and the aws provider (the
filesystem mirror in CI)."""

from __future__ import annotations

import json
import shutil

import pytest

import terraform_checks

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")


@pytest.fixture(scope="module")
def plan() -> dict:
    # With the opt-in seller authorization on, so that every function is planned and reviewed.
    return terraform_checks.mock_plan_json(
        variables={
            "name_prefix": "plan-test",
            "seller_authorization_redirect_uri": "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/authorization/redirect",
        }
    )


def _after(plan: dict, resource_type: str) -> list[dict]:
    return [r["change"]["after"] for r in plan["resource_changes"] if r["type"] == resource_type]


def test_the_plan_creates_every_function_on_the_declared_runtime(plan):
    functions = _after(plan, "aws_lambda_function")

    assert sorted(f["function_name"] for f in functions) == sorted(
        f"plan-test-{name.replace('_', '-')}" for name in terraform_checks.FUNCTIONS
    )
    assert {(f["runtime"], tuple(f["architectures"])) for f in functions} == {("python3.13", ("x86_64",))}


def test_every_iam_policy_in_the_plan_is_readable_json_without_wildcard_actions(plan):
    policies = [json.loads(p["policy"]) for p in _after(plan, "aws_iam_role_policy")]

    assert len(policies) >= 8
    actions = [
        a
        for p in policies
        for s in p["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert actions and not [a for a in actions if a == "*" or a.endswith(":*")]


def test_the_queue_policy_in_the_plan_names_the_spapi_principal(plan):
    (queue,) = [q for q in _after(plan, "aws_sqs_queue") if q["name"] == "plan-test-notifications"]
    statements = json.loads(queue["policy"])["Statement"]
    principals = [s["Principal"] for s in statements if s["Effect"] == "Allow"]

    assert principals == [{"AWS": "arn:aws:iam::437568002678:root"}]
