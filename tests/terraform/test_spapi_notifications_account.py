"""SP-API's notification account (the AWS account SP-API publishes notifications from, which the Notifications
API v1 use case guide names: https://developer-docs.amazon.com/sp-api/docs/notifications-api-v1-use-case-guide,
"Step 1. Grant Selling Partner API permission") is one fact of the root module, its
spapi_notifications_account_id: the root passes it to the modules whose policies let that account in (the
queue's policy, the data key's policy). The security module takes it from the root alone; the queue module
keeps the same value as its default for use on its own (examples/queue), and local AWS sends the emulator's
notifications as that account."""

from __future__ import annotations

import json
import shutil

import pytest

import terraform_checks
import tf_docs
from sp_reports.spapi.notifications import SPAPI_NOTIFICATIONS_ACCOUNT_ID as SPAPI_NOTIFICATIONS_ACCOUNT

DOCUMENTED_ACCOUNT = "437568002678"
VARIABLE = "spapi_notifications_account_id"
# The modules whose policies name SP-API's account, by their call in the root's main.tf.
MODULES_THAT_NAME_IT = ("queue", "security")


def _default(module_dir) -> str | None:
    return tf_docs.variable_defaults(module_dir)[VARIABLE]


def _module_calls() -> dict[str, dict[str, str]]:
    """The root's module calls in main.tf, by name: their arguments as source text."""
    _, blocks = tf_docs.parse_body((terraform_checks.TERRAFORM_DIR / "main.tf").read_text(encoding="utf-8"))
    return {block.labels[0]: tf_docs.parse_body(block.body)[0] for block in blocks if block.type == "module"}


def test_the_root_defaults_to_the_documented_account():
    assert _default(terraform_checks.TERRAFORM_DIR) == f'"{DOCUMENTED_ACCOUNT}"'


def test_the_root_passes_its_account_to_every_module_that_names_it():
    calls = _module_calls()
    takers = {name for name, arguments in calls.items() if VARIABLE in arguments}

    assert takers == set(MODULES_THAT_NAME_IT)
    for name in MODULES_THAT_NAME_IT:
        assert calls[name][VARIABLE] == f"var.{VARIABLE}"


def test_only_the_module_meant_to_be_used_alone_has_a_default_and_it_is_the_roots():
    modules = terraform_checks.TERRAFORM_DIR / "modules"

    assert _default(modules / "security") is None  # called by the root only
    assert _default(modules / "queue") == _default(terraform_checks.TERRAFORM_DIR)


def test_local_aws_sends_notifications_as_the_roots_account():
    # The emulator's deliveries meet the queue's and the data key's policies as SP-API's do.
    assert f'"{SPAPI_NOTIFICATIONS_ACCOUNT}"' == _default(terraform_checks.TERRAFORM_DIR)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_another_account_given_to_the_root_is_the_one_the_queue_and_key_policies_let_in():
    plan = terraform_checks.mock_plan_json(variables={"name_prefix": "acct-test", VARIABLE: "111122223333"})
    after = {r["address"]: r["change"]["after"] for r in plan["resource_changes"]}
    queue = json.loads(after["module.queue.aws_sqs_queue.this"]["policy"])
    key = json.loads(after["module.security.aws_kms_key.data[0]"]["policy"])

    sender = {"AWS": "arn:aws:iam::111122223333:root"}
    assert [s["Principal"] for s in queue["Statement"] if s["Effect"] == "Allow"] == [sender]
    (statement,) = [s for s in key["Statement"] if s["Sid"] == "SpApiSendsEncryptedNotificationsToTheQueue"]
    assert statement["Principal"] == sender
    assert DOCUMENTED_ACCOUNT not in json.dumps(plan["resource_changes"])
