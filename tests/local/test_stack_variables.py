"""The root variables every local deployment sets: declared by the root (Terraform ignores an unknown TF_VAR_)
and what a fresh account needs."""

from __future__ import annotations

import re

from sp_reports_local.stack import LOCAL_ACCOUNT_VARIABLES, TERRAFORM_SOURCE


def _root_variables() -> set[str]:
    text = "".join(path.read_text(encoding="utf-8") for path in TERRAFORM_SOURCE.glob("*.tf"))
    return set(re.findall(r'^variable "([a-z0-9_]+)"', text, flags=re.MULTILINE))


def test_every_local_variable_is_declared_by_the_root_module():
    assert set(LOCAL_ACCOUNT_VARIABLES) <= _root_variables()


def test_the_local_stack_sets_the_api_gateway_cloudwatch_role_of_its_fresh_account():
    # Without it the stage's access logging is refused (LocalAws behaves as AWS: apigateway_logging).
    assert LOCAL_ACCOUNT_VARIABLES["manage_api_gateway_cloudwatch_role"] == "true"
