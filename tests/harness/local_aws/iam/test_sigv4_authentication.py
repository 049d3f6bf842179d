"""Who may invoke an AWS_IAM method of the local API Gateway: the documented table of API Gateway Developer
Guide, "How API Gateway resource policies affect authorization workflow"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html), IAM
authentication with a resource policy, as ``execute_api_auth.invoke_authorization`` decides it."""

from __future__ import annotations

import datetime

import pytest

from sp_reports_harness.local_aws.iam.policy_evaluation import Decision
from sp_reports_harness.local_aws.iam.request_principals import Caller
from sp_reports_harness.local_aws.iam.sigv4_authentication import invoke_authorization

ACCOUNT, OTHER = "123456789012", "210987654321"
METHOD = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/prod/POST/reports"
NOW = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
INVOKER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/sp/invoker"


def _identity(effect: str | None) -> tuple[dict, ...]:
    if effect is None:
        return ()
    return (
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": "execute-api:Invoke", "Resource": "*"}],
        },
    )


def _resource_policy(effect: str | None, principal: str) -> dict | None:
    """None: no resource policy; "Allow" names the principal; "Deny": the stack's Deny of everyone not listed
    (aws:PrincipalArn ArnNotLike) with the listed principal somebody else."""
    if effect is None:
        return None
    if effect == "Allow":
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "execute-api:Invoke",
            "Resource": METHOD,
        }
    elif effect == "Deny":
        statement = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": METHOD,
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/someone-else"]}},
        }
    else:  # neither: a policy that says nothing about this caller
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone-else"},
            "Action": "execute-api:Invoke",
            "Resource": METHOD,
        }
    return {"Version": "2012-10-17", "Statement": [statement]}


def _session(account: str = ACCOUNT, policies: tuple[dict, ...] = ()) -> Caller:
    role = f"arn:aws:iam::{account}:role/sp/invoker"
    return Caller(
        "session", f"arn:aws:sts::{account}:assumed-role/invoker/s", account, role_arn=role, policies=policies
    )


# (IAM policy of the caller, resource policy, same account?, allowed?). The resource policy names the caller
# by its role's ARN (a session is named by its role in a resource policy).
CASES = [
    # Same account: "either the IAM policy or the resource policy" allows, an explicit Deny in either refuses.
    ("Allow", None, True, True),
    ("Allow", "Allow", True, True),
    ("Allow", "Neither", True, True),
    ("Allow", "Deny", True, False),
    (None, "Allow", True, True),
    (None, "Neither", True, False),
    (None, None, True, False),
    (None, "Deny", True, False),
    ("Deny", "Allow", True, False),
    ("Deny", "Neither", True, False),
    # Another account: both must allow.
    ("Allow", "Allow", False, True),
    ("Allow", "Neither", False, False),
    ("Allow", None, False, False),
    (None, "Allow", False, False),
    ("Allow", "Deny", False, False),
]


@pytest.mark.parametrize(("iam", "resource", "same_account", "allowed"), CASES)
def test_the_documented_table(iam, resource, same_account, allowed):
    account = ACCOUNT if same_account else OTHER
    caller = _session(account, _identity(iam))
    policy = _resource_policy(resource, f"arn:aws:iam::{account}:role/sp/invoker")

    verdict = invoke_authorization(caller, METHOD, policy, NOW)

    assert verdict.allowed is allowed, verdict.reason
    if resource == "Deny" or iam == "Deny":
        assert verdict.decision is Decision.EXPLICIT_DENY


def test_a_session_of_a_listed_role_passes_the_deny_by_its_roles_arn():
    policy = _resource_policy("Deny", INVOKER_ROLE)
    policy["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = [INVOKER_ROLE]

    assert invoke_authorization(_session(policies=_identity("Allow")), METHOD, policy, NOW).allowed


def test_the_account_root_is_allowed_unless_the_resource_policy_denies_it():
    root = Caller("root", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT)

    assert invoke_authorization(root, METHOD, None, NOW).allowed
    denied = invoke_authorization(root, METHOD, _resource_policy("Deny", ""), NOW)
    assert denied.decision is Decision.EXPLICIT_DENY


def test_an_unreadable_resource_policy_refuses():
    verdict = invoke_authorization(_session(policies=_identity("Allow")), METHOD, "{not json", NOW)

    assert not verdict.allowed
