"""Boundaries and retention (docs/security.md) as the root's mocked plan holds them: what reaches resources
inside modules, which the root's own `terraform test` cannot address."""

from __future__ import annotations

import json
import shutil

import pytest

import terraform_checks

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

READER = "arn:aws:iam::123456789012:role/estate-report-readers"


@pytest.fixture(scope="module")
def default_plan() -> dict:
    return terraform_checks.mock_plan_json(variables={"name_prefix": "bounds-test"})


@pytest.fixture(scope="module")
def configured_plan() -> dict:
    return terraform_checks.mock_plan_json(
        variables={
            "name_prefix": "bounds-test",
            "report_expiration_days": 400,
            "restricted_report_expiration_days": 14,
            "noncurrent_version_expiration_days": 3,
        }
    )


def _planned(plan: dict, address: str) -> dict:
    (after,) = [r["change"]["after"] for r in plan["resource_changes"] if r["address"] == address]
    return after


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _lifecycle_rules(plan: dict) -> dict[str, dict]:
    lifecycle = _planned(plan, "module.storage.aws_s3_bucket_lifecycle_configuration.reports")
    return {rule["id"]: rule for rule in lifecycle["rule"]}


def test_by_default_restricted_documents_expire_after_30_days_and_noncurrent_versions_after_7(default_plan):
    rules = _lifecycle_rules(default_plan)

    restricted = rules["restricted-reports"]
    assert restricted["filter"][0]["tag"] == [{"key": "data-class", "value": "restricted"}]
    assert restricted["expiration"][0]["days"] == 30
    assert rules["reports"]["noncurrent_version_expiration"][0]["noncurrent_days"] == 7
    assert rules["reports"]["expiration"] == []  # unrestricted documents are kept unless told otherwise


def test_the_root_retention_inputs_reach_the_bucket_lifecycle(configured_plan):
    rules = _lifecycle_rules(configured_plan)

    assert rules["restricted-reports"]["expiration"][0]["days"] == 14
    assert rules["reports"]["expiration"][0]["days"] == 400
    assert rules["reports"]["noncurrent_version_expiration"][0]["noncurrent_days"] == 3


def test_the_report_storer_may_tag_what_it_uploads(default_plan):
    policies = [
        json.loads(r["change"]["after"]["policy"])
        for r in default_plan["resource_changes"]
        if r["type"] == "aws_iam_role_policy" and "report_storer" in r["address"]
    ]
    actions = {
        action
        for policy in policies
        for statement in policy["Statement"]
        for action in _as_list(statement["Action"])
    }
    assert "s3:PutObjectTagging" in actions
