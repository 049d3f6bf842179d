"""Root variables that only matter once they reach a resource inside a module: what the root's own
`terraform test` cannot address (assertions see module outputs, not module resources), read from the mocked
plan instead."""

from __future__ import annotations

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
