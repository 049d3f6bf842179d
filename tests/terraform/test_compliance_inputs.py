"""The root's compliance inputs (terraform/variables.tf, end) where they take effect: on resources inside the
modules, which the root's own `terraform test` cannot address (its assertions see module outputs, not module
resources; terraform/tests/compliance.tftest.hcl holds what the root shows and the refusals). Read from the
root's mocked plan, as a platform team's `terraform plan` would show them."""

from __future__ import annotations

import json
import shutil

import pytest

import terraform_checks

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

PREFIX = "compliance-test"
ACCOUNT = "123456789012"  # the mocked account (terraform/tests/mocks)
WEB_ACL = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/estate-api/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
TERRAFORM_USER = f"arn:aws:iam::{ACCOUNT}:user/terraform"  # the mocked caller
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
DATA_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TOKENS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
KMS_RESOURCE_TYPES = {"aws_kms_key", "aws_kms_key_policy", "aws_kms_alias"}


def _after(plan: dict) -> dict[str, dict]:
    return {r["address"]: r["change"]["after"] for r in plan["resource_changes"]}


@pytest.fixture(scope="module")
def default_plan() -> dict[str, dict]:
    return _after(terraform_checks.mock_plan_json(variables={"name_prefix": PREFIX}))


@pytest.fixture(scope="module")
def compliant_plan() -> dict[str, dict]:
    return _after(
        terraform_checks.mock_plan_json(
            variables={
                "name_prefix": PREFIX,
                "api_waf_web_acl_arn": WEB_ACL,
                "api_execution_logging_level": "ERROR",
                "s3_access_log_bucket": "estate-s3-access-logs",
                "s3_access_log_prefix": "s3-access/",
                "dynamodb_point_in_time_recovery": False,
                "kms_key_administrator_arns": [TERRAFORM_USER, BREAK_GLASS],
                "kms_deletion_window_days": 7,
            }
        )
    )


@pytest.fixture(scope="module")
def brought_keys_plan() -> dict:
    return terraform_checks.mock_plan_json(
        variables={
            "name_prefix": PREFIX,
            "existing_data_kms_key_arn": DATA_KEY,
            "existing_tokens_kms_key_arn": TOKENS_KEY,
        }
    )


def _kms_attributes(value: object, path: str = "") -> list[tuple[str, object]]:
    """Every attribute whose name says it holds a KMS key (kms_key_arn, kms_key_id, kms_master_key_id), nested
    blocks included."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                key.startswith("kms_")
                and key.endswith(("_arn", "_id"))
                and key != "kms_data_key_reuse_period_seconds"
            ):
                found.append((f"{path}.{key}", item))
            found.extend(_kms_attributes(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for item in value:
            found.extend(_kms_attributes(item, path))
    return found


def test_by_default_no_web_acl_no_execution_logs_no_access_logs_and_recovery_on(default_plan):
    assert "module.api.aws_wafv2_web_acl_association.this[0]" not in default_plan
    assert (
        default_plan["module.api.aws_api_gateway_method_settings.all"]["settings"][0]["logging_level"]
        == "OFF"
    )
    assert not [
        address
        for address in default_plan
        if ".aws_s3_bucket_logging." in address or address.startswith("aws_s3_bucket_logging.")
    ]
    for table in ("tokens", "reports"):
        assert (
            default_plan[f"module.storage.aws_dynamodb_table.{table}"]["point_in_time_recovery"][0]["enabled"]
            is True
        )
    assert default_plan["module.security.aws_kms_key.data[0]"]["deletion_window_in_days"] == 30


def test_the_web_acl_is_associated_with_the_apis_stage(compliant_plan):
    association = compliant_plan["module.api.aws_wafv2_web_acl_association.this[0]"]

    assert association["web_acl_arn"] == WEB_ACL


def test_the_execution_logging_level_reaches_every_method_and_data_trace_stays_off(compliant_plan):
    method_settings = compliant_plan["module.api.aws_api_gateway_method_settings.all"]

    assert method_settings["method_path"] == "*/*"
    assert method_settings["settings"][0]["logging_level"] == "ERROR"
    assert method_settings["settings"][0]["data_trace_enabled"] is False


def test_both_buckets_log_to_the_estates_bucket_each_under_its_own_name(compliant_plan):
    reports = compliant_plan["module.storage.aws_s3_bucket_logging.reports[0]"]
    artifacts = compliant_plan["aws_s3_bucket_logging.artifacts[0]"]
    reports_bucket = compliant_plan["module.storage.aws_s3_bucket.reports"]["bucket"]
    artifacts_bucket = compliant_plan["aws_s3_bucket.artifacts[0]"]["bucket"]

    assert (reports["target_bucket"], reports["target_prefix"]) == (
        "estate-s3-access-logs",
        f"s3-access/{reports_bucket}/",
    )
    assert (artifacts["target_bucket"], artifacts["target_prefix"]) == (
        "estate-s3-access-logs",
        f"s3-access/{artifacts_bucket}/",
    )


def test_point_in_time_recovery_can_be_turned_off_on_both_tables(compliant_plan):
    for table in ("tokens", "reports"):
        assert (
            compliant_plan[f"module.storage.aws_dynamodb_table.{table}"]["point_in_time_recovery"][0][
                "enabled"
            ]
            is False
        )


def test_named_administrators_alone_may_rewrite_or_delete_either_key(compliant_plan):
    policies = {
        "data": json.loads(compliant_plan["module.security.aws_kms_key.data[0]"]["policy"]),
        "tokens": json.loads(compliant_plan["module.security.aws_kms_key_policy.tokens[0]"]["policy"]),
    }
    for key, policy in policies.items():
        administering = [
            s
            for s in policy["Statement"]
            if {"kms:*", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"}
            & set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        ]
        assert administering, key
        for statement in administering:
            principals = statement["Principal"]["AWS"]
            assert set(principals if isinstance(principals, list) else [principals]) == {
                TERRAFORM_USER,
                BREAK_GLASS,
            }, key

    assert compliant_plan["module.security.aws_kms_key.data[0]"]["deletion_window_in_days"] == 7
    assert compliant_plan["module.security.aws_kms_key.tokens[0]"]["deletion_window_in_days"] == 7


def test_administrators_that_would_lock_terraform_out_are_refused_at_plan():
    # The default plan succeeds (default_plan): the administrators are what fails this one.
    with pytest.raises(RuntimeError, match="Resource precondition failed"):
        terraform_checks.mock_plan_json(
            variables={"name_prefix": PREFIX, "kms_key_administrator_arns": [BREAK_GLASS]}
        )


def test_brought_keys_replace_ours_everywhere(brought_keys_plan):
    after = _after(brought_keys_plan)

    assert not [
        r["address"] for r in brought_keys_plan["resource_changes"] if r["type"] in KMS_RESOURCE_TYPES
    ]
    kms_attributes = [
        (address, *attribute) for address, values in after.items() for attribute in _kms_attributes(values)
    ]
    used = [(address, attribute, value) for address, attribute, value in kms_attributes if value is not None]
    # Tables, buckets, zips, queues, topic, secret, log groups and every function's environment.
    assert len(used) >= 20
    assert {value for _, _, value in used} == {DATA_KEY}, used
    # Left unset on purpose: the mapping has no filter criteria to encrypt, and the sweep's and the planner's
    # schedules hold no data (an AWS owned key; modules/function_schedule).
    assert {address for address, _, value in kms_attributes if value is None} <= {
        "module.queue.aws_lambda_event_source_mapping.processor",
        "module.sweep_schedule.aws_scheduler_schedule.this",
        "module.pull_planner_schedule.aws_scheduler_schedule.this",
    }


def test_brought_tokens_key_is_what_the_token_functions_use(brought_keys_plan):
    after = _after(brought_keys_plan)
    token_storage = after['module.api.module.function["token_storage"].aws_lambda_function.this']
    statements = [
        statement
        for address, values in after.items()
        if ".aws_iam_role_policy.this" in address and values.get("policy")
        for statement in json.loads(values["policy"])["Statement"]
        if statement["Sid"]
        in ("EncryptRefreshTokensWithSellerContext", "DecryptRefreshTokensWithSellerContext")
    ]

    assert token_storage["environment"][0]["variables"]["TOKENS_KMS_KEY_ID"] == TOKENS_KEY
    assert len(statements) >= 5  # token storage encrypts; four functions decrypt
    assert {statement["Resource"] for statement in statements} == {TOKENS_KEY}


def test_the_statements_a_key_owner_adds_are_the_ones_our_own_keys_carry(brought_keys_plan, compliant_plan):
    required = json.loads(
        brought_keys_plan["output_changes"]["kms_key_policy_statements_required"]["after"]["data"]
    )
    ours = json.loads(compliant_plan["module.security.aws_kms_key.data[0]"]["policy"])["Statement"]

    # Same stack prefix and account: the statements must be the very ones in our own data key's policy.
    assert required
    assert all(statement in ours for statement in required)
    assert not [s for s in required if s["Sid"] == "AdministerKeyWithoutCryptographicUse"]


def test_a_stack_deployed_with_single_keys_keeps_them():
    """The keys at their addresses before they were counted, applied (mocked) into a state, then the root
    planned on it: each key, alias and key policy moves to index 0, and no key is destroyed (which would
    schedule the deletion of the key the stack's data is encrypted under)."""
    fixture = terraform_checks.REPO_ROOT / "tests/terraform/fixtures/keys_before_counted"
    plan = terraform_checks.mock_plan_json(variables={"name_prefix": PREFIX}, prior_config=fixture)

    changes = plan["resource_changes"]
    assert not [r["address"] for r in changes if "delete" in r["change"]["actions"]]
    moved = {r["previous_address"]: r["address"] for r in changes if r.get("previous_address")}
    assert moved == {
        f"module.security.{address}": f"module.security.{address}[0]"
        for address in (
            "aws_kms_key.data",
            "aws_kms_alias.data",
            "aws_kms_key.tokens",
            "aws_kms_key_policy.tokens",
            "aws_kms_alias.tokens",
        )
    }
