"""The deployed sweep: a report whose notification SP-API never delivered is found and stored when the
sweep schedule fires, with IAM enforced for the roles of the sweeper and of the schedule.

On local AWS the schedule fires as EventBridge Scheduler fires it (its role, assumed under its trust policy,
invokes the sweeper with the schedule's input); in a real account its target is invoked with its input by
the deployer (see sp_reports_harness.acceptance.stack_under_test for what that proves less)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sp_reports.client import Report
from sp_reports_harness.acceptance.stack_under_test import ScheduledInvocation
from tests.support.deployed_stack import emulator_of, execution_of, local_aws_of

pytestmark = pytest.mark.integration

SWEPT_REPORT_TYPE = "GET_MERCHANT_LISTINGS_DATA"


@dataclass(frozen=True)
class SweptReport:
    report_id: str
    dropped: list[str]  # the notifications SP-API sent that never reached the queue
    status_before_sweep: str
    invocation: ScheduledInvocation
    report: Report


@pytest.fixture(scope="module")
def swept_report(stack, seller, client, subscribed_seller) -> SweptReport:
    """A report finished while notifications were held back, then the sweep schedule fired."""
    emulator = emulator_of(stack, "hold back a report's notification, as SP-API sometimes fails to deliver")
    with emulator.hold_notifications() as dropped:
        report_id = client.create_report(
            seller.seller_id, seller.region_code, SWEPT_REPORT_TYPE, [seller.marketplace_id]
        )
        if emulator.report(report_id).processing_status not in ("DONE", "FATAL", "CANCELLED"):
            emulator.finish_report(report_id, "DONE")
    status_before_sweep = client.get_report(report_id).status

    invocation = stack.fire_schedule(str(stack.outputs["sweep_schedule_name"]))

    report = client.wait_for_report(report_id, timeout=120, poll_interval=0.5)
    return SweptReport(report_id, list(dropped), status_before_sweep, invocation, report)


def test_a_report_whose_notification_was_dropped_is_stored_when_the_sweep_schedule_fires(
    stack, emails, swept_report
):
    report_id = swept_report.report_id
    # SP-API sent its notification; it never reached the queue.
    assert any(report_id in body for body in swept_report.dropped)
    assert swept_report.status_before_sweep == "REQUESTED"

    assert swept_report.invocation.status_code == 202
    report = swept_report.report
    assert report.status == "DONE" and report.s3_key.endswith(f"/{report_id}/report.tsv")
    assert execution_of(stack, report_id)["status"] == "SUCCEEDED"
    assert len(emails.about(report_id)) == 1


def test_the_sweeper_and_the_schedules_role_needed_nothing_they_were_not_given(stack, swept_report):
    aws = local_aws_of(stack, "the decisions on the sweeper's and the schedule's calls")
    refused = {
        (decision.principal, decision.action)
        for decision, _count in aws.iam.decisions().items()
        if not decision.allowed and ("sweep" in decision.principal)
    }
    assert not refused, refused
