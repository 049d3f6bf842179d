"""EventBridge Scheduler's delivery, which moto does not run: moto 5.2.5 keeps schedules (CreateSchedule,
GetSchedule, ...) but nothing ever fires them. `fire_schedule` does what Scheduler does when a schedule with a
templated Lambda target comes due, so a test can make it come due:

1. It assumes the target's `RoleArn` as the service principal `scheduler.amazonaws.com`. The role's trust
   policy must allow that ("Set up the execution role", EventBridge Scheduler User Guide), with the
   condition keys Scheduler's request carries: `aws:SourceAccount`, the schedule's account, and
   `aws:SourceArn`, the schedule *group*'s ARN ("Confused deputy prevention in EventBridge Scheduler": "The
   value of aws:SourceArn must be your EventBridge Scheduler schedule group ARN").
2. It invokes the target asynchronously ("Invoke a Lambda function on a schedule", Lambda Developer Guide:
   "EventBridge Scheduler invokes your Lambda function asynchronously") with the target's `Input` as the
   event, signed with that role session, so local IAM decides `lambda:InvokeFunction` against the role's
   policies as AWS would.

A DISABLED schedule is not fired (Schedule.State: "Specifies whether the schedule is enabled or disabled",
EventBridge Scheduler API Reference).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

from sp_reports_harness.local_aws.iam.policy_evaluation import AuthorizationRequest, Principal, authorize
from sp_reports_harness.local_aws.iam.request_context import trust_policy
from sp_reports_harness.local_aws.moto_internals import iam_backends, scheduler_backends, sts_backends

if TYPE_CHECKING:
    from sp_reports_harness.local_aws.server import LocalAws

SCHEDULER_SERVICE = "scheduler.amazonaws.com"
SESSION_SECONDS = 900  # the shortest STS session: the invocation is all it is for


class ScheduleNotFired(Exception):
    """The schedule is disabled, or Scheduler could not assume its role (AWS then records a failed
    invocation for the schedule instead of calling the target)."""


@dataclass(frozen=True)
class ScheduledInvocation:
    schedule_arn: str
    target_arn: str
    status_code: int  # Lambda's answer to the asynchronous Invoke: 202 when accepted
    event: str


def scheduler_may_assume(role_arn: str, account_id: str, region: str, group_name: str) -> bool:
    """Whether the role's trust policy lets EventBridge Scheduler assume it for a schedule of this group."""
    role = iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    group_arn = f"arn:aws:scheduler:{region}:{account_id}:schedule-group/{group_name}"
    request = AuthorizationRequest(
        action="sts:AssumeRole",
        resource=role_arn,
        principal=Principal(arn=SCHEDULER_SERVICE, account_id="", service=SCHEDULER_SERVICE),
        context={"aws:SourceAccount": account_id, "aws:SourceArn": group_arn},
    )
    return authorize(request, (), trust_policy(role.assume_role_policy_document, role_arn)).allowed


def fire_schedule(aws: LocalAws, name: str, group_name: str = "default") -> ScheduledInvocation:
    """Fire the schedule now, as Scheduler would at its next due time."""
    schedule = scheduler_backends[aws.account_id][aws.region].get_schedule(group_name, name)
    if schedule.state != "ENABLED":
        raise ScheduleNotFired(f"schedule {name} is {schedule.state}")
    target = schedule.target
    role_arn = target["RoleArn"]
    if not scheduler_may_assume(role_arn, aws.account_id, aws.region, group_name):
        raise ScheduleNotFired(f"EventBridge Scheduler cannot assume {role_arn} for schedule {name}")
    session = sts_backends[aws.account_id]["aws"].assume_role(
        region_name=aws.region,
        role_session_name=f"scheduler-{name}"[:64],
        role_arn=role_arn,
        policy="",
        duration=SESSION_SECONDS,
        external_id="",
    )
    client = boto3.client(
        "lambda",
        endpoint_url=aws.endpoint_url,
        region_name=aws.region,
        aws_access_key_id=session.access_key_id,
        aws_secret_access_key=session.secret_access_key,
        aws_session_token=session.session_token,
    )
    # Scheduler sends the Input as given; without one, a templated target gets a default notification
    # (Target.Input, API Reference), which nothing of ours relies on: our schedules always set Input.
    event = target.get("Input") or json.dumps({})
    answer = client.invoke(FunctionName=target["Arn"], InvocationType="Event", Payload=event.encode())
    return ScheduledInvocation(schedule.arn, target["Arn"], answer["StatusCode"], event)
