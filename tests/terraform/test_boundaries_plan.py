"""Boundaries and retention (docs/security.md) as the root's mocked plan holds them: what reaches resources
inside modules, which the root's own `terraform test` cannot address."""

from __future__ import annotations

import json
import shutil

import pytest

import terraform_checks
from sp_reports.pipeline.report_storage import DATA_CLASS_TAG, RESTRICTED_DATA_CLASS

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

READER = "arn:aws:iam::123456789012:role/estate-report-readers"
CALLER = "arn:aws:iam::123456789012:role/estate/api-caller"
INVOKE_ROLE = "arn:aws:iam::123456789012:role/bounds-test-us-east-1-api-invoke"


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
            "notification_subscription_endpoints": ["*@example.com"],
        }
    )


@pytest.fixture(scope="module")
def readers_plan() -> dict:
    return terraform_checks.mock_plan_json(
        variables={
            "name_prefix": "bounds-test",
            "report_reader_principal_arns": [READER],
            "api_invoke_principal_arns": [CALLER],
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
    # The tag the report storer sets on restricted documents (sp_reports.pipeline.report_storage).
    assert restricted["filter"][0]["tag"] == [{"key": DATA_CLASS_TAG, "value": RESTRICTED_DATA_CLASS}]
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


def _bucket_policy(plan: dict) -> dict:
    return json.loads(_planned(plan, "module.storage.aws_s3_bucket_policy.reports")["policy"])


def _role_arn(plan: dict, name: str) -> str:
    (role,) = [
        r["change"]["after"]
        for r in plan["resource_changes"]
        if r["type"] == "aws_iam_role" and r["change"]["after"]["name"] == name
    ]
    return f"arn:aws:iam::123456789012:role{role['path']}{role['name']}"


def test_object_reads_are_denied_to_all_but_the_storer_the_converter_and_the_link_signer(default_plan):
    (deny,) = [
        s
        for s in _bucket_policy(default_plan)["Statement"]
        if s["Sid"] == "DenyObjectReadsToAllButTheReportReaders"
    ]

    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:GetObject*")
    assert sorted(deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == sorted(
        [
            _role_arn(default_plan, "bounds-test-us-east-1-report-storer"),
            _role_arn(default_plan, "bounds-test-us-east-1-report-converter"),
            _role_arn(default_plan, "bounds-test-us-east-1-download-link-signer"),
        ]
    )


def test_the_estates_report_readers_join_the_stacks_own(readers_plan):
    (deny,) = [
        s
        for s in _bucket_policy(readers_plan)["Statement"]
        if s["Sid"] == "DenyObjectReadsToAllButTheReportReaders"
    ]

    assert READER in deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    assert len(deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == 4


def _api_policy(plan: dict) -> dict:
    return json.loads(_planned(plan, "module.api.aws_api_gateway_rest_api_policy.this[0]")["policy"])


def test_only_the_invoke_role_may_invoke_the_api_every_other_principal_is_denied(default_plan):
    statements = {s["Sid"]: s for s in _api_policy(default_plan)["Statement"]}

    assert statements["InvokePrincipalsMayInvoke"]["Principal"] == {"AWS": [INVOKE_ROLE]}
    deny = statements["DenyEveryOtherPrincipal"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "execute-api:Invoke")
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [INVOKE_ROLE]}}
    # The role the policy names is the invoke role the stack creates.
    assert _role_arn(default_plan, "bounds-test-us-east-1-api-invoke") == INVOKE_ROLE


def test_the_configured_invoke_principals_join_the_invoke_role_and_the_api_is_redeployed(
    default_plan, readers_plan
):
    deny = {s["Sid"]: s for s in _api_policy(readers_plan)["Statement"]}["DenyEveryOtherPrincipal"]

    assert deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [INVOKE_ROLE, CALLER]
    # A changed resource policy takes effect with the next deployment.
    trigger = "module.api.aws_api_gateway_deployment.this"
    assert (
        _planned(default_plan, trigger)["triggers"]["resource_policy"]
        != _planned(readers_plan, trigger)["triggers"]["resource_policy"]
    )


def test_the_notifications_topic_takes_email_subscriptions_from_the_accounts_principals_only(default_plan):
    policy = json.loads(_planned(default_plan, "module.state_machine.aws_sns_topic_policy.this")["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}

    protocols = statements["SubscribeOnlyWithTheAllowedProtocols"]
    assert (protocols["Effect"], protocols["Action"]) == ("Deny", "sns:Subscribe")
    assert protocols["Condition"] == {"StringNotEquals": {"sns:Protocol": ["email"]}}
    principals = statements["OnlyTheStacksPrincipalsSubscribe"]
    assert principals["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": ["123456789012"]}}
    assert "SubscribeOnlyTheAllowedEndpoints" not in statements  # any endpoint of the allowed protocols


def test_the_root_endpoint_patterns_limit_the_topics_subscriptions(configured_plan):
    policy = json.loads(_planned(configured_plan, "module.state_machine.aws_sns_topic_policy.this")["policy"])
    endpoints = {s["Sid"]: s for s in policy["Statement"]}["SubscribeOnlyTheAllowedEndpoints"]

    assert [endpoints[key] for key in ("Effect", "Principal", "Action")] == ["Deny", "*", "sns:Subscribe"]
    assert endpoints["Condition"] == {"StringNotLike": {"sns:Endpoint": ["*@example.com"]}}
