"""Root variables that only matter once they reach a resource inside a module: what the root's own
`terraform test` cannot address (assertions see module outputs, not module resources), read from the mocked
plan instead."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import terraform_checks

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")


def _planned(plan: dict, address: str) -> dict:
    (after,) = [r["change"]["after"] for r in plan["resource_changes"] if r["address"] == address]
    return after


def test_processor_maximum_concurrency_caps_the_sqs_event_source_mapping():
    plan = terraform_checks.mock_plan_json(
        variables={"name_prefix": "wiring-test", "processor_maximum_concurrency": 7}
    )

    mapping = _planned(plan, "module.queue.aws_lambda_event_source_mapping.processor")

    assert mapping["scaling_config"] == [{"maximum_concurrency": 7}]


def test_by_default_the_processor_is_capped_at_ten_concurrent_invocations():
    """Without a cap the mapping scales the processor to the account's unreserved concurrency (Lambda
    Developer Guide, "Configuring maximum concurrency for Amazon SQS event sources":
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html)."""
    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "wiring-test"})

    mapping = _planned(plan, "module.queue.aws_lambda_event_source_mapping.processor")

    assert mapping["scaling_config"] == [{"maximum_concurrency": 10}]


def _graph() -> str:
    """`terraform graph` of the root: resource dependencies as DOT (offline: no state, no credentials)."""
    env = terraform_checks.terraform_env()
    root = terraform_checks.TERRAFORM_DIR
    with terraform_checks.module_dir_lock(root):
        if not (root / ".terraform").is_dir():
            init = terraform_checks.run_step("init", terraform_checks.INIT, root, env)
            assert init.ok, init.output
        graph = terraform_checks.run_step("graph", ["terraform", "graph"], root, env)
    assert graph.ok, graph.output
    return graph.output


def _dependencies(dot: str) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for source, target in re.findall(r'"([^"]+)" -> "([^"]+)"', dot):
        edges.setdefault(source, set()).add(target)
    return edges


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    pending = [start]
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def test_the_sqs_event_source_mapping_is_created_after_the_processor_role_policy():
    """depends_on is not in the plan; `terraform graph` (offline, no state) shows Terraform's create order.

    CreateEventSourceMapping checks the function's role may read the queue; without this edge the mapping
    and the role policy are created in parallel and only the provider's IAM retries make it work.
    """
    after = _reachable(_dependencies(_graph()), "module.queue.aws_lambda_event_source_mapping.processor")

    # The processor's own access policy, which holds its queue permissions.
    assert "module.queue.module.processor.aws_iam_role_policy.this" in after


ACCOUNT_SETTING_ADDRESSES = [
    "module.api.aws_api_gateway_account.this[0]",
    "module.api.aws_iam_role_policy_attachment.cloudwatch[0]",
    "module.api.aws_iam_role.cloudwatch[0]",
]


def test_the_default_plan_leaves_the_account_wide_api_gateway_setting_alone():
    """The API Gateway CloudWatch setting is one per account and region: the root neither sets it nor makes a
    role for it (terraform/tests/root.tftest.hcl proves the plan's check warns without the role's ARN)."""
    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "wiring-test"})

    types = {r["type"] for r in plan["resource_changes"]}
    assert "aws_api_gateway_account" not in types
    roles = [r["change"]["after"]["name"] for r in plan["resource_changes"] if r["type"] == "aws_iam_role"]
    assert not [name for name in roles if "api-gateway-cloudwatch" in name]


def test_a_stack_that_managed_the_account_setting_forgets_it_without_destroying_it():
    """A stack deployed with the former manage_api_gateway_cloudwatch_role = true: its next plan forgets the
    role and setting (removed blocks in moved.tf), so the account's APIs keep logging."""
    fixture = terraform_checks.REPO_ROOT / "tests/terraform/fixtures/api_gateway_account_in_the_stack"
    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "wiring-test"}, prior_config=fixture)

    actions = {r["address"]: r["change"]["actions"] for r in plan["resource_changes"]}
    assert {address: actions.get(address) for address in ACCOUNT_SETTING_ADDRESSES} == {
        address: ["forget"] for address in ACCOUNT_SETTING_ADDRESSES
    }
    assert not [address for address, action in actions.items() if "delete" in action]


def test_the_report_creator_updates_only_its_own_kinds_of_items_and_deletes_only_intents_and_budgets():
    """The key prefixes live in reports_pipeline (report_records' intents, sweep_state's seller items,
    report_cooldowns' items, report_budget's daily counts and their attributes) and in the IAM conditions."""
    from sp_reports.pipeline.report_budget import (
        BUDGET_KEY_PREFIX,
        CALLER_BUDGET_KEY_PREFIX,
        COUNT_ATTRIBUTE,
        EXPIRES_ATTRIBUTE,
    )
    from sp_reports.pipeline.report_cooldowns import COOLDOWN_KEY_PREFIX
    from sp_reports.pipeline.report_records import _INTENT_KEY_PREFIX
    from sp_reports.pipeline.sweep_state import _SELLER_KEY_PREFIX

    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "wiring-test"})
    address = 'module.api.module.function["report_creator"].aws_iam_role_policy.this[0]'
    statements = json.loads(_planned(plan, address)["policy"])["Statement"]

    def conditions(action: str) -> list:
        return [s["Condition"] for s in statements if action in _as_list(s["Action"])]

    intents = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{_INTENT_KEY_PREFIX}*"]}}
    sweep = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{_SELLER_KEY_PREFIX}*"]}}
    budget = {
        "ForAllValues:StringLike": {
            "dynamodb:LeadingKeys": [f"{BUDGET_KEY_PREFIX}*", f"{CALLER_BUDGET_KEY_PREFIX}*"]
        },
        "ForAllValues:StringEquals": {
            "dynamodb:Attributes": ["ReportId", COUNT_ATTRIBUTE, EXPIRES_ATTRIBUTE]
        },
        "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_NEW"]},
    }
    cooldowns = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{COOLDOWN_KEY_PREFIX}*"]}}
    assert conditions("dynamodb:UpdateItem") == [intents, sweep, cooldowns, budget]
    assert conditions("dynamodb:DeleteItem") == [intents, budget]


def test_the_report_creator_gets_the_seller_daily_report_budget():
    plan = terraform_checks.mock_plan_json(
        variables={"name_prefix": "wiring-test", "seller_daily_report_budget": 37}
    )
    address = 'module.api.module.function["report_creator"].aws_lambda_function.this'
    environment = _planned(plan, address)["environment"][0]["variables"]
    assert environment["SELLER_DAILY_REPORT_BUDGET"] == "37"


def test_the_report_creators_policy_allows_the_budgets_calls_on_its_items_and_attributes_only():
    """The report creator's planned policy, evaluated as IAM evaluates it
    (sp_reports_harness.local_aws.iam.policy_evaluation)
    with the condition keys DynamoDB sets for each call report_budget makes, and for calls it must not."""
    from sp_reports.pipeline.report_budget import BUDGET_KEY_PREFIX
    from sp_reports_harness.local_aws.iam.policy_evaluation import (
        AuthorizationRequest,
        PolicyOutcome,
        Principal,
        evaluate_policy,
    )

    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "wiring-test"})
    address = 'module.api.module.function["report_creator"].aws_iam_role_policy.this[0]'
    policy = _planned(plan, address)["policy"]
    (spend,) = [s for s in json.loads(policy)["Statement"] if s["Sid"] == "SpendDailyReportBudgets"]
    table = spend["Resource"]
    caller = Principal(
        "arn:aws:sts::123456789012:assumed-role/report-creator/run-1",
        "123456789012",
        role_arn="arn:aws:iam::123456789012:role/report-creator",
    )
    budget_item = f"{BUDGET_KEY_PREFIX}A3TH9S8BH6GOGM#2024-05-02"

    def outcome(action: str, key: str, attributes: list[str], return_values: str | None = None) -> str:
        context: dict = {"dynamodb:LeadingKeys": [key], "dynamodb:Attributes": attributes}
        if return_values is not None:
            context["dynamodb:ReturnValues"] = return_values
        request = AuthorizationRequest(f"dynamodb:{action}", table, caller, context)
        result = evaluate_policy(policy, request)
        return result.outcome.name if result.outcome is not PolicyOutcome.ALLOW else result.statement

    spend_sid = '"SpendDailyReportBudgets"'
    # spend (ADD ReportCount, SET ExpiresAt), give back (ADD ReportCount, UPDATED_NEW), delete at zero
    assert outcome("UpdateItem", budget_item, ["ReportId", "ReportCount", "ExpiresAt"]) == spend_sid
    assert outcome("UpdateItem", budget_item, ["ReportId", "ReportCount"], "UPDATED_NEW") == spend_sid
    assert outcome("DeleteItem", budget_item, ["ReportId", "ReportCount"]) == spend_sid
    # anything else on those items, or those calls on other items, is not allowed
    assert outcome("UpdateItem", budget_item, ["ReportId", "ReportCount", "Status"]) == "NOT_APPLICABLE"
    assert outcome("UpdateItem", budget_item, ["ReportId", "ReportCount"], "ALL_NEW") == "NOT_APPLICABLE"
    assert outcome("UpdateItem", "50005192741", ["ReportId", "ReportCount"]) == "NOT_APPLICABLE"
    assert outcome("DeleteItem", "50005192741", ["ReportId", "ReportCount"]) == "NOT_APPLICABLE"


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def test_the_sweep_schedules_dlq_is_encrypted_with_the_data_key_and_alarms_to_the_topic():
    """An invocation EventBridge Scheduler could not deliver lands in the sweep's DLQ, under the stack's data
    key (whose policy honours the account's IAM policies: the schedule's role may use it through SQS), and
    its depth alarms to the notifications topic."""
    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "wiring-test"})

    key = _planned(plan, "module.security.aws_kms_key.data[0]")
    dlq = _planned(plan, "module.sweep_schedule.aws_sqs_queue.dlq")
    schedule = _planned(plan, "module.sweep_schedule.aws_scheduler_schedule.this")
    alarm = _planned(plan, "module.sweep_schedule.aws_cloudwatch_metric_alarm.dlq")
    role_policy = json.loads(_planned(plan, "module.sweep_schedule.aws_iam_role_policy.this")["policy"])

    assert dlq["name"] == "wiring-test-report-sweeper-dlq"
    assert dlq["kms_master_key_id"] == key["arn"]
    assert schedule["target"][0]["dead_letter_config"] == [
        {"arn": "arn:aws:sqs:us-east-1:123456789012:mock-queue"}
    ]
    assert alarm["dimensions"] == {"QueueName": "wiring-test-report-sweeper-dlq"}
    assert alarm["alarm_actions"] == [_planned(plan, "module.state_machine.aws_sns_topic.this")["arn"]]
    kms = [s for s in role_policy["Statement"] if s["Sid"] == "EncryptDeadLetterEventsThroughSqsOnly"]
    assert kms[0]["Resource"] == key["arn"]


def test_post_reports_is_throttled_by_its_own_root_inputs_and_the_rest_by_the_stages():
    plan = terraform_checks.mock_plan_json(
        variables={
            "name_prefix": "wiring-test",
            "api_throttling_rate_limit": 8,
            "api_throttling_burst_limit": 16,
            "api_reports_throttling_rate_limit": 0.25,
            "api_reports_throttling_burst_limit": 3,
        }
    )
    settings = {
        r["change"]["after"]["method_path"]: r["change"]["after"]["settings"][0]
        for r in plan["resource_changes"]
        if r["type"] == "aws_api_gateway_method_settings"
    }
    throttles = {
        path: (s["throttling_rate_limit"], s["throttling_burst_limit"]) for path, s in settings.items()
    }
    assert throttles == {"*/*": (8, 16), "reports/POST": (0.25, 3)}


def test_the_storers_default_document_limit_is_the_one_the_python_derives():
    """Terraform and sp_reports.pipeline.report_storage compute max_document_bytes from the same benchmark
    figure; the function falls back to the Python's when unset, so the two must agree."""
    from sp_reports.pipeline.report_storage import DEFAULT_MAX_DOCUMENT_BYTES, max_document_bytes_for

    plan = terraform_checks.mock_plan_json(
        variables={"name_prefix": "wiring-test", "lambda_memory_sizes": {"report_storer": 1024}}
    )
    address = 'module.state_machine.module.function["report_storer"].aws_lambda_function.this'
    environment = _planned(plan, address)["environment"][0]["variables"]
    assert environment["MAX_DOCUMENT_BYTES"] == str(max_document_bytes_for(300, 1024))
    assert max_document_bytes_for(300, 512) == DEFAULT_MAX_DOCUMENT_BYTES
