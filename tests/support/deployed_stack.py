"""Helpers of the deployed-stack tests: the seller and report used by every stage test, waits, and the gates
of the checks only local AWS can make (``local_aws_of``), only the SP-API emulator (``emulator_of``) or only a
real account's Athena (``athena_of``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sp_reports.client import Report
from sp_reports_harness.acceptance.stack_under_test import (
    SellerUnderTest,
    StackUnderTest,
    athena_of,
    emulator_of,
    local_aws_of,
)
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID

__all__ = ["athena_of", "emulator_of", "local_aws_of"]  # the gates, for the tests next to this module

# The seller of the emulator's runs (a stack calling real SP-API names its own: ``StackUnderTest.seller``).
# A UK seller: SP-API serves its listings as Cp1252, which the charset checks rely on.
EMULATOR_SELLER = SellerUnderTest(
    seller_id=SELLER_ID,
    refresh_token=REFRESH_TOKEN,
    region_code="EU",
    marketplace_id="A1F83G8C2ARO7P",
    report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
    report_timeout=120.0,
)

T = TypeVar("T")


@dataclass(frozen=True)
class FinishedReport:
    report_id: str
    report: Report
    subscription_id: str
    destination_id: str


def execution_of(stack: StackUnderTest, report_id: str) -> dict[str, Any]:
    sfn = stack.boto3_client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=stack.outputs["state_machine_arn"])["executions"]
    matching = [execution for execution in executions if report_id in execution["name"]]
    assert len(matching) == 1, f"expected one execution for {report_id}, found {len(matching)}"
    return sfn.describe_execution(executionArn=matching[0]["executionArn"])


def wait_for(condition: Callable[[], T], timeout: float = 15.0, interval: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
