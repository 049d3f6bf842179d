"""Attack 3: AWS fails underneath the pipeline.

Faults are injected at the SDK boundary of the real clients the handlers hold: a `before-send` hook answers
an HTTP 500 in place of S3 (so botocore's own retries run, as against real S3), and `before-call` hooks
answer service errors (KMS AccessDenied, SNS InternalError) before any request leaves. DynamoDB's
conditional failures are real ones: moto evaluates the condition against a record another writer changed.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse

from sp_reports.pipeline.report_records import ReportStatus
from sp_reports_harness.local_aws.moto_internals import MockRawResponse
from tests.support.canaries import SELLER_ID
from tests.support.reliability import DOCUMENT, REPORT_TYPE, api_events, check_output_for_secrets

BIG_DOCUMENT = DOCUMENT * 160  # about 12 MiB: three 5 MiB parts


def answer_error(client: Any, operation: str, code: str, status: int, times: int | None) -> list[int]:
    """The next `times` calls (None: all) of `operation` on `client` fail with `code`; returns a counter."""
    failures: list[int] = []

    def before_call(**kwargs: Any) -> Any:
        if times is not None and len(failures) >= times:
            return None
        failures.append(1)
        parsed = {
            "Error": {"Code": code, "Message": f"{code} injected by the reliability suite"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return SimpleNamespace(status_code=status, headers={}), parsed

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"before-call.{service}.{operation}", before_call)
    return failures


def fail_upload_part(s3_client: Any, part_number: int, times: int | None) -> list[int]:
    """UploadPart of `part_number` answers HTTP 500 InternalError `times` times (None: always): botocore
    retries it exactly as it would against S3."""
    failures: list[int] = []
    body = b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"

    def before_send(request: Any, **kwargs: Any) -> Any:
        if f"partNumber={part_number}&" not in request.url + "&":
            return None
        if times is not None and len(failures) >= times:
            return None
        failures.append(1)
        return AWSResponse(request.url, 500, {}, MockRawResponse(body))

    s3_client.meta.events.register_first("before-send.s3.UploadPart", before_send)
    return failures


@pytest.fixture
def no_sdk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore's retry backoff (up to seconds) is the only sleep in botocore.endpoint.
    monkeypatch.setattr(
        botocore.endpoint, "time", SimpleNamespace(sleep=lambda seconds: None, time=time.time)
    )


def _report_key(report_id: str) -> str:
    return f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"


def test_s3_part_failing_transiently_is_retried_and_the_report_stored_whole(
    report_pipeline, no_sdk_backoff, capsys, attack_results
):
    pipeline = report_pipeline
    failures = fail_upload_part(pipeline.workflow.storer.s3, part_number=2, times=2)
    report_id = pipeline.request_report()
    execution = pipeline.run(report_id, "DONE", BIG_DOCUMENT)
    assert execution["status"] == "SUCCEEDED"
    assert len(failures) == 2  # part 2 failed twice and was sent again by the SDK
    stored = boto3.client("s3").get_object(
        Bucket=pipeline.workflow.resources.bucket, Key=_report_key(report_id)
    )
    assert stored["Body"].read() == BIG_DOCUMENT
    assert pipeline.records.get(report_id).status is ReportStatus.DONE
    assert pipeline.open_uploads() == []
    assert len(pipeline.emails_about(report_id)) == 1
    check_output_for_secrets(capsys)
    attack_results.record(
        "3-aws-s3-transient",
        attack="AWS fault: S3 UploadPart 500 twice mid-upload",
        cases=len(failures),
        outcome="retried by the SDK; object stored whole; 1 'ready' email",
        lost=pipeline.lost_reports(),
    )


def test_s3_failing_halfway_for_good_aborts_the_upload_and_records_the_failure(
    report_pipeline, no_sdk_backoff, capsys, attack_results
):
    pipeline = report_pipeline
    failures = fail_upload_part(pipeline.workflow.storer.s3, part_number=2, times=None)
    report_id = pipeline.request_report()
    execution = pipeline.run(report_id, "DONE", BIG_DOCUMENT)
    assert execution["status"] == "SUCCEEDED"  # the failure path ran to its end
    assert len(failures) >= 2  # the SDK retried before giving up
    assert pipeline.stored_objects() == []  # no partial object
    assert pipeline.open_uploads() == []  # aborted: no orphan parts billed
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and "InternalError" in record.failure_reason
    (email,) = pipeline.emails_about(report_id)
    assert email["subject"].endswith("failed")
    pipeline.assert_no_secret_in_history(execution)
    check_output_for_secrets(capsys)
    attack_results.record(
        "3-aws-s3-permanent",
        attack="AWS fault: S3 UploadPart 500 on every try of part 2",
        cases=len(failures),
        outcome="upload aborted, no partial object, FAILED + 1 'failed' email",
        lost=pipeline.lost_reports(),
    )


def test_kms_decrypt_denied_in_the_workflow_is_a_recorded_failure(report_pipeline, capsys, attack_results):
    pipeline = report_pipeline
    kms = pipeline.workflow.storer.spapi_clients.tokens._store._kms
    failures = answer_error(kms, "Decrypt", "AccessDeniedException", 400, times=None)
    report_id = pipeline.request_report()
    execution = pipeline.run(report_id, "DONE", DOCUMENT)
    assert execution["status"] == "SUCCEEDED"
    assert failures, "the storer never needed the seller's token"
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and "AccessDeniedException" in record.failure_reason
    assert len(pipeline.emails_about(report_id)) == 1 and pipeline.stored_objects() == []
    pipeline.assert_no_secret_in_history(execution)
    check_output_for_secrets(capsys)
    attack_results.record(
        "3-aws-kms-workflow",
        attack="AWS fault: KMS Decrypt denied (token read in the workflow)",
        cases=1,
        outcome="FAILED (AccessDeniedException) + 1 'failed' email",
        lost=pipeline.lost_reports(),
    )


def test_kms_decrypt_denied_at_the_api_answers_500_without_writing_or_calling_spapi(
    report_pipeline, spapi_emulator, capsys, attack_results
):
    pipeline = report_pipeline
    answer_error(
        pipeline.creator.spapi_clients.tokens._store._kms, "Decrypt", "AccessDeniedException", 400, None
    )
    exchanges = len(spapi_emulator.exchanges)
    body = {
        "SellerId": SELLER_ID,
        "RegionCode": "NA",
        "ReportType": REPORT_TYPE,
        "MarketplaceIds": "ATVPDKIKX0DER",
    }
    response = pipeline.creator.handler(
        api_events.api_event("POST", "/reports", body), pipeline.lambda_context
    )
    assert response["statusCode"] == 500
    error = json.loads(response["body"])["error"]
    assert error["code"] == "InternalError" and "Traceback" not in error["message"]
    assert len(spapi_emulator.exchanges) == exchanges
    table = pipeline.workflow.resources.reports_table
    assert boto3.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"] == 0
    check_output_for_secrets(capsys)
    attack_results.record(
        "3-aws-kms-api",
        attack="AWS fault: KMS Decrypt denied at POST /reports",
        cases=1,
        outcome="500 InternalError (no detail); no record, no SP-API call",
        lost=None,
    )


def test_dynamodb_refusing_the_record_after_create_report_still_stores_the_report(
    report_pipeline, capsys, attack_results
):
    """SP-API accepted the report, then every PutItem of the record fails (DynamoDB throttling past the
    SDK's retries): the caller gets the report id, and the report ends stored with its one email."""
    pipeline = report_pipeline
    failures = answer_error(
        pipeline.creator.dynamodb, "PutItem", "ProvisionedThroughputExceededException", 400, None
    )
    report_id = pipeline.request_report()  # 202 with the report id
    assert failures and pipeline.records.get(report_id) is None
    execution = pipeline.run(report_id, "DONE")
    assert execution["status"] == "SUCCEEDED"
    record = pipeline.records.get(report_id)
    assert record.requested and record.status is ReportStatus.DONE
    assert record.s3_key == _report_key(report_id) and record.s3_key in pipeline.stored_objects()
    assert len(pipeline.emails_about(report_id)) == 1
    check_output_for_secrets(capsys)
    attack_results.record(
        "3-aws-dynamodb-record-after-create",
        attack="AWS fault: DynamoDB refuses the report record after SP-API accepted the report",
        cases=len(failures),
        outcome="202 with the report id; recorded from its intent on notification; stored + 1 email",
        lost=pipeline.lost_reports(),
    )


def test_report_finishing_while_its_notification_is_processed_starts_nothing(
    report_pipeline, capsys, attack_results
):
    """A real DynamoDB conditional failure: between the processor reading the record and marking it
    PROCESSING, another writer finishes the report; moto refuses the conditional update."""
    pipeline = report_pipeline
    report_id = pipeline.request_report()
    pipeline.emulator.finish_report(report_id, "DONE", DOCUMENT)
    records = pipeline.processor.notification_processor._records
    dynamodb = records._dynamodb
    conditional_failures: list[str] = []

    def finish_first(**kwargs: Any) -> None:
        if not conditional_failures:
            conditional_failures.append("armed")
            pipeline.records.mark_finished(report_id, ReportStatus.CANCELLED, notified=True)

    dynamodb.meta.events.register_first("before-call.dynamodb.UpdateItem", finish_first)
    answer = pipeline.deliver(report_id)
    assert answer == {"batchItemFailures": []}  # handled, not retried: the report already has its outcome
    assert pipeline.executions_of(report_id) == []
    assert pipeline.records.get(report_id).status is ReportStatus.CANCELLED
    check_output_for_secrets(capsys)
    attack_results.record(
        "3-aws-dynamodb-conditional",
        attack="AWS fault: DynamoDB conditional update refused (record finished concurrently)",
        cases=1,
        outcome="notification settled, no second execution, status kept",
        lost=0 if pipeline.records.get(report_id).is_terminal else 1,
    )


@pytest.mark.parametrize("times", [2, None], ids=["twice", "always"])
def test_sns_publish_failure_is_retried_or_fails_the_execution_loudly(
    report_pipeline, times, capsys, attack_results
):
    pipeline = report_pipeline
    failures = answer_error(pipeline.workflow.notifier.sns, "Publish", "InternalError", 500, times)
    report_id = pipeline.request_report()
    execution = pipeline.run(report_id, "DONE", DOCUMENT)
    pipeline.assert_nothing_stuck()
    stored = boto3.client("s3").get_object(
        Bucket=pipeline.workflow.resources.bucket, Key=_report_key(report_id)
    )
    assert stored["Body"].read() == DOCUMENT  # the report itself is safe either way
    record = pipeline.records.get(report_id)
    if times is not None:
        assert execution["status"] == "SUCCEEDED"
        assert len(failures) == times and len(pipeline.emails_about(report_id)) == 1
        assert record.status is ReportStatus.DONE
        outcome = "retried by the workflow; 1 'ready' email"
        lost = pipeline.lost_reports()
    else:
        # No email can be sent: the execution fails (ExecutionsFailed alarm, see the least-privilege and
        # alarm tests) instead of claiming an outcome nobody was told about.
        assert execution["status"] == "FAILED"
        assert pipeline.emails_about(report_id) == []
        assert record.status is not ReportStatus.DONE and not record.notified_at
        outcome = "execution FAILED (ExecutionsFailed alarm); report kept in S3, not marked notified"
        # Not lost: the object is stored and the failed execution raises the alarm.
        lost = 0 if execution["status"] == "FAILED" and pipeline.stored_objects() else 1
    pipeline.assert_no_secret_in_history(execution)
    check_output_for_secrets(capsys)
    attack_results.record(
        f"3-aws-sns-{'transient' if times else 'permanent'}",
        attack=f"AWS fault: SNS Publish fails {'twice' if times else 'always'}",
        cases=len(failures),
        outcome=outcome,
        lost=lost,
    )
