"""The report workflow end to end: API → SP-API (emulator) → notification → processor → Step Functions (moto,
executing the ASL file) → storer and notifier (real handlers in-process) → S3, SNS email, reports table."""

from __future__ import annotations

import io
import json
import re

import boto3
import pyarrow.parquet
import pytest
import requests
from botocore.exceptions import ClientError

from sp_reports.pipeline import report_document_storer
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.token_store import TokenStore
from sp_reports_harness.local_aws import delivered_messages
from sp_reports_harness.local_aws.stepfunctions.lambda_faults import LAMBDA_SERVICE_ERRORS
from tests.support import api_events, notification_messages
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets

REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
DOCUMENT = b"".join(b"sku-%05d\tItem %05d\t%d.99\n" % (n, n, n % 100) for n in range(2000))
URL = re.compile(r"https?://\S+")
GZIPPED_LIMIT = 6 * 1024 * 1024  # MAX_DOCUMENT_BYTES above the gzipped download, below the document


@pytest.fixture
def pipeline(workflow, spapi_emulator, load_handler, lambda_context):
    """Seller authorised and subscribed; reports can be requested and their notifications processed."""
    spapi_emulator.app.config.auto_advance = False  # each test finishes its report explicitly
    resources = workflow.resources
    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)
    subscriber = load_handler("notifications_subscriber")
    subscribed = subscriber.handler(
        api_events.api_event("POST", "/notifications", {"SellerId": SELLER_ID, "RegionCode": "NA"}),
        lambda_context,
    )
    assert subscribed["statusCode"] == 200, subscribed["body"]

    class Pipeline:
        # A deployment that stores restricted report types (root allow_restricted_report_types).
        creator = load_handler("report_creator", ALLOW_RESTRICTED_REPORT_TYPES="true")
        processor = load_handler("notifications_processor", STATE_MACHINE_ARN=workflow.state_machine_arn)
        records = ReportRecords(resources.reports_table, boto3.client("dynamodb"))

        def request_report(self, report_type: str = REPORT_TYPE) -> str:
            body = {
                "SellerId": SELLER_ID,
                "RegionCode": "NA",
                "ReportType": report_type,
                "MarketplaceIds": "ATVPDKIKX0DER",
            }
            response = self.creator.handler(api_events.api_event("POST", "/reports", body), lambda_context)
            assert response["statusCode"] == 202, response["body"]
            return json.loads(response["body"])["reportId"]

        def deliver_notifications(self, report_id: str) -> list[str]:
            """Feed SP-API's notifications for the report to the processor; returns the execution ARNs."""
            bodies = [
                sent.body
                for sent in spapi_emulator.sent_notifications
                if sent.message["payload"]["reportProcessingFinishedNotification"]["reportId"] == report_id
            ]
            assert bodies, f"SP-API sent no notification for report {report_id}"
            sqs_event = notification_messages.sqs_event(*bodies)
            assert self.processor.handler(sqs_event, lambda_context) == {"batchItemFailures": []}
            return [e["executionArn"] for e in workflow.executions() if e["name"] == f"report-{report_id}"]

        def run(
            self, status: str, document: bytes | None = None, report_type: str = REPORT_TYPE
        ) -> tuple[str, dict]:
            report_id = self.request_report(report_type)
            spapi_emulator.finish_report(report_id, status, document)
            (execution_arn,) = self.deliver_notifications(report_id)
            return report_id, workflow.wait(execution_arn)

    return Pipeline()


def _states_entered(workflow, execution_arn) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in workflow.history(execution_arn)
        if event["type"].endswith("StateEntered")
    ]


def _assert_history_holds_no_secrets(workflow, execution: dict) -> None:
    history = json.dumps(workflow.history(execution["executionArn"]), default=str)
    assert_no_secrets(history + json.dumps(execution, default=str))
    assert "X-Amz-Signature" not in history and "/documents/" not in history


EMAILED_LINKS = {"EMAIL_DOWNLOAD_LINKS": "true"}  # root email_download_links = true


@pytest.mark.parametrize("workflow_environment", [EMAILED_LINKS])
def test_done_report_is_stored_emailed_with_a_working_link_and_recorded_done(pipeline, workflow, capsys):
    report_id, execution = pipeline.run("DONE", DOCUMENT)
    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"]) == [
        "RouteByProcessingStatus",
        "StoreReport",
        "ConvertReport",
        "NotifyReady",
    ]
    key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"
    s3 = boto3.client("s3")
    stored = s3.get_object(Bucket=workflow.resources.bucket, Key=key)
    assert stored["Body"].read() == DOCUMENT  # gunzipped on the way
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["Metadata"]["report-id"] == report_id and stored["Metadata"]["seller-id"] == SELLER_ID

    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.DONE and record.notified_at
    assert (record.s3_key, record.object_size) == (key, len(DOCUMENT))

    (email,) = workflow.emails()
    assert email["subject"] == f"SP-API report {REPORT_TYPE} is ready to download"
    for expected in (
        SELLER_ID,
        report_id,
        "ATVPDKIKX0DER (US)",
        "Status:",
        "DONE",
        f"s3://{workflow.resources.bucket}/{key}",
    ):
        assert expected in email["message"]
    (link,) = URL.findall(email["message"])
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=3600" in link
    assert requests.get(link, timeout=5).content == DOCUMENT

    output = json.loads(execution["output"])
    assert output["notification"] == {
        "reportId": report_id,
        "status": "DONE",
        "emailSent": True,
        "confirmedRecipients": 1,
    }
    assert record.outcome_recipients == 1 and record.outcome_published_at == record.notified_at
    (delivered,) = delivered_messages(workflow.resources.topic_arn, workflow.resources.email_subscriber)
    assert delivered.subject == email["subject"]
    _assert_history_holds_no_secrets(workflow, execution)
    assert_no_secrets(capsys.readouterr().out)


def test_by_default_the_ready_email_names_the_report_and_the_command_that_fetches_it_not_a_link(
    pipeline, workflow, capsys
):
    report_id, execution = pipeline.run("DONE", DOCUMENT)
    assert execution["status"] == "SUCCEEDED"
    (email,) = workflow.emails()
    key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"
    for expected in (SELLER_ID, REPORT_TYPE, report_id, f"s3://{workflow.resources.bucket}/{key}"):
        assert expected in email["message"]
    assert f"sp-reports reports get {report_id}" in email["message"]
    assert URL.findall(email["message"]) == [] and "X-Amz-" not in email["message"]
    assert not workflow.notifier.sts.created  # nothing signed, no signer session assumed
    assert pipeline.records.get(report_id).status is ReportStatus.DONE


def test_report_status_api_shows_the_stored_report(pipeline, workflow, load_handler, lambda_context):
    report_id, _ = pipeline.run("DONE", DOCUMENT)
    status = load_handler("report_status")
    event = api_events.api_event("GET", f"/reports/{report_id}", path_parameters={"reportId": report_id})
    body = json.loads(status.handler(event, lambda_context)["body"])
    assert body["status"] == "DONE" and body["s3"]["size"] == len(DOCUMENT)
    assert requests.get(body["downloadUrl"], timeout=5).content == DOCUMENT


def test_duplicate_notifications_after_completion_store_and_email_nothing_more(
    pipeline, workflow, spapi_emulator
):
    report_id, execution = pipeline.run("DONE", DOCUMENT)
    assert execution["status"] == "SUCCEEDED"
    calls_before = len(workflow.lambdas.invocations)
    # SP-API redelivers the same notification (it has been seen ten times).
    for _ in range(3):
        pipeline.deliver_notifications(report_id)
    assert len(workflow.executions()) == 1
    assert len(workflow.lambdas.invocations) == calls_before
    assert len(workflow.emails()) == 1


def test_rerun_of_a_stored_report_rewrites_nothing_and_sends_no_second_email(pipeline, workflow):
    _report_id, execution = pipeline.run("DONE", DOCUMENT)
    original_input = json.loads(execution["input"])
    rerun = workflow.wait(workflow.start(original_input))
    assert rerun["status"] == "SUCCEEDED"
    (storer_output,) = [
        json.loads(e["lambdaFunctionSucceededEventDetails"]["output"])
        for e in workflow.history(rerun["executionArn"])
        if e["type"] == "LambdaFunctionSucceeded"
        and "alreadyStored" in e["lambdaFunctionSucceededEventDetails"]["output"]
    ]
    assert storer_output["alreadyStored"] is True
    assert json.loads(rerun["output"])["notification"]["emailSent"] is False
    assert len(workflow.emails()) == 1


def test_an_outcome_nobody_could_receive_is_recorded_as_such_and_sent_again_once_confirmed(
    pipeline, workflow, capsys
):
    # The address subscribed again and has not followed SNS's confirmation link yet.
    sns = boto3.client("sns")
    topic_arn, address = workflow.resources.topic_arn, workflow.resources.email_subscriber
    for subscription in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=address)

    report_id, execution = pipeline.run("DONE", DOCUMENT)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["notification"]["confirmedRecipients"] == 0
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.DONE
    assert record.outcome_published_at and record.outcome_recipients == 0
    assert record.notified_at is None  # published, but no confirmed recipient
    assert delivered_messages(topic_arn, address) == []
    assert '"OutcomesWithoutConfirmedRecipient"' in capsys.readouterr().out

    workflow.confirm_email_subscriptions()
    rerun = workflow.wait(workflow.start(json.loads(execution["input"])))
    assert json.loads(rerun["output"])["notification"]["confirmedRecipients"] == 1
    (delivered,) = delivered_messages(topic_arn, address)
    assert "is ready to download" in delivered.subject
    assert f"sp-reports reports get {report_id}" in delivered.body_for("email")
    record = pipeline.records.get(report_id)
    assert record.notified_at and record.outcome_recipients == 1

    third = workflow.wait(workflow.start(json.loads(execution["input"])))
    assert json.loads(third["output"])["notification"]["emailSent"] is False  # somebody has it now
    assert len(delivered_messages(topic_arn, address)) == 1


def test_cancelled_report_emails_no_data_and_records_cancelled(pipeline, workflow):
    report_id, execution = pipeline.run("CANCELLED")
    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"]) == ["RouteByProcessingStatus", "NotifyNoData"]
    assert pipeline.records.get(report_id).status is ReportStatus.CANCELLED
    (email,) = workflow.emails()
    assert email["subject"] == f"SP-API report {REPORT_TYPE} has no data"
    assert "nothing was stored" in email["message"]
    assert boto3.client("s3").list_objects_v2(Bucket=workflow.resources.bucket)["KeyCount"] == 0


def test_fatal_report_stores_the_error_document_and_emails_its_reason(pipeline, workflow):
    error_document = json.dumps({"errorDetails": "The date range exceeds the 30 days this report allows."})
    report_id, execution = pipeline.run("FATAL", error_document.encode())
    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"]) == [
        "RouteByProcessingStatus",
        "StoreErrorDocument",
        "NotifyFailed",
    ]
    key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/error.json"
    assert boto3.client("s3").get_object(Bucket=workflow.resources.bucket, Key=key)["Body"].read() == (
        error_document.encode()
    )
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED
    assert "exceeds the 30 days" in record.failure_reason
    (email,) = workflow.emails()
    assert email["subject"] == f"SP-API report {REPORT_TYPE} failed"
    assert "exceeds the 30 days" in email["message"]
    assert not URL.search(email["message"])


def test_fatal_report_without_a_document_goes_straight_to_failed(pipeline, workflow):
    report_id, execution = pipeline.run("FATAL")
    assert _states_entered(workflow, execution["executionArn"]) == ["RouteByProcessingStatus", "NotifyFailed"]
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and "no error document" in record.failure_reason


def test_unknown_processing_status_is_reported_as_failed(pipeline, workflow):
    report_id = pipeline.request_report()
    execution = workflow.wait(
        workflow.start(
            {
                "reportId": report_id,
                "sellerId": SELLER_ID,
                "accountId": "a",
                "regionCode": "NA",
                "reportType": REPORT_TYPE,
                "processingStatus": "IN_PROGRESS",
            }
        )
    )
    assert _states_entered(workflow, execution["executionArn"]) == [
        "RouteByProcessingStatus",
        "RejectUnknownProcessingStatus",
        "NotifyFailed",
    ]
    assert pipeline.records.get(report_id).failure_reason.startswith("UnknownProcessingStatus")


def test_missing_processing_status_is_reported_as_failed_not_a_runtime_error(pipeline, workflow):
    # On AWS a Choice comparison on a missing field fails the execution (States.Runtime, uncatchable): the
    # report would stay PROCESSING with nobody told. The Choice tests presence first.
    report_id = pipeline.request_report()
    execution = workflow.wait(
        workflow.start(
            {"reportId": report_id, "sellerId": SELLER_ID, "regionCode": "NA", "reportType": REPORT_TYPE}
        )
    )
    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"]) == [
        "RouteByProcessingStatus",
        "RejectUnknownProcessingStatus",
        "NotifyFailed",
    ]
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED
    assert record.failure_reason.startswith("UnknownProcessingStatus")
    (email,) = workflow.emails()
    assert "failed" in email["subject"]


def test_a_failed_execution_is_reported_by_the_next_delivery_instead_of_blocking_the_report(
    pipeline, workflow, spapi_emulator, monkeypatch
):
    report_id = pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    sns = workflow.notifier.sns
    real_publish = sns.publish

    def publish_down(**kwargs):
        error = {"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}
        raise ClientError(error, "Publish")

    monkeypatch.setattr(sns, "publish", publish_down)
    (execution_arn,) = pipeline.deliver_notifications(report_id)
    assert workflow.wait(execution_arn)["status"] == "FAILED"  # even NotifyFailed could not email
    assert pipeline.records.get(report_id).status is ReportStatus.PROCESSING
    assert workflow.emails() == []

    monkeypatch.setattr(sns, "publish", real_publish)  # SNS is back; SP-API delivers the notification again
    pipeline.deliver_notifications(report_id)
    (reporting,) = [e for e in workflow.executions() if e["name"] == f"failure-report-{report_id}"]
    reported = workflow.wait(reporting["executionArn"])
    assert reported["status"] == "SUCCEEDED"
    assert _states_entered(workflow, reporting["executionArn"]) == ["RouteByProcessingStatus", "NotifyFailed"]
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED
    assert record.failure_reason.startswith(
        f"WorkflowExecutionFailed: the workflow execution report-{report_id} ended FAILED"
    )
    (email,) = workflow.emails()
    assert "failed" in email["subject"] and f"report-{report_id} ended FAILED" in email["message"]

    pipeline.deliver_notifications(report_id)  # a third delivery finds the outcome recorded
    assert len(workflow.executions()) == 2 and len(workflow.emails()) == 1
    _assert_history_holds_no_secrets(workflow, reported)


def test_spapi_throttling_is_retried_by_the_workflow_with_backoff(pipeline, workflow, spapi_emulator):
    report_id = pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    http = workflow.storer.spapi_clients.http("NA")
    # A seller whose plan for getReportDocument is one call a second (what x-amzn-RateLimit-Limit would say):
    # each 429's retry waits about a second for the bucket, so the storer spends all its attempts inside its
    # deadline. (At the documented 0.0167/s a single retry already takes a minute.)
    seller = workflow.storer.spapi_clients.lwa.seller_token_provider(REFRESH_TOKEN).rate_limit_partition
    http.rate_limiter.update_rate("getReportDocument", 1.0, seller)
    # Enough 429s to outlast the storer's own retries once: the workflow's Retry must take over.
    spapi_emulator.inject("getReportDocument", 429, times=http.max_attempts)
    (execution_arn,) = pipeline.deliver_notifications(report_id)
    execution = workflow.wait(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    failures = [
        e["lambdaFunctionFailedEventDetails"]["error"]
        for e in workflow.history(execution_arn)
        if e["type"] == "LambdaFunctionFailed"
    ]
    assert failures == ["SpApiThrottledError"]
    assert len(workflow.retry_sleeps) == 1 and 0 <= workflow.retry_sleeps[0] <= 30  # full jitter up to 30 s
    assert pipeline.records.get(report_id).status is ReportStatus.DONE
    assert len(workflow.emails()) == 1


@pytest.mark.parametrize("error", sorted(LAMBDA_SERVICE_ERRORS))
@pytest.mark.parametrize(
    "function", ["sp-reports-report-storer", "sp-reports-report-converter", "sp-reports-report-notifier"]
)
def test_lambda_service_errors_are_retried(pipeline, workflow, function, error):
    workflow.lambda_faults.inject(function, error, times=2)
    report_id, execution = pipeline.run("DONE", DOCUMENT)
    assert execution["status"] == "SUCCEEDED"
    assert workflow.lambda_faults.raised == [(function, error)] * 2
    assert workflow.retry_sleeps == [2, 4]  # IntervalSeconds 2, BackoffRate 2
    assert pipeline.records.get(report_id).status is ReportStatus.DONE
    assert len(workflow.emails()) == 1


@pytest.mark.parametrize("state", ["StoreReport", "StoreErrorDocument"])
def test_a_store_whose_answer_was_lost_is_retried_and_the_report_ends_stored_once(pipeline, workflow, state):
    # ClientExecutionTimeoutException: Step Functions' call to Lambda timed out, the function may have run.
    workflow.lambda_faults.inject(
        "sp-reports-report-storer", "Lambda.ClientExecutionTimeoutException", function_runs=True
    )
    status, document = ("DONE", DOCUMENT) if state == "StoreReport" else ("FATAL", b'{"errorDetails": "no"}')
    report_id, execution = pipeline.run(status, document)
    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"])[:2] == ["RouteByProcessingStatus", state]
    outputs = [
        json.loads(e["lambdaFunctionSucceededEventDetails"]["output"])
        for e in workflow.history(execution["executionArn"])
        if e["type"] == "LambdaFunctionSucceeded"
    ]
    stores = [output for output in outputs if "alreadyStored" in output]
    assert [store["alreadyStored"] for store in stores] == [True]  # the first run stored it, unseen
    assert boto3.client("s3").list_objects_v2(Bucket=workflow.resources.bucket)["KeyCount"] == 1
    record = pipeline.records.get(report_id)
    assert record.status is (ReportStatus.DONE if status == "DONE" else ReportStatus.FAILED)
    if status == "FATAL":
        assert "ClientExecutionTimeout" not in record.failure_reason  # the report's own reason, not ours
    assert len(workflow.emails()) == 1


def test_permanent_spapi_refusal_is_caught_recorded_and_emailed_as_failed(
    pipeline, workflow, spapi_emulator, capsys
):
    report_id = pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    spapi_emulator.inject("getReportDocument", 403, times=None)
    (execution_arn,) = pipeline.deliver_notifications(report_id)
    execution = workflow.wait(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution_arn) == [
        "RouteByProcessingStatus",
        "StoreReport",
        "NotifyFailed",
    ]
    assert workflow.retry_sleeps == []  # a 4xx is not worth retrying
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and record.failure_reason.startswith("SpApiClientError")
    (email,) = workflow.emails()
    assert "failed" in email["subject"] and "SpApiClientError" in email["message"]
    _assert_history_holds_no_secrets(workflow, execution)
    assert_no_secrets(capsys.readouterr().out)


def test_store_failure_halfway_through_a_multipart_upload_leaves_no_object_and_no_upload(
    pipeline, workflow, spapi_emulator, monkeypatch
):
    big_document = DOCUMENT * 160  # about 12 MiB: three 5 MiB parts
    report_id = pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", big_document)
    s3 = workflow.storer.s3
    real_upload_part = s3.upload_part

    def upload_part_failing_on_part_two(**kwargs):
        if kwargs["PartNumber"] == 2:
            raise ConnectionResetError("connection to S3 reset while uploading part 2")
        return real_upload_part(**kwargs)

    monkeypatch.setattr(s3, "upload_part", upload_part_failing_on_part_two)
    (execution_arn,) = pipeline.deliver_notifications(report_id)
    execution = workflow.wait(execution_arn)
    assert execution["status"] == "SUCCEEDED"  # the failure path ran to its end
    assert _states_entered(workflow, execution_arn) == [
        "RouteByProcessingStatus",
        "StoreReport",
        "NotifyFailed",
    ]
    bucket = workflow.resources.bucket
    assert boto3.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert boto3.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and "ConnectionResetError" in record.failure_reason


def test_s3_failing_beyond_the_sdk_retries_is_retried_by_the_workflow_and_stored_whole(
    pipeline, workflow, spapi_emulator, monkeypatch
):
    big_document = DOCUMENT * 160  # about 12 MiB: three 5 MiB parts
    report_id = pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", big_document)
    s3 = workflow.storer.s3
    real_upload_part = s3.upload_part
    failed = []

    def upload_part_failing_once_on_part_two(**kwargs):
        if kwargs["PartNumber"] == 2 and not failed:
            failed.append(kwargs["PartNumber"])
            raise ClientError(
                {"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
                "UploadPart",
            )
        return real_upload_part(**kwargs)

    monkeypatch.setattr(s3, "upload_part", upload_part_failing_once_on_part_two)
    (execution_arn,) = pipeline.deliver_notifications(report_id)
    execution = workflow.wait(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    errors = [
        e["lambdaFunctionFailedEventDetails"]["error"]
        for e in workflow.history(execution_arn)
        if e["type"] == "LambdaFunctionFailed"
    ]
    assert errors == ["ReportStorageError"]
    assert workflow.retry_sleeps == [5]  # IntervalSeconds 5 of the SP-API/S3 transient retrier
    bucket = workflow.resources.bucket
    (stored,) = boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    body = boto3.client("s3").get_object(Bucket=bucket, Key=stored["Key"])["Body"].read()
    assert body == big_document
    assert boto3.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert pipeline.records.get(report_id).status is ReportStatus.DONE
    assert len(workflow.emails()) == 1


def _storer_errors(workflow, execution_arn) -> list[str]:
    return [
        e["lambdaFunctionFailedEventDetails"]["error"]
        for e in workflow.history(execution_arn)
        if e["type"] == "LambdaFunctionFailed"
    ]


@pytest.mark.parametrize("workflow_environment", [{"MAX_DOCUMENT_BYTES": str(len(DOCUMENT) - 1)}])
def test_a_document_whose_download_is_larger_than_the_storer_can_store_fails_once_storing_nothing(
    pipeline, workflow, spapi_emulator
):
    """Its Content-Length says so before anything is stored: one attempt, no retry, the reason recorded."""
    spapi_emulator.app.config.compress_documents = False  # Content-Length is the document's size

    report_id, execution = pipeline.run("DONE", DOCUMENT)

    assert execution["status"] == "SUCCEEDED"  # the failure path ran to its end
    assert _storer_errors(workflow, execution["executionArn"]) == ["ReportDocumentTooLargeError"]
    assert len(workflow.lambdas.calls_of("sp-reports-report-storer")) == 1
    assert workflow.retry_sleeps == []
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED
    assert (
        f"document of {len(DOCUMENT)} bytes (its download's Content-Length) exceeds what the storer can "
        f"store in its time, {len(DOCUMENT) - 1} bytes (max_document_bytes); raise max_document_bytes"
    ) in record.failure_reason
    assert boto3.client("s3").list_objects_v2(Bucket=workflow.resources.bucket)["KeyCount"] == 0
    (email,) = workflow.emails()
    assert "exceeds what the storer can store" in email["message"]


@pytest.mark.parametrize("workflow_environment", [{"MAX_DOCUMENT_BYTES": str(GZIPPED_LIMIT)}])
def test_a_gzipped_document_that_grows_past_the_limit_stops_there_once_leaving_no_upload(
    pipeline, workflow, spapi_emulator
):
    """A gzipped download is smaller than the document: the store stops when the stream passes the limit."""
    big_document = DOCUMENT * 160  # about 12 MiB, much less gzipped
    limit = GZIPPED_LIMIT

    report_id, execution = pipeline.run("DONE", big_document)

    assert _storer_errors(workflow, execution["executionArn"]) == ["ReportDocumentTooLargeError"]
    assert len(workflow.lambdas.calls_of("sp-reports-report-storer")) == 1
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED
    assert f"document of more than {limit} bytes (stopped at" in record.failure_reason
    bucket = workflow.resources.bucket
    assert boto3.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert boto3.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize("error", ["Sandbox.Timedout", "Lambda.Unknown"])
def test_a_store_that_runs_out_of_time_is_retried_once_then_reported_failed(
    pipeline, workflow, monkeypatch, error
):
    """A function timeout reaches Step Functions as Sandbox.Timedout (Lambda.Unknown in the Step Functions
    guide's words): the store gets one more attempt, not the transient retriers' four or six."""
    timed_out = type(error, (Exception,), {})  # the error name the in-process runner reports

    def runs_out_of_time(event, context):
        raise timed_out("Task timed out after 300.00 seconds")

    monkeypatch.setattr(workflow.storer, "handler", runs_out_of_time)

    report_id, execution = pipeline.run("DONE", DOCUMENT)

    assert _storer_errors(workflow, execution["executionArn"]) == [error, error]
    assert workflow.retry_sleeps == [5]
    assert _states_entered(workflow, execution["executionArn"]) == [
        "RouteByProcessingStatus",
        "StoreReport",
        "NotifyFailed",
    ]
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and "Task timed out" in record.failure_reason


def test_truncated_document_download_is_retried_then_caught(pipeline, workflow, spapi_emulator):
    report_id = pipeline.request_report()
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT * 40)
    spapi_emulator.app.faults.document_fault("truncated_gzip", times=None)
    (execution_arn,) = pipeline.deliver_notifications(report_id)
    execution = workflow.wait(execution_arn)
    errors = [
        e["lambdaFunctionFailedEventDetails"]["error"]
        for e in workflow.history(execution_arn)
        if e["type"] == "LambdaFunctionFailed"
    ]
    assert errors and set(errors) == {"ReportDocumentError"}
    assert len(errors) == 5  # the first attempt and MaxAttempts 4 retries
    assert pipeline.records.get(report_id).status is ReportStatus.FAILED
    assert boto3.client("s3").list_objects_v2(Bucket=workflow.resources.bucket)["KeyCount"] == 0
    _assert_history_holds_no_secrets(workflow, execution)


def test_unrequested_report_is_processed_when_configured_finding_its_region(
    pipeline, workflow, spapi_emulator, load_handler
):
    report_id = pipeline.request_report()
    # Forget that we asked for it: now it looks like a scheduled report SP-API announces on its own.
    boto3.client("dynamodb").delete_item(
        TableName=workflow.resources.reports_table, Key={"ReportId": {"S": report_id}}
    )
    pipeline.processor = load_handler(
        "notifications_processor",
        STATE_MACHINE_ARN=workflow.state_machine_arn,
        PROCESS_UNREQUESTED_REPORTS="true",
    )
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    (execution_arn,) = pipeline.deliver_notifications(report_id)
    execution = workflow.wait(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["input"])["regionCode"] is None
    # No recorded region: the storer asked SP-API (getReport) which region knows the report.
    assert any(
        e.kind == "spapi" and e.path.endswith(f"/reports/{report_id}") for e in spapi_emulator.exchanges
    )
    key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"
    assert boto3.client("s3").get_object(Bucket=workflow.resources.bucket, Key=key)["Body"].read() == DOCUMENT
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.DONE and not record.requested


def test_unrequested_report_is_left_alone_by_default(pipeline, workflow, spapi_emulator):
    report_id = pipeline.request_report()
    boto3.client("dynamodb").delete_item(
        TableName=workflow.resources.reports_table, Key={"ReportId": {"S": report_id}}
    )
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    assert pipeline.deliver_notifications(report_id) == []
    assert pipeline.records.get(report_id).status is ReportStatus.SKIPPED
    assert workflow.lambdas.invocations == [] and workflow.emails() == []


# Restricted (docs/spapi-notes.md#restricted-data-tokens) and requestable.
RESTRICTED_TYPE = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"
ORDERS = b"order-id\trecipient-name\tship-address-1\n123-1234567-1234567\tJane Doe\t1 Main St\n"


def test_a_restricted_report_is_stored_with_an_rdt_that_reaches_no_history_or_log(
    pipeline, workflow, spapi_emulator, capsys
):
    report_id, execution = pipeline.run("DONE", ORDERS, report_type=RESTRICTED_TYPE)
    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"])[-1] == "NotifyReady"
    key = f"{SELLER_ID}/{RESTRICTED_TYPE}/{report_id}/report.tsv"
    assert boto3.client("s3").get_object(Bucket=workflow.resources.bucket, Key=key)["Body"].read() == ORDERS
    # What the bucket's lifecycle expires restricted (PII) documents by.
    tagging = boto3.client("s3").get_object_tagging(Bucket=workflow.resources.bucket, Key=key)
    assert tagging["TagSet"] == [{"Key": "data-class", "Value": "restricted"}]
    assert pipeline.records.get(report_id).status is ReportStatus.DONE
    document_id = spapi_emulator.report(report_id).report_document_id
    (rdt_call,) = [e for e in spapi_emulator.exchanges if e.operation_id == "createRestrictedDataToken"]
    assert json.loads(rdt_call.request_body) == {
        "restrictedResources": [{"method": "GET", "path": f"/reports/2021-06-30/documents/{document_id}"}]
    }
    (rdt,) = [t for t, grant in spapi_emulator.app.state.access_tokens.items() if grant.kind == "restricted"]
    _assert_history_holds_no_secrets(workflow, execution)
    history = json.dumps(workflow.history(execution["executionArn"]), default=str)
    assert_no_secrets(capsys.readouterr().out + history, rdt)
    assert rdt not in json.dumps(workflow.emails())  # the email's link is a presigned S3 URL, never the RDT


def test_a_restricted_report_fetched_without_an_rdt_is_refused_and_reported_failed(
    pipeline, workflow, spapi_emulator, monkeypatch
):
    # The storer as it was before the catalogue: it does not know the type is restricted, so sends no RDT.
    monkeypatch.setattr(report_document_storer, "report_type", lambda _name: None)
    report_id, execution = pipeline.run("DONE", ORDERS, report_type=RESTRICTED_TYPE)
    assert _states_entered(workflow, execution["executionArn"])[-1] == "NotifyFailed"
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and "403" in record.failure_reason
    assert [e.status for e in spapi_emulator.exchanges if e.operation_id == "getReportDocument"] == [403]


# An all-orders report (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL): its header and two order lines.
ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
ALL_ORDERS_HEADER = (
    "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tsku\tquantity\tcurrency\titem-price"
)
ALL_ORDERS_DOCUMENT = (
    f"{ALL_ORDERS_HEADER}\n"
    "111-0000001-0000001\t2026-11-02T10:15:00+00:00\t2026-11-02T12:00:00+00:00\tShipped\tSKU-1\t2\tUSD\t19.98\n"
    "111-0000002-0000002\t2026-11-03T08:00:00+00:00\t2026-11-03T09:30:00+00:00\tPending\tSKU-2\t1\tUSD\t5.00\n"
).encode()


def _curated_objects(workflow) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=workflow.resources.bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []) if o["Key"].startswith("curated"))


def test_a_done_report_of_a_schemad_type_ends_with_its_typed_parquet_file_under_curated(pipeline, workflow):
    report_id, execution = pipeline.run("DONE", ALL_ORDERS_DOCUMENT, report_type=ALL_ORDERS)

    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"]) == [
        "RouteByProcessingStatus",
        "StoreReport",
        "ConvertReport",
        "NotifyReady",
    ]
    (key,) = _curated_objects(workflow)
    assert key.startswith(f"curated/all_orders/seller_id={SELLER_ID}/marketplace=ATVPDKIKX0DER/dt=")
    assert key.endswith(f"/{ALL_ORDERS}_{report_id}.parquet")
    s3 = boto3.client("s3")
    stored = s3.get_object(Bucket=workflow.resources.bucket, Key=key)
    assert stored["ServerSideEncryption"] == "aws:kms"
    table = pyarrow.parquet.read_table(io.BytesIO(stored["Body"].read()))
    rows = table.to_pylist()
    assert [(r["amazon_order_id"], r["sku"], r["quantity"], str(r["item_price"])) for r in rows] == [
        ("111-0000001-0000001", "SKU-1", 2, "19.98"),
        ("111-0000002-0000002", "SKU-2", 1, "5.00"),
    ]
    assert [(r["report_id"], r["source_row"]) for r in rows] == [(report_id, 2), (report_id, 3)]
    assert str(table.schema.field("item_price").type) == "decimal128(18, 2)"
    # The curated file carries the raw report's data-class tag, so the bucket's lifecycle treats both alike.
    raw_key = f"{SELLER_ID}/{ALL_ORDERS}/{report_id}/report.tsv"
    raw_tags = s3.get_object_tagging(Bucket=workflow.resources.bucket, Key=raw_key)["TagSet"]
    assert s3.get_object_tagging(Bucket=workflow.resources.bucket, Key=key)["TagSet"] == raw_tags

    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.DONE
    expected = {
        "status": "CONVERTED",
        "files": [{"table": "all_orders", "key": key, "rows": 2}],
        "problems": [],
        "problemCount": 0,
        "unknownColumns": [],
    }
    assert record.conversion == expected
    assert json.loads(execution["output"])["conversion"] == expected


def test_a_rerun_converts_again_onto_the_same_key_without_duplicating_rows(
    pipeline, workflow, lambda_context
):
    _, execution = pipeline.run("DONE", ALL_ORDERS_DOCUMENT, report_type=ALL_ORDERS)
    (key,) = _curated_objects(workflow)
    state = json.loads(execution["input"]) | {"stored": json.loads(execution["output"])["stored"]}

    again = workflow.converter.handler(state, lambda_context)

    assert again == json.loads(execution["output"])["conversion"]
    assert _curated_objects(workflow) == [key]
    body = boto3.client("s3").get_object(Bucket=workflow.resources.bucket, Key=key)["Body"].read()
    assert pyarrow.parquet.read_table(io.BytesIO(body)).num_rows == 2


def test_a_document_lacking_a_required_column_is_rejected_while_its_raw_file_is_stored_and_announced(
    pipeline, workflow
):
    without_sku = ALL_ORDERS_DOCUMENT.replace(b"\tsku\t", b"\tseller-sku-typo\t", 1)

    report_id, execution = pipeline.run("DONE", without_sku, report_type=ALL_ORDERS)

    assert execution["status"] == "SUCCEEDED"
    assert _states_entered(workflow, execution["executionArn"])[-2:] == ["ConvertReport", "NotifyReady"]
    raw_key = f"{SELLER_ID}/{ALL_ORDERS}/{report_id}/report.tsv"
    raw = boto3.client("s3").get_object(Bucket=workflow.resources.bucket, Key=raw_key)["Body"].read()
    assert raw == without_sku
    assert _curated_objects(workflow) == []  # nothing under curated/, no staging object left behind
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.DONE
    assert record.conversion["status"] == "REJECTED" and record.conversion["files"] == []
    assert record.conversion["problemCount"] >= 1 and "sku" in record.conversion["problems"][0]["reason"]
    (email,) = workflow.emails()
    assert "ready" in email["subject"]


def test_a_report_type_without_a_schema_is_stored_and_not_converted(pipeline, workflow):
    report_id, execution = pipeline.run("DONE", DOCUMENT, report_type="GET_FLAT_FILE_OPEN_LISTINGS_DATA")

    assert execution["status"] == "SUCCEEDED"
    assert _curated_objects(workflow) == []
    assert pipeline.records.get(report_id).conversion == {
        "status": "NO_SCHEMA",
        "files": [],
        "problems": [],
        "problemCount": 0,
        "unknownColumns": [],
    }


def test_a_conversion_that_keeps_failing_is_retried_then_recorded_counted_and_the_report_still_ready(
    pipeline, workflow, monkeypatch, capsys
):
    attempts = []

    def unreadable(**kwargs):
        attempts.append(kwargs["Key"])
        raise ConnectionResetError("reset: https://reports.s3.amazonaws.com/?X-Amz-Signature=secret")

    monkeypatch.setattr(workflow.converter.converter._s3, "head_object", unreadable)

    report_id, execution = pipeline.run("DONE", ALL_ORDERS_DOCUMENT, report_type=ALL_ORDERS)

    assert execution["status"] == "SUCCEEDED"
    assert len(attempts) == 4  # the first attempt and the catch-all retrier's three
    assert len(workflow.retry_sleeps) == 3 and all(0 <= sleep <= 120 for sleep in workflow.retry_sleeps)
    assert _states_entered(workflow, execution["executionArn"])[-2:] == ["ConvertReport", "NotifyReady"]
    output = json.loads(execution["output"])
    assert output["conversion"]["Error"] == "ConnectionResetError" and "error" not in output
    record = pipeline.records.get(report_id)
    assert record.status is ReportStatus.DONE
    assert record.conversion == {
        "status": "FAILED",
        "error": "ConnectionResetError",
        "reason": "the conversion failed after its retries; the raw report is stored and delivered",
        "files": [],
        "problems": [],
        "problemCount": 0,
        "unknownColumns": [],
    }
    assert "Signature" not in json.dumps(record.conversion)
    assert '"ConversionFailed"' in capsys.readouterr().out
    assert _curated_objects(workflow) == []
