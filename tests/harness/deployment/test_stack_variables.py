"""The root variables every local deployment sets: declared by the root (Terraform ignores an unknown TF_VAR_)
and what a fresh account needs."""

from __future__ import annotations

import re

from sp_reports_harness.deployment.local_deployment import LOCAL_ACCOUNT_VARIABLES
from sp_reports_harness.repository import TERRAFORM_DIR


def _root_variables() -> set[str]:
    text = "".join(path.read_text(encoding="utf-8") for path in TERRAFORM_DIR.glob("*.tf"))
    return set(re.findall(r'^variable "([a-z0-9_]+)"', text, flags=re.MULTILINE))


def test_every_local_variable_is_declared_by_the_root_module():
    assert set(LOCAL_ACCOUNT_VARIABLES) <= _root_variables()


def test_the_local_stack_leaves_the_account_wide_api_gateway_setting_to_the_account():
    # The setting is account-wide: the root module no longer has an input that makes it.
    assert "manage_api_gateway_cloudwatch_role" not in LOCAL_ACCOUNT_VARIABLES
    assert "manage_api_gateway_cloudwatch_role" not in _root_variables()
    assert "api_gateway_cloudwatch_role_arn" in _root_variables()  # what LocalDeployment passes instead
