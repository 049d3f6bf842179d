"""``StackUnderTest`` for the stack ``make acceptance`` applied to an account (``acceptance.account_target``).

Everything goes through what any account offers its deployer: the Terraform outputs, the API signed as the
stack's invoke role, the deployer's clients, the SP-API emulator's control routes behind its AWS_IAM function
URL (``RemoteEmulatorControl``) or, on a real seller's run, SP-API's own operations
(``acceptance.spapi_operation_views``), an SQS queue subscribed to the topic for the emails, the sweep
schedule's target invoked as the schedule invokes it (``invoke_schedule_target``) and a second ``terraform
plan``. Local AWS's own checks are not offered (``local_aws`` is None), also when local AWS stands in for the
account: the run then skips exactly what a real account skips.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from botocore.credentials import ReadOnlyCredentials

from sp_reports.client import SpReportsClient
from sp_reports_harness.acceptance.account import AccountAccess
from sp_reports_harness.acceptance.stack_under_test import (
    SellerUnderTest,
    invoke_schedule_target,
    observe_topic,
)
from sp_reports_harness.deployment.email_observer import SqsEmailObserver
from sp_reports_harness.deployment.local_deployment import PlanResult
from sp_reports_harness.local_aws.scheduler.delivery import ScheduledInvocation
from spapi_emulator.control_protocol import EmulatorControl, SpApiViews


class AccountStackUnderTest:
    on_local_aws = False
    local_aws = None

    def __init__(
        self,
        access: AccountAccess,
        description: str,
        name_prefix: str,
        outputs: Mapping[str, Any],
        spapi: SpApiViews,
        emulator: EmulatorControl | None,
        plan: Callable[[], PlanResult],
        seller: SellerUnderTest | None = None,
    ) -> None:
        if access.region is None:
            raise ValueError("the account's session has no region")
        self._access = access
        self._plan = plan
        self.description = description
        self.name_prefix = name_prefix
        self.region: str = access.region
        self.outputs = outputs
        self.spapi = spapi
        self.emulator = emulator
        self.seller = seller
        # A real account's Athena runs the query; local AWS standing in for the account runs none.
        self.athena_runs_sql = access.local_aws is None

    def invoke_url(self) -> str:
        return self._access.invoke_url(self.outputs)

    def client(self) -> SpReportsClient:
        return SpReportsClient(
            self.invoke_url(),
            self.region,
            session=self._access.session,
            role_arn=str(self.outputs["api_invoke_role_arn"]),
            sts_endpoint_url=self._access.endpoint_url,
        )

    def boto3_client(self, service: str) -> Any:
        return self._access.client(service)

    def credentials(self) -> ReadOnlyCredentials:
        credentials = self._access.session.get_credentials()
        if credentials is None:
            raise RuntimeError("the account's session has no credentials")
        return credentials.get_frozen_credentials()

    def observe_emails(self) -> AbstractContextManager[SqsEmailObserver]:
        return observe_topic(self)

    def fire_schedule(self, name: str) -> ScheduledInvocation:
        return invoke_schedule_target(self.boto3_client("scheduler"), self.boto3_client("lambda"), name)

    def terraform_plan(self) -> PlanResult:
        return self._plan()
