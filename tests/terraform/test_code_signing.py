"""Optional Lambda code signing, read from the root's mocked plans: every function the plan creates, whatever
module makes it, carries lambda_code_signing_config_arn when it is set, and none names one by default
(terraform/tests/code_signing.tftest.hcl checks the settings and the refusals)."""

from __future__ import annotations

import shutil

import pytest

import terraform_checks
from sp_reports.handlers import FUNCTIONS, OPT_IN_FUNCTIONS

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

CSC_ARN = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f67890"


def _functions(plan: dict) -> dict[str, dict]:
    return {
        r["address"]: r["change"]["after"]
        for r in plan["resource_changes"]
        if r["type"] == "aws_lambda_function"
        and r["mode"] == "managed"
        and "create" in r["change"]["actions"]
    }


def test_every_function_in_the_plan_carries_the_code_signing_configuration():
    functions = _functions(
        terraform_checks.mock_plan_json(variables={"lambda_code_signing_config_arn": CSC_ARN})
    )

    assert len(functions) == len(FUNCTIONS) - len(OPT_IN_FUNCTIONS)  # the opt-in ones are off by default
    assert {address: f["code_signing_config_arn"] for address, f in functions.items()} == dict.fromkeys(
        functions, CSC_ARN
    )


def test_by_default_no_function_in_the_plan_names_a_code_signing_configuration():
    functions = _functions(terraform_checks.mock_plan_json())

    assert len(functions) == len(FUNCTIONS) - len(OPT_IN_FUNCTIONS)  # the opt-in ones are off by default
    assert not [address for address, f in functions.items() if f.get("code_signing_config_arn")]
