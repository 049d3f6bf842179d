"""The examples a platform team copies (terraform/examples/complete, fleet, multiple-regions) call the root
module as their own module: with for_each, through a provider alias in a second region, and pinned like a
release. Each is planned whole with the mocked aws provider, and no two resources of an example may share a
name AWS requires to be unique: per account for IAM and S3 (IAM names are global to the account; S3 bucket
names to the partition), per account and region for the rest.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

import terraform_checks

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

EXAMPLES_DIR = terraform_checks.TERRAFORM_DIR / "examples"

# Example -> its aliased providers and the region each reports (the mocked default provider: us-east-1).
EXAMPLES = {
    "complete": {},
    "fleet": {},
    "multiple-regions": {"secondary": "eu-west-1"},
}
# The complete example deploys a release from S3 (its manifest served by the mocked provider); the others
# the stand-in zips of a local directory.
RELEASE_BUCKET = "acme-releases-us-east-1"
RELEASE_VERSION = "1.0.0"
# The account's API Gateway CloudWatch role, as an estate's baseline set it (one setting per region).
CLOUDWATCH_ROLE = "arn:aws:iam::123456789012:role/landing-zone/apigateway-cloudwatch-logs"
ACCOUNT_SETTINGS = {
    "complete": {"api_gateway_cloudwatch_role_arn": CLOUDWATCH_ROLE},
    "fleet": {"api_gateway_cloudwatch_role_arn": CLOUDWATCH_ROLE},
    "multiple-regions": {
        "primary_api_gateway_cloudwatch_role_arn": f"{CLOUDWATCH_ROLE}-us-east-1",
        "secondary_api_gateway_cloudwatch_role_arn": f"{CLOUDWATCH_ROLE}-eu-west-1",
    },
}

# The attribute holding each resource type's name, for names unique per account (IAM User Guide, "IAM object
# quotas and names": names are unique within the account; S3 User Guide, "General purpose bucket naming
# rules": bucket names are unique across the partition).
ACCOUNT_WIDE_NAMES = {
    "aws_iam_role": "name",
    "aws_iam_policy": "name",
    "aws_iam_user": "name",
    "aws_s3_bucket": "bucket",
}
# ... and for names unique per account and region.
REGIONAL_NAMES = {
    "aws_sqs_queue": "name",
    "aws_dynamodb_table": "name",
    "aws_sns_topic": "name",
    "aws_secretsmanager_secret": "name",
    "aws_cloudwatch_log_group": "name",
    "aws_kms_alias": "name",
    "aws_scheduler_schedule_group": "name",
    "aws_scheduler_schedule": "name",
    "aws_lambda_function": "function_name",
    "aws_sfn_state_machine": "name",
    "aws_cloudwatch_metric_alarm": "alarm_name",
    # Glue databases and Athena workgroups are named per account and region (AWS Glue API, CreateDatabase;
    # Athena API, CreateWorkGroup).
    "aws_glue_catalog_database": "name",
    "aws_athena_workgroup": "name",
}

_STACK = re.compile(r'^module\.([A-Za-z0-9_-]+)(?:\["([^"]+)"\])?\.')


@functools.cache  # one plan per example for the whole module: each takes seconds
def _plan(example: str, release_dir: str) -> dict:
    if example == "complete":
        manifest = terraform_checks.write_test_release(Path(release_dir), RELEASE_VERSION)
        variables = {"release_bucket": RELEASE_BUCKET, "release_version": RELEASE_VERSION}
        overrides = terraform_checks.release_manifest_override(
            "module.sp_reports.data.aws_s3_object.lambda_release_manifest", manifest
        )
    else:
        variables = {"lambda_package_dir": str(terraform_checks.write_test_packages())}
        overrides = ""
    return terraform_checks.mock_plan_json(
        EXAMPLES_DIR / example,
        {**variables, **ACCOUNT_SETTINGS[example]},
        provider_regions=EXAMPLES[example],
        overrides=overrides,
    )


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    release_dir = str(tmp_path_factory.mktemp("release"))
    return lambda example: _plan(example, release_dir)


def _named_resources(plan: dict) -> list[tuple[str, str, str, str]]:
    """(stack, region, resource type, name) of every named resource the plan creates."""
    stacks = plan["output_changes"]["stacks"]["after"]
    named = []
    for change in plan["resource_changes"]:
        kind = change["type"]
        attribute = ACCOUNT_WIDE_NAMES.get(kind) or REGIONAL_NAMES.get(kind)
        if change["mode"] != "managed" or attribute is None:
            continue
        module, key = _STACK.match(change["address"]).groups()
        stack = key or module
        name = change["change"]["after"][attribute]
        assert name, f"{change['address']}: {attribute} must be known at plan time to be checked"
        if kind == "aws_scheduler_schedule":
            name = f"{change['change']['after']['group_name']}/{name}"
        named.append((stack, stacks[stack]["region"], kind, name))
    return named


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_no_two_resources_of_an_example_share_a_name_aws_keeps_unique(plan, example):
    named = _named_resources(plan(example))

    account_wide = Counter((kind, name) for _, _, kind, name in named if kind in ACCOUNT_WIDE_NAMES)
    regional = Counter((region, kind, name) for _, region, kind, name in named if kind in REGIONAL_NAMES)

    assert [key for key, count in account_wide.items() if count > 1] == []
    assert [key for key, count in regional.items() if count > 1] == []
    # What a whole stack holds, so an example that planned less (or a type renamed) cannot pass unseen.
    kinds = {kind for _, _, kind, _ in named}
    assert {
        "aws_iam_role",
        "aws_s3_bucket",
        "aws_lambda_function",
        "aws_sqs_queue",
        "aws_glue_catalog_database",
        "aws_athena_workgroup",
    } <= kinds


def test_the_fleet_and_the_regions_each_plan_two_whole_stacks(plan):
    fleet = {stack for stack, _, _, _ in _named_resources(plan("fleet"))}
    regions = {(stack, region) for stack, region, _, _ in _named_resources(plan("multiple-regions"))}

    assert fleet == {"sp-reports-retail", "sp-reports-brands"}
    assert regions == {("primary", "us-east-1"), ("secondary", "eu-west-1")}


def test_the_complete_example_deploys_every_function_from_the_release(plan):
    functions = [c for c in plan("complete")["resource_changes"] if c["type"] == "aws_lambda_function"]

    assert functions
    for function in functions:
        after = function["change"]["after"]
        assert after["s3_bucket"] == RELEASE_BUCKET
        assert after["s3_key"].startswith(f"sp-reports/{RELEASE_VERSION}/")
