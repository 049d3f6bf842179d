"""What the deployed-stack assertions (tests/integration/deployed_stack) may ask of a deployed stack.

One set of assertions proves the stack on local AWS (``make test``, ``make acceptance``) and in a real AWS
account (``make acceptance`` with ``SP_REPORTS_ACCEPTANCE_TARGET=aws``). They reach the stack only through
``StackUnderTest``: its Terraform outputs, its API, the deployer's AWS clients, SP-API's side of the
exchange (``spapi``), the emails its topic sends (``EmailObserver``), its sweep schedule and a second plan.

SP-API is our emulator (``emulator``: its ``EmulatorControl``, with powers real SP-API does not give: end a
report now, choose its document, hold notifications, list every exchange) or, on a run with a real seller's
credentials, real SP-API (``emulator`` is None, ``seller`` is that seller). Checks that need the emulator's
powers take it through ``emulator_of`` and are skipped with the reason on real SP-API.

Local AWS can show more than any account: every authorisation decision it made, a clock it can move, its
own endpoint. Those checks are about local AWS itself and need ``local_aws``; a target in a real account
offers none and they are skipped there with the reason. A target that declares itself local
(``on_local_aws``) must offer them: the assertions fail, not skip, if it stops.

Firing the sweep schedule (``fire_schedule``):

- On local AWS (``scheduler.fire_schedule``) it is EventBridge Scheduler's own delivery: the schedule's
  role is assumed as ``scheduler.amazonaws.com`` under its trust policy and the schedule's condition keys,
  and the target is invoked asynchronously with the schedule's input under that role's permissions.
- In a real account a schedule cannot be made due on demand, and nobody but Scheduler may assume its
  role (its trust policy names the service). ``invoke_schedule_target`` reads the schedule (its state, its
  target and input, as deployed) and invokes the target asynchronously with that input, with the deployer's
  credentials. It proves the sweeper does its work when invoked as the schedule invokes it; it does not
  prove that the schedule fires at its rate, that Scheduler may assume the role, or that the role may
  invoke the sweeper. Those are proven on local AWS, whose IAM decides them as AWS does.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pytest

from sp_reports_harness.deployment.email_observer import ObservedEmail, SqsEmailObserver, observer_queue_name
from sp_reports_harness.local_aws.scheduler.delivery import ScheduledInvocation, ScheduleNotFired

if TYPE_CHECKING:
    from botocore.credentials import ReadOnlyCredentials

    from sp_reports.client import SpReportsClient
    from sp_reports_harness.deployment.local_deployment import PlanResult
    from sp_reports_harness.local_aws.server import LocalAws
    from spapi_emulator.control_protocol import EmulatorControl, SpApiViews

__all__ = [
    "EmailObserver",
    "ObservedEmail",
    "ScheduledInvocation",
    "SellerUnderTest",
    "StackUnderTest",
    "athena_of",
    "emulator_of",
    "invoke_schedule_target",
    "local_aws_of",
    "observe_topic",
    "unauthorised_user_name",
]


class EmailObserver(Protocol):
    """The messages the stack's notifications topic delivered (``email_observer.SqsEmailObserver``)."""

    def emails(self) -> list[ObservedEmail]:
        """Every distinct message delivered so far (one per Publish)."""

    def about(self, text: str, timeout: float = 30.0, interval: float = 0.5) -> list[ObservedEmail]:
        """The messages whose body mentions ``text``, waiting for the first to arrive."""


@dataclass(frozen=True)
class SellerUnderTest:
    """The seller whose reports the assertions request, and what they request."""

    seller_id: str
    refresh_token: str = field(repr=False)
    region_code: str  # SP-API's region of the marketplace (NA, EU, FE)
    marketplace_id: str
    report_type: str  # the report every stage test follows (``done_report``)
    report_timeout: float  # seconds to wait for it to be stored: real SP-API takes minutes


@runtime_checkable
class StackUnderTest(Protocol):
    description: str  # where it runs, for messages: "local AWS (http://...)" or "AWS account ... in ..."
    name_prefix: str  # the root module's name_prefix: every resource name starts with it
    region: str
    outputs: Mapping[str, Any]  # ``terraform output`` of the applied root module
    spapi: SpApiViews  # SP-API's side of the exchange: the emulator's, or real SP-API's for ``seller``
    emulator: EmulatorControl | None  # the SP-API emulator the stack calls; None: it calls real SP-API
    seller: SellerUnderTest | None  # the real seller of a run against real SP-API; None: the tests pick one
    on_local_aws: bool  # the target is local AWS: local_aws must then be offered
    local_aws: LocalAws | None  # local AWS itself (decisions, clock, endpoint); None in a real account
    # Athena runs the queries it is given: only a real account's. Local AWS's (moto's) runs no SQL, so a
    # query's answer is checked only where this is True.
    athena_runs_sql: bool

    def invoke_url(self) -> str:
        """The API's base URL (append the resource path)."""

    def client(self) -> SpReportsClient:
        """The sp-reports client, signing as the stack's API invoke role (``api_invoke_role_arn``)."""

    def boto3_client(self, service: str) -> Any:
        """A boto3 client of the deployer (who applied the stack), in the stack's region."""

    def credentials(self) -> ReadOnlyCredentials:
        """The deployer's credentials, for requests signed by hand."""

    def observe_emails(self) -> AbstractContextManager[EmailObserver]:
        """Observe the notifications topic from now on, until the block ends (then nothing is left behind)."""

    def fire_schedule(self, name: str) -> ScheduledInvocation:
        """Make the schedule ``name`` deliver now (see the module docstring for what each target proves)."""

    def terraform_plan(self) -> PlanResult:
        """``terraform plan`` of the applied configuration (refreshed against the account)."""


def observe_topic(stack: StackUnderTest) -> AbstractContextManager[SqsEmailObserver]:
    """The stack's notifications topic, observed through an SQS queue of the run's
    (``deployment.email_observer``), the same way on every target."""
    return SqsEmailObserver.subscribed(
        stack.boto3_client("sqs"),
        stack.boto3_client("sns"),
        str(stack.outputs["notifications_topic_arn"]),
        observer_queue_name(stack.name_prefix),
    )


def unauthorised_user_name(name_prefix: str) -> str:
    """The IAM user the assertions create to call the API without permission (removed by the test; named
    after the stack, so a killed run's leftover is recognisable and listed by make acceptance)."""
    return f"{name_prefix}-no-api-access"


def invoke_schedule_target(
    scheduler: Any, lambda_client: Any, name: str, group_name: str = "default"
) -> ScheduledInvocation:
    """Invoke the Lambda target of schedule ``name`` as EventBridge Scheduler would, with the caller's
    credentials: asynchronously ("Invoke a Lambda function on a schedule", Lambda Developer Guide:
    "EventBridge Scheduler invokes your Lambda function asynchronously") with the target's ``Input``. A
    DISABLED schedule is not invoked (Schedule.State, EventBridge Scheduler API Reference)."""
    schedule = scheduler.get_schedule(Name=name, GroupName=group_name)
    if schedule["State"] != "ENABLED":
        raise ScheduleNotFired(f"schedule {name} is {schedule['State']}")
    target = schedule["Target"]
    # Without Input a templated target gets a default event, which nothing of ours relies on (Target.Input,
    # EventBridge Scheduler API Reference): our schedules always set one.
    event = target.get("Input") or "{}"
    answer = lambda_client.invoke(FunctionName=target["Arn"], InvocationType="Event", Payload=event.encode())
    return ScheduledInvocation(schedule["Arn"], target["Arn"], answer["StatusCode"], event)


def local_aws_of(stack: StackUnderTest, check: str) -> LocalAws:
    """Local AWS itself, for a test about local AWS (``check`` says what it shows). The test is skipped with
    that reason on a target in a real account, and fails on a local target that stopped offering it."""
    if stack.local_aws is not None:
        return stack.local_aws
    if stack.on_local_aws:
        pytest.fail(f"{stack.description} is local AWS but offers none of local AWS's own checks ({check})")
    pytest.skip(f"only local AWS can show {check}; {stack.description} cannot")


def emulator_of(stack: StackUnderTest, check: str) -> EmulatorControl:
    """The SP-API emulator, for a test that needs a power real SP-API does not give (``check`` says which).
    The test is skipped with that reason when the stack calls real SP-API."""
    if stack.emulator is not None:
        return stack.emulator
    pytest.skip(f"only the SP-API emulator can {check}; this stack calls real SP-API")


def athena_of(stack: StackUnderTest, check: str) -> Any:
    """The deployer's Athena client, for a test that checks what a query answers (``check`` says which). The
    test is skipped with that reason where Athena runs no SQL (local AWS, also standing in for an account)."""
    if stack.athena_runs_sql:
        return stack.boto3_client("athena")
    pytest.skip(f"only a real account's Athena runs SQL ({check}); {stack.description} runs none")
