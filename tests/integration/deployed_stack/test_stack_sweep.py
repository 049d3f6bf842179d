"""The deployed sweep: a report whose notification SP-API never delivered is found and stored when the
schedule fires (local AWS fires it as EventBridge Scheduler does: its role, assumed under its trust policy,
invokes the sweeper with the schedule's input), with IAM enforced
for the roles of the sweeper and of the schedule."""

from __future__ import annotations

import pytest

from canaries import SELLER_ID
from sp_reports_local import published_messages
from sp_reports_local.scheduler import fire_schedule

from .stack_test_helpers import MARKETPLACE_ID, REGION_CODE, execution_of

pytestmark = pytest.mark.integration

SWEPT_REPORT_TYPE = "GET_MERCHANT_LISTINGS_DATA"


def test_a_report_whose_notification_was_dropped_is_stored_when_the_sweep_schedule_fires(
    deployment, client, subscribed_seller
):
    emulator = deployment.emulator
    deliver = emulator.notification_sink
    dropped: list[str] = []
    emulator.notification_sink = lambda _destination, body: dropped.append(body)
    try:
        report_id = client.create_report(SELLER_ID, REGION_CODE, SWEPT_REPORT_TYPE, [MARKETPLACE_ID])
        if emulator.report(report_id).processing_status not in ("DONE", "FATAL", "CANCELLED"):
            emulator.finish_report(report_id, "DONE")
    finally:
        emulator.notification_sink = deliver
    assert any(report_id in body for body in dropped)  # SP-API sent it; it never reached the queue
    assert client.get_report(report_id).status == "REQUESTED"

    invocation = fire_schedule(deployment.aws, str(deployment.outputs["sweep_schedule_name"]))

    assert invocation.status_code == 202
    report = client.wait_for_report(report_id, timeout=120, poll_interval=0.5)
    assert report.status == "DONE" and report.s3_key.endswith(f"/{report_id}/report.tsv")
    assert execution_of(deployment, report_id)["status"] == "SUCCEEDED"
    emails = [
        message
        for message in published_messages(deployment.outputs["notifications_topic_arn"])
        if report_id in message.body_for("email")
    ]
    assert len(emails) == 1
    # The sweeper and the schedule's role ran with what they were given, and needed nothing more.
    refused = {
        (decision.principal, decision.action)
        for decision, _count in deployment.aws.iam.decisions().items()
        if not decision.allowed and ("sweep" in decision.principal)
    }
    assert not refused, refused
