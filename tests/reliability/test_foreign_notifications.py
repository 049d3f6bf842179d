"""Attack: notifications that are not ours to act on.

The queue's policy lets SP-API's notifications account send to it, and that account sends for every
application: a notification whose notificationMetadata.applicationId is not our application's must start
nothing and write nothing. A notification that names another selling partner than the one a report was
requested for must store nothing under either: the report is recorded FAILED ("seller mismatch").
"""

from __future__ import annotations

import json

from sp_reports.pipeline.report_records import ReportStatus
from tests.support.reliability import DOCUMENT, check_output_for_secrets, notification_messages

OTHER_APPLICATION = "amzn1.sellerapps.app.0badc0de-0000-4000-8000-000000000000"
OTHER_SELLER = "A2OTHERSELLER0X"


def _metric(out: str, name: str) -> float:
    total = 0.0
    for line in out.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document and name in document:
            values = document[name]
            total += sum(values if isinstance(values, list) else [values])
    return total


def _processor_of_our_application(pipeline, load_handler, body: str):
    ours = json.loads(body)["notificationMetadata"]["applicationId"]
    return load_handler(
        "notifications_processor",
        STATE_MACHINE_ARN=pipeline.workflow.state_machine_arn,
        SPAPI_APPLICATION_ID=ours,
    )


def test_a_foreign_applications_notification_starts_nothing_and_writes_nothing(
    report_pipeline, load_handler, lambda_context, capsys, attack_results
):
    pipeline = report_pipeline
    report_id = pipeline.request_report()
    pipeline.emulator.finish_report(report_id, "DONE", DOCUMENT)
    (body,) = pipeline.notification_bodies(report_id)
    processor = _processor_of_our_application(pipeline, load_handler, body)
    before = pipeline.records.get(report_id)
    foreign = json.loads(body)
    foreign["notificationMetadata"]["applicationId"] = OTHER_APPLICATION
    # A report nobody requested, announced for the other application: not even recorded.
    stranger = notification_messages.notification("99999999999")
    stranger["notificationMetadata"]["applicationId"] = OTHER_APPLICATION

    answer = processor.handler(notification_messages.sqs_event(foreign, stranger), lambda_context)

    assert answer == {"batchItemFailures": []}
    assert pipeline.executions_of(report_id) == [] and pipeline.workflow.executions() == []
    assert pipeline.records.get(report_id) == before  # not even UpdatedAt moved
    assert pipeline.records.get("99999999999") is None
    assert pipeline.stored_objects() == []
    out = check_output_for_secrets(capsys)
    assert _metric(out, "ForeignApplicationNotifications") == 2
    # Our own notification of the same report goes through.
    assert processor.handler(notification_messages.sqs_event(body), lambda_context) == {
        "batchItemFailures": []
    }
    (execution,) = pipeline.executions_of(report_id)
    assert pipeline.workflow.wait(execution["executionArn"], timeout=120)["status"] == "SUCCEEDED"
    assert len(pipeline.stored_objects()) == 1
    lost = pipeline.lost_reports()
    assert lost == 0
    attack_results.record(
        "8-foreign-application",
        attack="Another SP-API application's notifications on our queue (SP-API's sending account is shared)",
        cases=2,
        outcome="dropped and counted before any write: 0 executions, 0 records, 0 objects; ours still stored",
        lost=lost,
    )


def test_a_notification_naming_another_seller_stores_nothing_and_the_report_is_failed(
    report_pipeline, load_handler, lambda_context, capsys, attack_results
):
    pipeline = report_pipeline
    report_id = pipeline.request_report()
    pipeline.emulator.finish_report(report_id, "DONE", DOCUMENT)
    (body,) = pipeline.notification_bodies(report_id)
    processor = _processor_of_our_application(pipeline, load_handler, body)
    mismatched = json.loads(body)
    report = mismatched["payload"]["reportProcessingFinishedNotification"]
    report["sellerId"] = OTHER_SELLER
    report["accountId"] = f"amzn1.merchant.o.{OTHER_SELLER}"

    answer = processor.handler(notification_messages.sqs_event(mismatched), lambda_context)

    assert answer == {"batchItemFailures": []}
    assert pipeline.workflow.executions() == []
    assert pipeline.stored_objects() == []
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and record.failure_reason.startswith("seller mismatch")
    assert record.s3_key is None
    out = check_output_for_secrets(capsys)
    assert _metric(out, "SellerMismatchesQuarantined") == 1
    # The report stays quarantined: its genuine notification, delivered later, stores nothing either.
    assert processor.handler(notification_messages.sqs_event(body), lambda_context) == {
        "batchItemFailures": []
    }
    assert pipeline.workflow.executions() == [] and pipeline.stored_objects() == []
    lost = pipeline.lost_reports(emails=0)
    assert lost == 0
    attack_results.record(
        "8-token-under-another-seller",
        attack="Token under another seller: SP-API announces the report for the token's own seller",
        cases=2,
        outcome="FAILED 'seller mismatch'; nothing stored under either seller, nor on later notifications",
        lost=lost,
    )
