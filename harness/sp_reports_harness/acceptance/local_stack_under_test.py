"""``StackUnderTest`` for a ``LocalDeployment``: the stack applied to local AWS, with the emulator in-process.

Local AWS's own checks are offered (``local_aws``): its IAM decisions and clock, its endpoint. The schedule
fires as EventBridge Scheduler would (``scheduler.fire_schedule``), and emails are observed through an SQS
queue subscribed to the topic, as in a real account (``deployment.email_observer``); local AWS authorises that
delivery as AWS does (``local_aws.sns.sqs_delivery``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from botocore.credentials import ReadOnlyCredentials

from sp_reports.client import SpReportsClient
from sp_reports_harness.acceptance.stack_under_test import observe_topic
from sp_reports_harness.deployment.email_observer import SqsEmailObserver
from sp_reports_harness.deployment.local_deployment import DeploymentError, LocalDeployment, PlanResult
from sp_reports_harness.local_aws.scheduler.delivery import ScheduledInvocation, fire_schedule
from sp_reports_harness.local_aws.server import LocalAws
from spapi_emulator.control_protocol import InProcessControl


class LocalStackUnderTest:
    on_local_aws = True
    athena_runs_sql = False  # moto's Athena answers no query

    def __init__(self, deployment: LocalDeployment) -> None:
        if deployment.aws is None or deployment.emulator is None:
            raise DeploymentError("the local deployment is not started")
        if deployment.outputs is None:
            raise DeploymentError("the stack is not applied yet")
        self._deployment = deployment
        self.local_aws: LocalAws | None = deployment.aws
        self.emulator = InProcessControl(deployment.emulator)
        self.spapi = self.emulator
        self.seller = None  # the emulator's: the tests register theirs
        self.outputs: Mapping[str, Any] = deployment.outputs
        self.name_prefix = deployment.settings.name_prefix
        self.region = deployment.aws.region
        self.description = f"local AWS ({deployment.aws.endpoint_url})"

    @property
    def _aws(self) -> LocalAws:
        if self.local_aws is None:
            raise DeploymentError("local AWS has stopped")
        return self.local_aws

    def invoke_url(self) -> str:
        return self._deployment.invoke_url()

    def client(self) -> SpReportsClient:
        return self._deployment.client(assume_role=True)

    def boto3_client(self, service: str) -> Any:
        return self._aws.boto3_client(service)

    def credentials(self) -> ReadOnlyCredentials:
        return ReadOnlyCredentials(self._aws.access_key_id, self._aws.secret_access_key, None)

    def observe_emails(self) -> AbstractContextManager[SqsEmailObserver]:
        return observe_topic(self)

    def fire_schedule(self, name: str) -> ScheduledInvocation:
        return fire_schedule(self._aws, name)

    def terraform_plan(self) -> PlanResult:
        return self._deployment.terraform_plan()
