"""Attack 4 (continued): notifications that never arrive.

Nothing in SP-API's docs promises that every REPORT_PROCESSING_FINISHED arrives
(docs/spapi-notes.md#notifications-completeness). Of five requested reports (three DONE, one FATAL with an
error document, one CANCELLED) only one notification is delivered; the rest are dropped. The sweeper, invoked
as EventBridge Scheduler invokes it, must bring every report to its outcome: each DONE document stored once,
the FATAL one recorded FAILED with its reason, the CANCELLED one recorded, one email each. The dropped
notifications, delivered late after all, and a second sweep must change nothing.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from tests.support.lambda_testing import sleep_on_virtual_time
from tests.support.reliability import DOCUMENT, check_output_for_secrets

OUTCOMES = ["DONE", "DONE", "DONE", "FATAL", "CANCELLED"]


def _scheduled_invocation_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="sp-reports-report-sweeper",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sp-reports-report-sweeper",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 600_000,
    )


def test_dropped_notifications_are_recovered_by_the_sweep_and_nothing_is_lost(
    report_pipeline, load_handler, capsys, attack_results
):
    pipeline = report_pipeline
    reports = [pipeline.request_report() for _ in OUTCOMES]
    for report_id, outcome in zip(reports, OUTCOMES, strict=True):
        document = DOCUMENT if outcome == "DONE" else b'{"errorDetails": "No data for the period"}'
        pipeline.emulator.finish_report(report_id, outcome, None if outcome == "CANCELLED" else document)
    delivered, *dropped = reports
    assert pipeline.deliver(delivered) == {"batchItemFailures": []}

    sweeper = load_handler("report_sweeper", STATE_MACHINE_ARN=pipeline.workflow.state_machine_arn)
    sleep_on_virtual_time(sweeper.spapi_clients.http("NA"))
    answer = sweeper.handler({}, _scheduled_invocation_context())
    assert answer["ReportsRecoveredBySweep"] == len(dropped)
    for report_id in reports:
        (execution,) = pipeline.executions_of(report_id)
        assert pipeline.workflow.wait(execution["executionArn"], timeout=120)["status"] == "SUCCEEDED"
        pipeline.assert_no_secret_in_history(execution)

    # The lost notifications turn up after all, and the schedule fires again: nothing happens twice.
    for report_id in dropped:
        assert pipeline.deliver(report_id) == {"batchItemFailures": []}
    again = sweeper.handler({}, _scheduled_invocation_context())
    assert again["ReportsRecoveredBySweep"] == 0
    pipeline.assert_nothing_stuck()
    assert len(pipeline.workflow.executions()) == len(reports)
    assert len(pipeline.stored_objects()) == OUTCOMES.count("DONE") + OUTCOMES.count("FATAL")
    assert len(pipeline.workflow.emails()) == len(reports)
    check_output_for_secrets(capsys)
    attack_results.record(
        "4-dropped",
        attack="Notifications dropped: 4 of 5 finished reports (DONE, FATAL, CANCELLED) never announced",
        cases=len(dropped),
        outcome="reports recovered by the sweep: 1 execution, 1 object (DONE/FATAL), 1 email each",
        lost=pipeline.lost_reports(),
    )
