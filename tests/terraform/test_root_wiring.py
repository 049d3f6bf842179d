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


def test_the_report_creator_updates_only_intent_and_sweep_items_and_deletes_only_intents():
    """The key prefixes live in reports_pipeline (report_records' intents, sweep_state's seller items) and in
    the IAM conditions."""
    from reports_pipeline.report_records import _INTENT_KEY_PREFIX
    from reports_pipeline.sweep_state import _SELLER_KEY_PREFIX

    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "wiring-test"})
    address = 'module.api.module.function["report_creator"].aws_iam_role_policy.this[0]'
    statements = json.loads(_planned(plan, address)["policy"])["Statement"]

    def conditions(action: str) -> list:
        return [s["Condition"] for s in statements if action in _as_list(s["Action"])]

    intents = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{_INTENT_KEY_PREFIX}*"]}}
    sweep = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{_SELLER_KEY_PREFIX}*"]}}
    assert conditions("dynamodb:UpdateItem") == [intents, sweep]
    assert conditions("dynamodb:DeleteItem") == [intents]


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
