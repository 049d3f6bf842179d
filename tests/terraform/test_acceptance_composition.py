"""terraform/acceptance planned whole under the mocked aws provider: the stack reaches the SP-API emulator it
deploys beside it, and the emulator may notify the stack. The root module has no provider block of its own,
so module "sp_reports" takes the configuration's (mocked) provider and every resource of both is planned."""

from __future__ import annotations

import json
import shutil

import pytest

import terraform_checks

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

PREFIX = "spacc-0123abcd"
SPAPI_CALLERS = [
    "token_storage",
    "notifications_subscriber",
    "report_creator",
    "report_storer",
    "report_sweeper",
    "seller_eraser",
]
OTHERS = ["report_status", "notifications_processor", "report_converter", "report_notifier", "plans_api"]
FUNCTION_MODULES = {
    "token_storage": 'module.api.module.function["token_storage"]',
    "notifications_subscriber": 'module.api.module.function["notifications_subscriber"]',
    "report_creator": 'module.api.module.function["report_creator"]',
    "report_status": 'module.api.module.function["report_status"]',
    "notifications_processor": "module.queue.module.processor",
    "report_storer": 'module.state_machine.module.function["report_storer"]',
    "report_converter": 'module.state_machine.module.function["report_converter"]',
    "report_notifier": 'module.state_machine.module.function["report_notifier"]',
    "report_sweeper": 'module.standalone_function["report_sweeper"]',
    "seller_eraser": 'module.api.module.function["seller_eraser"]',
    "plans_api": 'module.api.module.function["plans_api"]',
}


@pytest.fixture(scope="module")
def plan() -> dict:
    return terraform_checks.mock_plan_json(
        terraform_checks.TERRAFORM_DIR / "acceptance",
        {
            "region": "us-east-1",
            "name_prefix": PREFIX,
            "lambda_package_dir": str(terraform_checks.write_test_packages()),
            # An account with no API Gateway CloudWatch role: the run sets its own (modules/account_settings).
            "account_cloudwatch_role_arn": "",
            "permissions_boundary_arn": "arn:aws:iam::123456789012:policy/sp-reports-acceptance-boundary",
        },
    )


def _after(plan: dict, address: str) -> dict:
    (after,) = [r["change"]["after"] for r in plan["resource_changes"] if r["address"] == address]
    return after


def _output(plan: dict, name: str) -> str:
    return plan["output_changes"][name]["after"]


def _environment(plan: dict, function: str) -> dict[str, str]:
    address = f"module.sp_reports.{FUNCTION_MODULES[function]}.aws_lambda_function.this"
    return _after(plan, address)["environment"][0]["variables"]


def _statements(plan: dict, function: str) -> list[dict] | None:
    """The function's own policy; None where the mocked plan leaves it unknown (the processor's and the
    sweeper's name resources whose mocked attributes are known only after apply; their statements are held by
    terraform/tests/test_inputs.tftest.hcl)."""
    address = f"module.sp_reports.{FUNCTION_MODULES[function]}.aws_iam_role_policy.this[0]"
    policy = _after(plan, address).get("policy")
    return None if policy is None else json.loads(policy)["Statement"]


def test_the_spapi_callers_call_the_emulator_url_signed_and_may_invoke_it(plan):
    url = _output(plan, "spapi_emulator_function_url").rstrip("/")
    emulator = _output(plan, "spapi_emulator_function_arn")
    checked = []

    for function in SPAPI_CALLERS:
        environment = _environment(plan, function)
        assert environment["SPAPI_ENDPOINT_URL"] == url, function
        assert environment["LWA_ENDPOINT_URL"] == f"{url}/auth/o2/token", function
        assert environment["SPAPI_ENDPOINT_AUTH"] == "aws_iam", function
        # A stand-in of SP-API is honoured only in a test deployment (src/sp_reports/spapi/regions.py).
        assert environment["SP_REPORTS_TEST_ENDPOINTS"] == "true", function
        statements = _statements(plan, function)
        if statements is None:
            continue
        checked.append(function)
        granted = {(json.dumps(s["Action"]), json.dumps(s["Resource"])) for s in statements}
        wanted = {
            (json.dumps(action), json.dumps(emulator))
            for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
        }
        assert wanted <= granted, function
    assert checked == [
        "token_storage",
        "notifications_subscriber",
        "report_creator",
        "report_storer",
        "seller_eraser",
    ]


def test_the_other_functions_get_no_access_to_the_emulator(plan):
    for function in OTHERS:
        assert "SPAPI_ENDPOINT_AUTH" not in _environment(plan, function), function
        statements = _statements(plan, function) or []
        actions = [
            a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        ]
        assert not any(a.startswith("lambda:") for a in actions), function


def test_the_emulators_role_may_send_to_the_queue_and_nothing_else_is_opened(plan):
    policy = json.loads(_after(plan, "module.sp_reports.module.queue.aws_sqs_queue.this")["policy"])
    (sender,) = [s for s in policy["Statement"] if s["Sid"] == "TestSendersSendNotifications"]

    assert sender["Principal"] == {"AWS": [_output(plan, "spapi_emulator_role_arn")]}
    assert sender["Principal"]["AWS"] == [f"arn:aws:iam::123456789012:role/{PREFIX}-spapi-emulator"]
    assert sender["Action"] == "sqs:SendMessage"


def test_the_stack_is_deployed_without_deletion_protection(plan):
    tokens = _after(plan, "module.sp_reports.module.storage.aws_dynamodb_table.tokens")

    assert tokens["deletion_protection_enabled"] is False
