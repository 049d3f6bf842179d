"""Attacks 2-4, continued: what the real services do that our stand-ins used to spare us (issue 16).

Each attack runs the whole workflow (moto's Step Functions engine with our extensions, the real storer and
notifier in-process, the SP-API emulator): a rotated then expired LWA client secret, Step Functions' transient
Lambda service errors, an email subscription nobody confirmed, and an execution that failed before a later
delivery of the same notification.
"""

from __future__ import annotations

import json

import boto3
from botocore.exceptions import ClientError

from sp_reports.pipeline.report_records import ReportStatus
from sp_reports_harness.local_aws import pending_confirmations
from sp_reports_harness.local_aws.stepfunctions.lambda_faults import LAMBDA_SERVICE_ERRORS
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET

ROTATED_SECRET = "CANARY-CLIENT-SECRET-rotated-in-the-reliability-suite"
WORKFLOW_FUNCTIONS = ("sp-reports-report-storer", "sp-reports-report-notifier")


def test_a_rotated_then_expired_client_secret_is_picked_up_by_warm_functions(report_pipeline, attack_results):
    first = report_pipeline.request_report()
    report_pipeline.run(first)  # the storer is warm: it holds the app credentials in its cache
    resources = report_pipeline.workflow.resources
    report_pipeline.emulator.rotate_client_secret(CLIENT_ID, ROTATED_SECRET)
    boto3.client("secretsmanager").put_secret_value(
        SecretId=resources.lwa_secret_arn,
        SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": ROTATED_SECRET}),
    )
    report_pipeline.emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET)  # the seven days are over

    second = report_pipeline.request_report()
    execution = report_pipeline.run(second)

    assert execution["status"] == "SUCCEEDED"
    assert report_pipeline.records.get(second).status is ReportStatus.DONE
    assert report_pipeline.lost_reports() == 0
    attack_results.record(
        "2-secret-rotation",
        attack="SP-API fault: LWA client secret rotated, then the old one expired, under warm functions",
        cases=2,
        outcome="the new secret re-read once on invalid_client; both reports stored, 1 'ready' email each",
        lost=report_pipeline.lost_reports(),
    )


def test_transient_lambda_service_errors_are_retried_by_every_workflow_task(report_pipeline, attack_results):
    cases = 0
    for function in WORKFLOW_FUNCTIONS:
        for error in sorted(LAMBDA_SERVICE_ERRORS):
            report_pipeline.workflow.lambda_faults.inject(function, error, times=2)
            report_id = report_pipeline.request_report()
            execution = report_pipeline.run(report_id)
            assert execution["status"] == "SUCCEEDED", (function, error)
            assert report_pipeline.records.get(report_id).status is ReportStatus.DONE
            cases += 1
    assert report_pipeline.lost_reports() == 0
    attack_results.record(
        "3-lambda-service-errors",
        attack="AWS fault: Step Functions' transient Lambda errors (Lambda.ServiceException, "
        "ClientExecutionTimeoutException, ...) twice on the storer and the notifier",
        cases=cases,
        outcome="retried by the workflow; stored once, 1 'ready' email each",
        lost=report_pipeline.lost_reports(),
    )


def test_an_email_nobody_confirmed_is_not_recorded_as_delivered(report_pipeline, attack_results):
    sns = boto3.client("sns")
    topic_arn = report_pipeline.workflow.resources.topic_arn
    for subscription in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]:
        if subscription["SubscriptionArn"].startswith("arn:"):
            sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="new-owner@example.com")
    assert pending_confirmations(topic_arn)  # SNS waits for the address's owner, as on AWS

    report_id = report_pipeline.request_report()
    execution = report_pipeline.run(report_id)

    record = report_pipeline.records.get(report_id)
    assert execution["status"] == "SUCCEEDED" and record.status is ReportStatus.DONE
    assert record.notified_at is None and record.outcome_recipients == 0
    attack_results.record(
        "3-pending-subscription",
        attack="AWS fault: the topic's only email subscription still pending confirmation",
        cases=1,
        outcome="report stored; outcome published but not recorded as delivered (0 confirmed recipients)",
        lost=None,
    )


def test_a_failed_execution_is_recorded_by_the_next_delivery(report_pipeline, monkeypatch, attack_results):
    report_id = report_pipeline.request_report()
    sns = report_pipeline.workflow.notifier.sns
    real_publish = sns.publish

    def publish_down(**_kwargs):
        error = {"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}
        raise ClientError(error, "Publish")

    monkeypatch.setattr(sns, "publish", publish_down)
    assert report_pipeline.run(report_id)["status"] == "FAILED"  # not even NotifyFailed could email
    monkeypatch.setattr(sns, "publish", real_publish)

    assert report_pipeline.deliver(report_id) == {"batchItemFailures": []}  # SP-API delivers it again
    reporting = [
        e for e in report_pipeline.workflow.executions() if e["name"] == f"failure-report-{report_id}"
    ]
    assert len(reporting) == 1
    assert report_pipeline.workflow.wait(reporting[0]["executionArn"])["status"] == "SUCCEEDED"
    record = report_pipeline.records.get(report_id)
    assert record.status is ReportStatus.FAILED and "ended FAILED" in record.failure_reason
    assert len(report_pipeline.emails_about(report_id)) == 1
    attack_results.record(
        "4-failed-execution",
        attack="Duplicates: a notification delivered again after its execution ended FAILED",
        cases=2,
        outcome="the failure recorded (FAILED with the execution's reason) and emailed once; not blocked",
        lost=report_pipeline.lost_reports(),
    )
