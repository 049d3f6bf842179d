"""Attack 4: the same notification many times, and a message that can never be processed.

SQS is at-least-once and SP-API redelivers: ten deliveries of one REPORT_PROCESSING_FINISHED, five of them
at the same moment in five separate processor containers (threads, each a fresh import of the handler, as
Lambda runs concurrent batches in separate containers) and five spread over the run and after it, must give
one execution, one S3 object and one email.

A poison message runs through local AWS (`sp_reports_harness.LocalAws`: moto's server, the real processor
Lambda from its built zip in a worker process, and the SQS poller with partial batch responses and moto's
redrive). The queue's maxReceiveCount and the DLQ alarm come from the Terraform plan; the alarm's
definition (namespace, metric, dimension, statistic, comparison, threshold) is evaluated against the DLQ's
ApproximateNumberOfMessagesVisible (the queue attribute ApproximateNumberOfMessages, which CloudWatch samples
for that metric).
"""

from __future__ import annotations

import json
import operator
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sp_reports.pipeline.report_records import ReportStatus
from sp_reports_harness.local_aws import LocalAws
from tests.support.canaries import SELLER_ID
from tests.support.reliability import (
    DOCUMENT,
    REPO_ROOT,
    REPORT_TYPE,
    check_output_for_secrets,
    notification_messages,
    planned_resource,
    scan_for_secrets,
)

CONCURRENT_DELIVERIES = 5
LATER_DELIVERIES = 5


def test_ten_deliveries_of_one_notification_give_one_execution_one_object_one_email(
    report_pipeline, load_handler, capsys, attack_results
):
    pipeline = report_pipeline
    report_id = pipeline.request_report()
    pipeline.emulator.finish_report(report_id, "DONE", DOCUMENT)
    containers = [
        load_handler("notifications_processor", STATE_MACHINE_ARN=pipeline.workflow.state_machine_arn)
        for _ in range(CONCURRENT_DELIVERIES)
    ]
    start = threading.Barrier(CONCURRENT_DELIVERIES)
    answers: list[dict] = []
    errors: list[BaseException] = []

    def deliver(container) -> None:
        start.wait()
        try:
            answers.append(pipeline.deliver(report_id, container))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(container,)) for container in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    # Spread over time: while the execution runs, and after it has finished.
    for delay in (0.0, 0.05, 0.2):
        time.sleep(delay)
        answers.append(pipeline.deliver(report_id))
    (execution,) = pipeline.executions_of(report_id)
    finished = pipeline.workflow.wait(execution["executionArn"], timeout=120)
    for _ in range(LATER_DELIVERIES - 3):
        answers.append(pipeline.deliver(report_id))

    assert len(answers) == CONCURRENT_DELIVERIES + LATER_DELIVERIES
    # A duplicate is settled, not retried: no delivery goes back to the queue.
    assert all(answer == {"batchItemFailures": []} for answer in answers), answers
    assert finished["status"] == "SUCCEEDED"
    assert len(pipeline.workflow.executions()) == 1
    assert pipeline.stored_objects() == [f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"]
    assert len(pipeline.workflow.emails()) == 1
    assert pipeline.records.get(report_id).status is ReportStatus.DONE
    check_output_for_secrets(capsys)
    attack_results.record(
        "4-duplicates",
        attack="Duplicates: one notification delivered 10 times (5 concurrently, 5 spread over time)",
        cases=len(answers),
        outcome="1 execution, 1 S3 object, 1 email",
        lost=pipeline.lost_reports(),
    )


# -- poison ----------------------------------------------------------------------------------------------

PROCESSOR_ZIP = REPO_ROOT / ".build" / "lambda" / "notifications_processor.zip"
COMPARISONS = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@pytest.fixture(scope="module")
def processor_zip() -> Path:
    """The processor's deployment package as `make package` builds it (built here when missing)."""
    if not PROCESSOR_ZIP.is_file():
        subprocess.run(  # noqa: S603 - our own packaging script
            [
                sys.executable,
                str(REPO_ROOT / "scripts" / "package_lambdas.py"),
                "--out",
                str(PROCESSOR_ZIP.parent),
            ],
            check=True,
            cwd=REPO_ROOT,
        )
    return PROCESSOR_ZIP


def _alarm_state(alarm: dict, datapoint: float) -> str:
    assert alarm["statistic"] == "Maximum" and alarm["evaluation_periods"] == 1
    return "ALARM" if COMPARISONS[alarm["comparison_operator"]](datapoint, alarm["threshold"]) else "OK"


def _visible(sqs, queue_url: str) -> int:
    # CloudWatch's ApproximateNumberOfMessagesVisible is the queue attribute ApproximateNumberOfMessages.
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_poison_message_reaches_the_dlq_after_max_receive_count_and_raises_the_alarm(
    terraform_plan, processor_zip, capsys, attack_results
):
    queue = planned_resource(terraform_plan, "module.queue.aws_sqs_queue.this")
    dlq = planned_resource(terraform_plan, "module.queue.aws_sqs_queue.dlq")
    max_receive_count = json.loads(queue["redrive_policy"])["maxReceiveCount"]
    alarm = planned_resource(
        terraform_plan, "module.state_machine.aws_cloudwatch_metric_alarm.dlq_not_empty[0]"
    )
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["dimensions"] == {"QueueName": dlq["name"]}  # the alarm watches this very DLQ

    with LocalAws(sqs_poll_interval=0.1, aws_managed_policies=False) as local:
        dynamodb = local.boto3_client("dynamodb")
        dynamodb.create_table(
            TableName="sp-reports-reports",
            KeySchema=[{"AttributeName": "ReportId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "ReportId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # The sellers' tokens, which the processor binds when a notification names a token's seller.
        dynamodb.create_table(
            TableName="sp-reports-tokens",
            KeySchema=[{"AttributeName": "SellerId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "SellerId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        now = "2024-05-02T10:00:00Z"
        for report_id, status in (("1000001", "REQUESTED"), ("1000666", "NOT-A-STATUS")):
            # The second record is corrupt (a status no version of the code wrote): reading it fails on every
            # attempt, so its notification can never be processed.
            dynamodb.put_item(
                TableName="sp-reports-reports",
                Item={
                    "ReportId": {"S": report_id},
                    "SellerId": {"S": SELLER_ID},
                    "ReportType": {"S": REPORT_TYPE},
                    "Status": {"S": status},
                    "Requested": {"BOOL": True},
                    "RegionCode": {"S": "NA"},
                    "CreatedAt": {"S": now},
                    "UpdatedAt": {"S": now},
                },
            )
        sfn = local.boto3_client("stepfunctions")
        iam = local.boto3_client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role_arn = iam.create_role(RoleName="processor", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        state_machine_arn = sfn.create_state_machine(
            name="sp-reports-report-workflow",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
            roleArn=role_arn,
        )["stateMachineArn"]
        # Local AWS authorises the processor as its role: the processor's statements of the security module.
        processor_access = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                    "Resource": f"arn:aws:dynamodb:us-east-1:{local.account_id}:table/sp-reports-reports",
                },
                {"Effect": "Allow", "Action": "states:StartExecution", "Resource": state_machine_arn},
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                    "Resource": f"arn:aws:dynamodb:us-east-1:{local.account_id}:table/sp-reports-tokens",
                },
            ],
        }
        iam.put_role_policy(
            RoleName="processor", PolicyName="access", PolicyDocument=json.dumps(processor_access)
        )

        sqs = local.boto3_client("sqs")
        dlq_url = sqs.create_queue(QueueName=dlq["name"])["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
        # A 1 s visibility timeout instead of the plan's 6x the processor timeout: same redrive, shorter wait.
        queue_url = sqs.create_queue(
            QueueName=queue["name"],
            Attributes={"VisibilityTimeout": "1", "RedrivePolicy": json.dumps(redrive)},
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        poison = notification_messages.notification("1000666")
        healthy = notification_messages.notification("1000001")
        for message in (poison, healthy):
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
        assert _alarm_state(alarm, _visible(sqs, dlq_url)) == "OK"

        lambda_client = local.boto3_client("lambda")
        lambda_client.create_function(
            FunctionName="sp-reports-notifications-processor",
            Runtime="python3.12",
            Role=role_arn,
            Handler="sp_reports.handlers.notifications_processor.handler",
            Code={"ZipFile": processor_zip.read_bytes()},
            Timeout=30,
            Environment={
                "Variables": {
                    "REPORTS_TABLE_NAME": "sp-reports-reports",
                    "STATE_MACHINE_ARN": state_machine_arn,
                    "TOKENS_TABLE_NAME": "sp-reports-tokens",
                    "POWERTOOLS_SERVICE_NAME": "notifications-processor",
                    "POWERTOOLS_METRICS_NAMESPACE": "SpReportsTest",
                    "POWERTOOLS_TRACE_DISABLED": "true",
                }
            },
        )
        lambda_client.create_event_source_mapping(
            EventSourceArn=queue_arn,
            FunctionName="sp-reports-notifications-processor",
            BatchSize=10,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
        deadline = time.monotonic() + 30 + 3 * max_receive_count
        while _visible(sqs, dlq_url) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        messages = dead.get("Messages", [])
        assert [
            json.loads(m["Body"])["payload"]["reportProcessingFinishedNotification"]["reportId"]
            for m in messages
        ] == ["1000666"]
        assert int(messages[0]["Attributes"]["ApproximateReceiveCount"]) >= max_receive_count
        # Put back for the alarm's sample (receiving made it invisible).
        sqs.change_message_visibility(
            QueueUrl=dlq_url, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0
        )
        assert _alarm_state(alarm, _visible(sqs, dlq_url)) == "ALARM"
        # The healthy message of the same batches was processed once and deleted, not dead-lettered.
        executions = sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
        assert [e["name"] for e in executions] == ["report-1000001"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        scan_for_secrets(json.dumps(messages), "dead-lettered messages")
    check_output_for_secrets(capsys)
    attack_results.record(
        "4-poison",
        attack=f"Poison: a notification failing on every receive (maxReceiveCount {max_receive_count}, plan)",
        cases=1,
        outcome="in the DLQ after maxReceiveCount; DLQ alarm evaluates to ALARM; batch-mate processed once",
        lost=2 - len(executions) - len(messages),
    )
