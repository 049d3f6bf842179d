"""The functions' execution roles, read from the root's mocked plan: each function's module creates its own
role from the root's function map (module tests cannot read a nested module's resources, so this is where the
roles' contents are held), and terraform/moved.tf carries every address the roles had before."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import terraform_checks
from sp_reports.pipeline.seller_erasure import seller_object_prefixes
from sp_reports_harness.local_aws.iam.policy_evaluation import (
    AuthorizationRequest,
    PolicyOutcome,
    Principal,
    evaluate_policy,
)

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

FUNCTIONS = {
    "token_storage": "api",
    "notifications_subscriber": "api",
    "report_creator": "api",
    "report_status": "api",
    "notifications_processor": "queue",
    "report_storer": "state_machine",
    "report_converter": "state_machine",
    "report_notifier": "state_machine",
    "report_sweeper": "standalone",
    "seller_eraser": "api",
    "pull_planner": "standalone",
    "plans_api": "api",
}
# Functions whose roles the security module created before issue 11 (terraform/moved.tf moves them).
MOVED_FUNCTIONS = [
    f
    for f in FUNCTIONS
    if f not in ("report_sweeper", "seller_eraser", "pull_planner", "plans_api", "report_converter")
]
PREFIX = "acme-test"
# IAM names carry the region by default (iam_name_prefix null: <name_prefix>-<region>), the mocks' us-east-1.
IAM_PREFIX = f"{PREFIX}-us-east-1"


def _module_of(function: str) -> str:
    """Where the function's lambda_function module sits in the root."""
    if FUNCTIONS[function] == "queue":
        return "module.queue.module.processor"
    if FUNCTIONS[function] == "standalone":
        return f'module.standalone_function["{function}"]'
    return f'module.{FUNCTIONS[function]}.module.function["{function}"]'


@pytest.fixture(scope="module")
def plan() -> dict:
    return terraform_checks.mock_plan_json(variables={"name_prefix": PREFIX})


def _after(plan: dict, address: str) -> dict:
    (after,) = [r["change"]["after"] for r in plan["resource_changes"] if r["address"] == address]
    return after


@pytest.fixture(scope="module")
def access(plan) -> dict[str, list[dict]]:
    """function -> statements of its role's access policy."""
    return {
        f: json.loads(_after(plan, f"{_module_of(f)}.aws_iam_role_policy.this[0]")["policy"])["Statement"]
        for f in FUNCTIONS
    }


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _granted(access: dict[str, list[dict]], action: str) -> dict[str, list[dict]]:
    return {
        f: [s for s in statements if action in _as_list(s["Action"])]
        for f, statements in access.items()
        if any(action in _as_list(s["Action"]) for s in statements)
    }


def test_every_function_runs_as_a_role_of_its_own_named_like_it_and_assumed_by_lambda_only(plan):
    for function in FUNCTIONS:
        role = _after(plan, f"{_module_of(function)}.aws_iam_role.this[0]")
        name = f"{IAM_PREFIX}-{function.replace('_', '-')}"
        assert role["name"] == name
        assert _after(plan, f"{_module_of(function)}.aws_iam_role_policy.this[0]")["name"] == f"{name}-access"
        trust = json.loads(role["assume_role_policy"])["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]


def test_access_policies_grant_no_wildcard_action_and_no_resource_star(access):
    for function, statements in access.items():
        for statement in statements:
            assert not any("*" in a for a in _as_list(statement["Action"])), function
            assert "*" not in _as_list(statement["Resource"]), function  # logs and X-Ray: lambda_function


def test_each_sensitive_action_belongs_to_the_one_function_that_needs_it(access):
    def direct(statement):  # the data key is used through services only (kms:ViaService)
        return "kms:ViaService" not in json.dumps(statement.get("Condition", {}))

    encrypt = {f for f, ss in _granted(access, "kms:Encrypt").items() if any(direct(s) for s in ss)}
    decrypt = {f for f, ss in _granted(access, "kms:Decrypt").items() if any(direct(s) for s in ss)}
    assert encrypt == {"token_storage"}
    assert decrypt == {
        "notifications_subscriber",
        "report_creator",
        "report_storer",
        "report_sweeper",
        "seller_eraser",
        "pull_planner",
    }
    # The processor, the sweep and the planner (a discover plan's reports) start a report's workflow, under
    # the same execution name.
    starters = {"notifications_processor", "report_sweeper", "pull_planner"}
    assert set(_granted(access, "states:StartExecution")) == starters
    executions = [f"arn:aws:states:us-east-1:123456789012:execution:{PREFIX}-report-workflow:*"]
    assert {
        f: [s["Resource"] for s in ss] for f, ss in _granted(access, "states:DescribeExecution").items()
    } == dict.fromkeys(starters, executions)
    # The sweep lists the sellers with a token; the eraser finds one seller's items; the plans API lists
    # every plan through the seller index (without tenant isolation).
    assert set(_granted(access, "dynamodb:Scan")) == {"report_sweeper", "seller_eraser", "plans_api"}
    assert [
        s["Resource"].rsplit("/index/", 1)[1] for s in _granted(access, "dynamodb:Scan")["plans_api"]
    ] == ["seller"]
    # Deleting in batches: only the eraser, for a seller's pull plans and their ledgers.
    assert set(_granted(access, "dynamodb:BatchWriteItem")) == {"seller_eraser"}
    assert set(_granted(access, "s3:DeleteObjectVersion")) == {"seller_eraser"}
    assert set(_granted(access, "s3:DeleteObject")) == {"seller_eraser", "report_converter"}
    assert set(_granted(access, "s3:ListBucketVersions")) == {"seller_eraser"}
    assert set(_granted(access, "s3:PutObject")) == {"report_storer", "pull_planner", "report_converter"}
    # The planner writes only plan windows' copies and manifests (a report finished before its record named
    # its window is placed by the planner: src/sp_reports/pipeline/pull_planner.py).
    assert [s["Resource"] for s in _granted(access, "s3:PutObject")["pull_planner"]] == [
        "arn:aws:s3:::mock-bucket/plans/*"
    ]
    assert set(_granted(access, "sns:Publish")) == {"report_notifier"}
    assert set(_granted(access, "sns:ListSubscriptionsByTopic")) == {"report_notifier"}
    # The link signer: GET /reports/{reportId}'s links; emails carry none by default (email_download_links).
    assert set(_granted(access, "sts:AssumeRole")) == {"report_status"}


def test_the_processor_consumes_the_queue_first_then_does_what_the_root_map_says(plan, access):
    queue_arn = _after(plan, "module.queue.aws_sqs_queue.this").get("arn")
    consume = access["notifications_processor"][0]
    assert consume["Sid"] == "ConsumeNotificationQueue"
    assert consume["Resource"] == queue_arn or queue_arn is None  # the mocked queue ARN, when planned
    assert [s["Sid"] for s in access["notifications_processor"][1:]] == [
        "TrackReportRecords",
        "EraseDeauthorizedSellersTokens",
        "StopDeauthorizedSellersSweep",
        "StartReportWorkflow",
        "FindReportWorkflowExecutions",
        "BindConfirmedSellerTokens",
        "UseDataKeyOnlyThroughItsServices",
    ]
    # Binding a seller's token touches its Bound flag only: no other attribute, nothing returned, no KMS.
    (bind,) = [s for s in access["notifications_processor"] if s["Sid"] == "BindConfirmedSellerTokens"]
    assert bind["Action"] == "dynamodb:UpdateItem"
    assert set(bind["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]) == {
        "SellerId",
        "Bound",
        "BoundAt",
        "EncryptedRefreshToken",
        "UpdatedAt",
    }
    assert bind["Condition"]["StringEqualsIfExists"]["dynamodb:ReturnValues"] == ["NONE"]


def test_the_sweeper_reads_tokens_tracks_records_and_starts_workflows_and_nothing_else(access):
    assert [s["Sid"] for s in access["report_sweeper"]] == [
        "ListSellersWithTokens",
        "ReadEncryptedRefreshTokens",
        "DecryptRefreshTokensWithSellerContext",
        "ReadLwaAppCredentials",
        "TrackReportRecordsAndSweepState",
        "StartReportWorkflow",
        "FindReportWorkflowExecutions",
        "UseDataKeyOnlyThroughItsServices",
    ]
    actions = {a for s in access["report_sweeper"] for a in _as_list(s["Action"])}
    assert {a.split(":")[0] for a in actions} == {"dynamodb", "kms", "secretsmanager", "states"}
    assert not {"dynamodb:DeleteItem", "kms:Encrypt", "states:StopExecution"} & actions


def test_the_report_creator_writes_the_sweeps_seller_items_only(access):
    (note,) = [s for s in access["report_creator"] if s["Sid"] == "NoteRequestedReportTypesForTheSweep"]
    assert note["Action"] == "dynamodb:UpdateItem"
    assert note["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["sweep-seller#*"]}}


def test_the_report_creator_takes_the_report_type_cooldown_items_only(access):
    (take,) = [s for s in access["report_creator"] if s["Sid"] == "TakeReportTypeCooldowns"]
    assert take["Action"] == "dynamodb:UpdateItem"
    assert take["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["report-cooldown#*"]}}


def test_the_eraser_lists_versions_under_the_sellers_prefixes_only_never_the_whole_bucket(access):
    (listing,) = [s for s in access["seller_eraser"] if s["Sid"] == "ListSellerObjectVersions"]
    bucket = listing["Resource"]
    principal = Principal(
        arn=f"arn:aws:iam::123456789012:role/{IAM_PREFIX}-seller-eraser", account_id="123456789012"
    )

    def allowed(prefix: str | None) -> bool:
        context = {} if prefix is None else {"s3:prefix": prefix}
        request = AuthorizationRequest("s3:ListBucketVersions", bucket, principal, context)
        answer = evaluate_policy({"Version": "2012-10-17", "Statement": [listing]}, request)
        return answer.outcome is PolicyOutcome.ALLOW

    assert all(allowed(prefix) for prefix in seller_object_prefixes("A1SELLER00000X"))
    assert not allowed(None)  # a listing of the whole bucket
    assert not allowed("A1SELLER00000X/GET_")  # a partial key name


def test_key_and_trust_policies_name_the_roles_the_statements_say(plan):
    role = "arn:aws:iam::123456789012:role/" + IAM_PREFIX + "-{}"
    key_policy = json.loads(_after(plan, "module.security.aws_kms_key_policy.tokens[0]")["policy"])
    principals = {
        action: sorted(
            p
            for s in key_policy["Statement"]
            if action in _as_list(s["Action"])
            for p in _as_list(s["Principal"]["AWS"])
        )
        for action in ("kms:Encrypt", "kms:Decrypt")
    }
    assert principals == {
        "kms:Encrypt": [role.format("token-storage")],
        "kms:Decrypt": sorted(
            role.format(f)
            for f in (
                "notifications-subscriber",
                "report-creator",
                "report-storer",
                "report-sweeper",
                "seller-eraser",
                "pull-planner",
            )
        ),
    }
    signer = json.loads(
        _after(plan, "module.security.aws_iam_role.download_link_signer")["assume_role_policy"]
    )
    assert signer["Statement"][0]["Principal"]["AWS"] == [role.format("report-status")]


@pytest.fixture(scope="module")
def plan_with_options() -> dict:
    return terraform_checks.mock_plan_json(
        variables={"name_prefix": PREFIX, "email_download_links": True, "tenant_isolation": True}
    )


def test_with_emailed_links_the_notifier_and_only_it_besides_the_status_function_assumes_the_signer(
    plan_with_options,
):
    role = "arn:aws:iam::123456789012:role/" + IAM_PREFIX + "-{}"
    signer = json.loads(
        _after(plan_with_options, "module.security.aws_iam_role.download_link_signer")["assume_role_policy"]
    )
    assert sorted(signer["Statement"][0]["Principal"]["AWS"]) == [
        role.format("report-notifier"),
        role.format("report-status"),
    ]
    notifier = json.loads(
        _after(plan_with_options, f"{_module_of('report_notifier')}.aws_iam_role_policy.this[0]")["policy"]
    )["Statement"]
    (assume,) = [s for s in notifier if s["Action"] == "sts:AssumeRole"]
    assert assume["Resource"] == role.format("download-link-signer")


def test_with_tenant_isolation_each_api_role_reads_one_tenant_map_item_at_a_time(plan_with_options):
    (table,) = [
        r["change"]["after"]
        for r in plan_with_options["resource_changes"]
        if r["address"] == "module.storage.aws_dynamodb_table.tenants[0]"
    ]
    for function, group in FUNCTIONS.items():
        statements = json.loads(
            _after(plan_with_options, f"{_module_of(function)}.aws_iam_role_policy.this[0]")["policy"]
        )["Statement"]
        reads = [s for s in statements if s["Sid"] == "ReadTenantMap"]
        if group == "api":
            assert reads == [
                {
                    "Sid": "ReadTenantMap",
                    "Effect": "Allow",
                    "Action": "dynamodb:GetItem",
                    "Resource": reads[0]["Resource"],
                }
            ]
            assert reads[0]["Resource"] == table["arn"]
        else:
            assert reads == []


MOVED = re.compile(r"moved\s*\{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}")


def test_every_old_role_address_moves_to_the_role_its_function_now_creates(plan):
    moved = dict(MOVED.findall((terraform_checks.TERRAFORM_DIR / "moved.tf").read_text()))
    expected = {}
    for function in MOVED_FUNCTIONS:
        for resource in ("aws_iam_role", "aws_iam_role_policy"):
            expected[f'module.security.{resource}.lambda["{function}"]'] = (
                f"{_module_of(function)}.{resource}.this[0]"
            )
    assert moved == expected
    planned = {r["address"] for r in plan["resource_changes"]}
    assert (
        set(moved.values()) <= planned
    )  # every target exists, so nothing is planned to be destroyed instead


def test_a_stack_deployed_before_plans_moves_of_its_roles_and_destroys_nothing():
    """The old addresses applied (mocked) into a state, then the root planned on it: each role and policy is
    the one at its old address, moved (and updated in place where the stand-in's contents differ). Those roles
    are named <name_prefix>-<function>: iam_name_prefix = name_prefix keeps the names, and nothing is
    replaced."""
    fixture = terraform_checks.REPO_ROOT / "tests/terraform/fixtures/roles_before_issue_11"
    plan = terraform_checks.mock_plan_json(
        variables={"name_prefix": PREFIX, "iam_name_prefix": PREFIX}, prior_config=fixture
    )

    changes = plan["resource_changes"]
    assert not [r["address"] for r in changes if "delete" in r["change"]["actions"]]
    moved = {r["previous_address"]: r["address"] for r in changes if r.get("previous_address")}
    assert moved == {
        f'module.security.{resource}.lambda["{function}"]': f"{_module_of(function)}.{resource}.this[0]"
        for function in MOVED_FUNCTIONS
        for resource in ("aws_iam_role", "aws_iam_role_policy")
    }


def test_the_plans_api_reaches_plan_partitions_the_seller_index_and_tokens_existence_only(plan, access):
    statements = {s["Sid"]: s for s in access["plans_api"]}
    assert list(statements) == [
        "ManagePullPlansAndReadTheirLedger",
        "ListPullPlans",
        "ReadReportConversions",
        "CheckSellersHaveTokens",
        "UseDataKeyOnlyThroughItsServices",
    ]
    manage = statements["ManagePullPlansAndReadTheirLedger"]
    assert manage["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["plan#*"]}}
    plans_table = _after(plan, "module.storage.aws_dynamodb_table.pull_plans")
    assert plans_table["name"] == f"{PREFIX}-pull-plans"
    assert manage["Resource"] == plans_table.get("arn", manage["Resource"])  # the mocked ARN, when planned
    assert statements["ListPullPlans"]["Resource"] == f"{manage['Resource']}/index/seller"
    conversions = statements["ReadReportConversions"]
    assert conversions["Action"] == "dynamodb:BatchGetItem"
    assert conversions["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"] == [
        "ReportId",
        "Conversion",
    ]
    tokens = statements["CheckSellersHaveTokens"]
    assert tokens["Action"] == "dynamodb:GetItem"
    assert tokens["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"] == [
        "SellerId",
        "KmsKeyId",
        "UpdatedAt",
    ]
    assert not any(a.startswith(("kms:Decrypt", "secretsmanager:")) for s in access["plans_api"][:-1]
                   for a in _as_list(s["Action"]))  # fmt: skip


def test_the_report_converter_reads_stored_reports_and_writes_curated_files_only(access):
    """The converter reads the stored reports (not error documents or plan copies), writes and deletes its
    staging objects, publishes under curated/ (reading there only the window version a held file names, never
    deleting), and records the outcome."""
    by_sid = {s["Sid"]: s for s in access["report_converter"]}
    assert list(by_sid) == [
        "RecordReportConversions",
        "ReadStoredReportDocuments",
        "WriteStagedParquetFiles",
        "PublishCuratedParquetFiles",
        "UseDataKeyOnlyThroughItsServices",
    ]
    bucket = "arn:aws:s3:::mock-bucket"
    assert by_sid["ReadStoredReportDocuments"]["Resource"] == f"{bucket}/*/report.*"
    assert set(by_sid["ReadStoredReportDocuments"]["Action"]) == {"s3:GetObject", "s3:GetObjectTagging"}
    assert by_sid["WriteStagedParquetFiles"]["Resource"] == f"{bucket}/curated-staging/*"
    assert by_sid["PublishCuratedParquetFiles"]["Resource"] == f"{bucket}/curated/*"
    assert set(by_sid["PublishCuratedParquetFiles"]["Action"]) == {
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:GetObject",
    }
    assert set(by_sid["RecordReportConversions"]["Action"]) == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    data_key = by_sid["UseDataKeyOnlyThroughItsServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert sorted(data_key) == ["dynamodb.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]
