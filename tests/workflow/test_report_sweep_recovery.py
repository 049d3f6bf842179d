"""The sweep end to end: a report whose notification never arrives is found with getReports, stored once and
emailed once; a notification that arrives after the sweep, or a second sweep, changes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.token_store import TokenStore
from spapi_emulator import state as emulator_state
from tests.support import api_events
from tests.support import notification_messages as messages
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets
from tests.support.lambda_testing import sleep_on_virtual_time

REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE"
DOCUMENT = b"".join(b"sku-%05d\tItem %05d\t%d.99\n" % (n, n, n % 100) for n in range(500))


def _context() -> SimpleNamespace:
    """A scheduled invocation's context, with the sweeper's ten minutes ahead of it."""
    return SimpleNamespace(
        function_name="sp-reports-report-sweeper",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sp-reports-report-sweeper",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 600_000,
    )


# What EventBridge Scheduler sends a Lambda target when the schedule sets no Input: the schedule's payload is
# the target's input as given; the sweeper reads nothing from it.
SCHEDULED_EVENT: dict = {}


@pytest.fixture
def sweep_pipeline(workflow, spapi_emulator, load_handler, lambda_context):
    spapi_emulator.app.config.auto_advance = False
    resources = workflow.resources
    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)

    class SweepPipeline:
        creator = load_handler("report_creator")
        processor = load_handler("notifications_processor", STATE_MACHINE_ARN=workflow.state_machine_arn)
        records = ReportRecords(resources.reports_table, boto3.client("dynamodb"))

        def request_report(self) -> str:
            body = {
                "SellerId": SELLER_ID,
                "RegionCode": "NA",
                "ReportType": REPORT_TYPE,
                "MarketplaceIds": "ATVPDKIKX0DER",
            }
            response = self.creator.handler(api_events.api_event("POST", "/reports", body), lambda_context)
            assert response["statusCode"] == 202, response["body"]
            return json.loads(response["body"])["reportId"]

        def sweeper(self, **environment: str):
            module = load_handler(
                "report_sweeper", STATE_MACHINE_ARN=workflow.state_machine_arn, **environment
            )
            sleep_on_virtual_time(module.spapi_clients.http("NA"))
            return module

        def deliver_late_notification(self, report_id: str, document_id: str | None) -> None:
            body = messages.notification(report_id, "DONE", report_document_id=document_id)
            answer = self.processor.handler(messages.sqs_event(body), lambda_context)
            assert answer == {"batchItemFailures": []}

        def executions_of(self, report_id: str) -> list[str]:
            return [e["executionArn"] for e in workflow.executions() if report_id in e["name"]]

    return SweepPipeline()


def test_a_dropped_notification_is_recovered_by_the_sweep_one_object_one_email(
    sweep_pipeline, workflow, spapi_emulator, capsys
):
    report_id = sweep_pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)  # its notification is lost: nobody delivers it
    sweeper = sweep_pipeline.sweeper()

    answer = sweeper.handler(SCHEDULED_EVENT, _context())

    assert answer["ReportsRecoveredBySweep"] == 1 and answer["StoppedEarly"] is False
    (execution_arn,) = sweep_pipeline.executions_of(report_id)
    execution = workflow.wait(execution_arn)
    assert execution["status"] == "SUCCEEDED" and execution["name"] == f"report-{report_id}"
    key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"
    listed = boto3.client("s3").list_objects_v2(Bucket=workflow.resources.bucket)["Contents"]
    assert [item["Key"] for item in listed] == [key]
    assert boto3.client("s3").get_object(Bucket=workflow.resources.bucket, Key=key)["Body"].read() == DOCUMENT
    (email,) = workflow.emails()
    assert report_id in email["message"]
    assert sweep_pipeline.records.get(report_id).status is ReportStatus.DONE
    out = capsys.readouterr().out
    assert '"ReportsRecoveredBySweep"' in out and f'"report_id":"{report_id}"' in out
    assert_no_secrets(out)

    # The next run finds the report done: nothing is started, stored or sent again.
    again = sweeper.handler(SCHEDULED_EVENT, _context())
    assert again["ReportsRecoveredBySweep"] == 0
    assert len(sweep_pipeline.executions_of(report_id)) == 1 and len(workflow.emails()) == 1


def test_a_notification_delivered_after_the_sweep_started_the_workflow_does_nothing_twice(
    sweep_pipeline, workflow, spapi_emulator
):
    report_id = sweep_pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    document_id = spapi_emulator.app.state.reports[report_id].report_document_id
    sweep_pipeline.sweeper().handler(SCHEDULED_EVENT, _context())
    (execution_arn,) = sweep_pipeline.executions_of(report_id)

    # The late notification arrives while the sweep's execution may still run, and again after it ended.
    sweep_pipeline.deliver_late_notification(report_id, document_id)
    workflow.wait(execution_arn)
    sweep_pipeline.deliver_late_notification(report_id, document_id)

    assert sweep_pipeline.executions_of(report_id) == [execution_arn]
    assert len(workflow.lambdas.calls_of("sp-reports-report-storer")) == 1
    assert len(workflow.emails()) == 1
    listed = boto3.client("s3").list_objects_v2(Bucket=workflow.resources.bucket)["Contents"]
    assert len(listed) == 1


def test_a_notification_processed_first_leaves_the_sweep_nothing_to_do(
    sweep_pipeline, workflow, spapi_emulator
):
    report_id = sweep_pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    document_id = spapi_emulator.app.state.reports[report_id].report_document_id
    sweep_pipeline.deliver_late_notification(report_id, document_id)
    (execution_arn,) = sweep_pipeline.executions_of(report_id)
    # The sweep runs while the notification's execution may still run, and after.
    first = sweep_pipeline.sweeper().handler(SCHEDULED_EVENT, _context())
    workflow.wait(execution_arn)
    second = sweep_pipeline.sweeper().handler(SCHEDULED_EVENT, _context())
    assert first["ReportsRecoveredBySweep"] == 0 and second["ReportsRecoveredBySweep"] == 0
    assert sweep_pipeline.executions_of(report_id) == [execution_arn] and len(workflow.emails()) == 1


def _settlement_report(spapi_emulator) -> str:
    """An Amazon-generated settlement report: nobody can request it, it just appears (docs#1633)."""
    app = spapi_emulator.app
    report_id = app.state.next_report_id()
    app.add_report(
        emulator_state.Report(
            report_id=report_id,
            seller_id=SELLER_ID,
            report_type=SETTLEMENT,
            marketplace_ids=["ATVPDKIKX0DER"],
            created=app.now() - timedelta(minutes=1),
            created_mono=app.monotonic(),
        )
    )
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    return report_id


def test_settlement_reports_are_stored_only_when_opted_into(sweep_pipeline, workflow, spapi_emulator):
    sweep_pipeline.request_report()  # the seller uses our API in NA, so the sweep knows the region
    report_id = _settlement_report(spapi_emulator)

    by_default = sweep_pipeline.sweeper().handler(SCHEDULED_EVENT, _context())
    assert by_default["ReportsRecoveredBySweep"] == 0 and sweep_pipeline.executions_of(report_id) == []
    assert sweep_pipeline.records.get(report_id) is None  # nothing written for a report that is not ours

    opted_in = sweep_pipeline.sweeper(SWEEP_AMAZON_GENERATED_REPORT_TYPES=SETTLEMENT)
    answer = opted_in.handler(SCHEDULED_EVENT, _context())
    assert answer["ReportsRecoveredBySweep"] == 1
    (execution_arn,) = sweep_pipeline.executions_of(report_id)
    assert workflow.wait(execution_arn)["status"] == "SUCCEEDED"
    key = f"{SELLER_ID}/{SETTLEMENT}/{report_id}/report.tsv"
    assert boto3.client("s3").get_object(Bucket=workflow.resources.bucket, Key=key)["Body"].read() == DOCUMENT
    record = sweep_pipeline.records.get(report_id)
    assert record.status is ReportStatus.DONE and not record.requested
