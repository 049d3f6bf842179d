"""EventBridge Scheduler's delivery in local AWS: the schedule's role is assumed as Scheduler would assume it
(its trust policy and the documented condition keys decide), and the target is invoked with the schedule's
input under that role's permissions."""

from __future__ import annotations

import json
import time

import pytest

from sp_reports_harness.acceptance.stack_under_test import invoke_schedule_target
from sp_reports_harness.local_aws.scheduler.delivery import ScheduleNotFired, fire_schedule

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _trust(principal: str = "scheduler.amazonaws.com", **conditions: str) -> dict:
    statement: dict = {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
    if conditions:
        statement["Condition"] = {"StringEquals": conditions}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _schedule(
    local_aws, function_arn: str, trust: dict, allow: str | None, name: str, state="ENABLED"
) -> None:
    iam = local_aws.boto3_client("iam")
    role_arn = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    if allow is not None:
        iam.put_role_policy(
            RoleName=f"{name}-role",
            PolicyName="invoke",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": allow}],
                }
            ),
        )
    local_aws.boto3_client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        State=state,
        Target={"Arn": function_arn, "RoleArn": role_arn, "Input": json.dumps({"sweep": name})},
    )


def _logged_events(local_aws, function_name: str, wait: float = 10) -> list[str]:
    logs = local_aws.boto3_client("logs")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function_name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        found = [e["message"] for e in events if "EVENT " in e["message"]]
        if found:
            return found
        time.sleep(0.1)
    return []


PRINT_EVENT = "import json\n\ndef show(event, context):\n    print('EVENT ' + json.dumps(event))\n"
GROUP_ARN = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/default"


# (trust policy, identity policy's Resource, fired?) - Scheduler User Guide "Set up the execution role" (trust
# scheduler.amazonaws.com, allow lambda:InvokeFunction on the target) and "Confused deputy prevention in
# EventBridge Scheduler" (aws:SourceAccount = the account, aws:SourceArn = the schedule group's ARN).
CASES = {
    "trusted, allowed": (_trust(), "FUNCTION", True),
    "trusted with the confused-deputy conditions": (
        _trust(**{"aws:SourceAccount": ACCOUNT, "aws:SourceArn": GROUP_ARN}),
        "FUNCTION",
        True,
    ),
    "another account in aws:SourceAccount": (
        _trust(**{"aws:SourceAccount": "210987654321"}),
        "FUNCTION",
        False,
    ),
    "another schedule group in aws:SourceArn": (
        _trust(**{"aws:SourceArn": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/other"}),
        "FUNCTION",
        False,
    ),
    "trusts Lambda, not Scheduler": (_trust("lambda.amazonaws.com"), "FUNCTION", False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_role_is_assumed_only_as_its_trust_policy_allows(local_aws, create_function, case):
    trust, _, fired = CASES[case]
    name = f"case-{sorted(CASES).index(case)}"
    arn = create_function(name, "show", extra_files={"app.py": PRINT_EVENT})
    _schedule(local_aws, arn, trust, arn, name)
    if fired:
        assert fire_schedule(local_aws, name).status_code == 202
        assert _logged_events(local_aws, name) == [f'EVENT {{"sweep": "{name}"}}']
    else:
        with pytest.raises(ScheduleNotFired, match="cannot assume"):
            fire_schedule(local_aws, name)


def test_the_invoke_is_refused_when_the_role_may_not_invoke_the_target(local_aws, create_function):
    arn = create_function("target", "show", extra_files={"app.py": PRINT_EVENT})
    other = create_function("other", "show", extra_files={"app.py": PRINT_EVENT})
    _schedule(local_aws, arn, _trust(), other, "wrong-function")
    with pytest.raises(Exception, match="AccessDenied"):
        fire_schedule(local_aws, "wrong-function")


def test_a_disabled_schedule_is_not_fired(local_aws, create_function):
    arn = create_function("quiet", "show", extra_files={"app.py": PRINT_EVENT})
    _schedule(local_aws, arn, _trust(), arn, "quiet", state="DISABLED")
    with pytest.raises(ScheduleNotFired, match="DISABLED"):
        fire_schedule(local_aws, "quiet")


# The real-account stand-in (sp_reports_harness.acceptance.stack_under_test): no schedule can be made due on
# demand and
# only Scheduler may assume its role, so the target is invoked with the schedule's input by the caller.
def test_invoke_schedule_target_delivers_the_schedules_input_asynchronously(local_aws, create_function):
    arn = create_function("swept", "show", extra_files={"app.py": PRINT_EVENT})
    # A role Scheduler may not assume: what this stand-in does not prove (fire_schedule above does).
    _schedule(local_aws, arn, _trust("lambda.amazonaws.com"), None, "swept")

    invocation = invoke_schedule_target(
        local_aws.boto3_client("scheduler"), local_aws.boto3_client("lambda"), "swept"
    )

    assert invocation.status_code == 202  # accepted for asynchronous invocation
    assert (invocation.target_arn, invocation.event) == (arn, json.dumps({"sweep": "swept"}))
    assert invocation.schedule_arn.endswith(":schedule/default/swept")
    assert _logged_events(local_aws, "swept") == ['EVENT {"sweep": "swept"}']


def test_invoke_schedule_target_leaves_a_disabled_schedule_alone(local_aws, create_function):
    arn = create_function("quiet", "show", extra_files={"app.py": PRINT_EVENT})
    _schedule(local_aws, arn, _trust(), arn, "quiet", state="DISABLED")
    with pytest.raises(ScheduleNotFired, match="DISABLED"):
        invoke_schedule_target(local_aws.boto3_client("scheduler"), local_aws.boto3_client("lambda"), "quiet")
    assert _logged_events(local_aws, "quiet", wait=1) == []
