"""Benchmark 5: 1,000 REPORT_PROCESSING_FINISHED notifications through the processor Lambda, in-process.

moto (`mock_aws`) holds the reports table, pre-seeded with the reports our API requested, and a state machine
with a trivial definition (executions are recorded, not run). The notifications: 85 % for distinct requested
reports, 10 % duplicates of those (SP-API delivers some notifications more than once), 5 % for reports nobody
requested. They go through `sp_reports.handlers.notifications_processor.handler` in SQS batches, as the event
source
mapping would deliver them; the run is repeated for a few batch sizes (smaller runs beside the 1,000 at the
Terraform default), each with fresh report ids. Figures:
messages per second, and executions started, which must equal the distinct requested reports.

The handler's Powertools logs and metrics go to this process's stdout, which the orchestrator sends to a file.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from typing import Any

import boto3
from moto import mock_aws

from benchmarks.fake_aws import REGION, use_fake_aws_environment
from sp_reports.pipeline.notifications_processing import execution_name
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.spapi.notifications import REPORT_PROCESSING_FINISHED

TABLE = "sp-reports-reports"
TOKENS_TABLE = "sp-reports-tokens"
SELLER_ID = "A1BENCHSELLER01"
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
TRIVIAL_WORKFLOW = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@dataclass
class NotificationRun:
    batch_size: int
    messages: int
    duplicates: int
    unrequested: int
    requested_reports: int
    seconds: float
    invocations: int
    executions_started: int
    batch_item_failures: int
    aws_seconds: float = 0.0  # inside DynamoDB and Step Functions calls (moto, in-process)
    cpu_seconds: float = 0.0  # this process's CPU time over the run (steadier than wall on a busy machine)
    aws_cpu_seconds: float = 0.0  # the part of it inside AWS calls

    @property
    def own_cpu_seconds_per_message(self) -> float:
        """The handler's own CPU time per message: everything but moto's work inside the AWS calls."""
        return (self.cpu_seconds - self.aws_cpu_seconds) / self.messages

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds


def notification_body(report_id: str) -> str:
    return json.dumps(
        {
            "notificationVersion": "2020-09-04",
            "notificationType": REPORT_PROCESSING_FINISHED,
            "payloadVersion": "2020-09-04",
            "eventTime": "2024-05-02T10:15:42.118Z",
            "payload": {
                "reportProcessingFinishedNotification": {
                    "sellerId": SELLER_ID,
                    "accountId": f"amzn1.merchant.o.{SELLER_ID}",
                    "reportId": report_id,
                    "reportType": REPORT_TYPE,
                    "processingStatus": "DONE",
                    "reportDocumentId": f"amzn1.spdoc.1.4.na.{uuid.uuid4()}.T{report_id}.1",
                }
            },
            "notificationMetadata": {
                "applicationId": "amzn1.sellerapps.app.aacccfff-4455-4b7c-4422-664ecacdd336",
                "subscriptionId": "7fcacc7e-727b-11e9-8848-1681be663d3e",
                "publishTime": "2024-05-02T10:15:42.284Z",
                "notificationId": str(uuid.uuid4()),
            },
        },
        separators=(",", ":"),
    )


def notification_mix(
    run_id: int, messages: int, duplicate_share: float, unrequested_share: float, seed: int = 7
) -> tuple[list[str], list[str]]:
    """(requested report ids, notification bodies in delivery order) for one run."""
    duplicates = round(messages * duplicate_share)
    unrequested = round(messages * unrequested_share)
    requested = [f"{run_id}{index:08d}" for index in range(messages - duplicates - unrequested)]
    rng = random.Random(seed + run_id)
    report_ids = (
        requested
        + [rng.choice(requested) for _ in range(duplicates)]
        + [f"{run_id + 5}{index:08d}" for index in range(unrequested)]
    )
    rng.shuffle(report_ids)
    return requested, [notification_body(report_id) for report_id in report_ids]


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"handle-{index}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1714644942284"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:sp-reports-notifications",
                "awsRegion": REGION,
            }
            for index, body in enumerate(bodies)
        ]
    }


def _lambda_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="sp-reports-notifications-processor",
        memory_limit_in_mb=256,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:123456789012:function:sp-reports-notifications-processor",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 60_000,
    )


class AwsCallTimer:
    """Adds up the time spent inside AWS calls (request, moto's backend, response) of every client created
    from boto3's default session after `install`: their event hooks are copied from the session's."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self._started: tuple[float, float] | None = None

    def reset(self) -> None:
        self.seconds = self.cpu_seconds = 0.0

    def install(self) -> None:
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("before-call", self._before)
        boto3.DEFAULT_SESSION.events.register("after-call", self._after)

    def _before(self, **_kwargs: Any) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def _after(self, **_kwargs: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started[0]
            self.cpu_seconds += time.process_time() - self._started[1]
            self._started = None


def _started_executions(stepfunctions: Any, state_machine_arn: str, names: set[str]) -> int:
    count = 0
    for page in stepfunctions.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
        count += sum(1 for execution in page["executions"] if execution["name"] in names)
    return count


# (batch size, messages): the Terraform default gets the full 1,000; the others, enough to fit the
# per-invocation overhead without doubling the benchmark's time.
RUNS = ((10, 1000), (1, 300), (100, 300))


@dataclass
class OverheadProbe:
    """Messages of another notification type, which the handler logs and drops without an AWS call: what
    is left is the handler's per-invocation and per-message cost, free of moto's noise."""

    batch_size: int
    invocations: int
    messages: int
    cpu_seconds: float


def other_type_body(index: int) -> str:
    return json.dumps(
        {
            "notificationVersion": "1.0",
            "notificationType": "ANY_OFFER_CHANGED",
            "payloadVersion": "1.0",
            "eventTime": "2024-05-02T10:15:42.118Z",
            "payload": {},
            "notificationMetadata": {"notificationId": f"probe-{index}"},
        }
    )


def probe_overhead(processor: Any, messages: int = 600) -> list[OverheadProbe]:
    probes = []
    bodies = [other_type_body(index) for index in range(messages)]
    for batch_size in (1, 10):
        started = time.process_time()
        for offset in range(0, messages, batch_size):
            processor.handler(sqs_event(bodies[offset : offset + batch_size]), _lambda_context())
        probes.append(
            OverheadProbe(batch_size, -(-messages // batch_size), messages, time.process_time() - started)
        )
    return probes


def run(
    runs: tuple[tuple[int, int], ...] = RUNS,
    duplicate_share: float = 0.10,
    unrequested_share: float = 0.05,
) -> tuple[list[NotificationRun], list[OverheadProbe]]:
    use_fake_aws_environment()
    results = []
    timer = AwsCallTimer()
    with mock_aws():
        timer.install()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for table, key in ((TABLE, "ReportId"), (TOKENS_TABLE, "SellerId")):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        state_machine_arn = stepfunctions.create_state_machine(
            name="sp-reports-report-workflow",
            definition=json.dumps(TRIVIAL_WORKFLOW),
            roleArn="arn:aws:iam::123456789012:role/sp-reports-workflow",
        )["stateMachineArn"]
        os.environ.update(
            {
                "REPORTS_TABLE_NAME": TABLE,
                "STATE_MACHINE_ARN": state_machine_arn,
                # A requested report's notification confirms its seller's token (TokenBindings.mark_bound, a
                # conditional write); no token is stored here, so the condition fails, as for a bound one.
                "TOKENS_TABLE_NAME": TOKENS_TABLE,
                "POWERTOOLS_SERVICE_NAME": "sp-reports-bench",
                "POWERTOOLS_METRICS_NAMESPACE": "sp-reports-bench",
            }
        )
        processor = importlib.import_module("sp_reports.handlers.notifications_processor")
        records = ReportRecords(TABLE, dynamodb)
        # A warm container: the first invocation pays for loading service models and Powertools' set-up.
        _, warm_up = notification_mix(90, 10, duplicate_share=0.0, unrequested_share=1.0)
        processor.handler(sqs_event(warm_up), _lambda_context())

        for run_id, (batch_size, messages) in enumerate(runs, start=1):
            requested, bodies = notification_mix(run_id * 10, messages, duplicate_share, unrequested_share)
            for report_id in requested:
                records.record_requested(
                    report_id, ReportSpecification(SELLER_ID, "NA", REPORT_TYPE, ["ATVPDKIKX0DER"])
                )
            failures = invocations = 0
            timer.reset()
            started, cpu_started = time.perf_counter(), time.process_time()
            for offset in range(0, len(bodies), batch_size):
                answer = processor.handler(sqs_event(bodies[offset : offset + batch_size]), _lambda_context())
                failures += len(answer["batchItemFailures"])
                invocations += 1
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            names = {execution_name(report_id) for report_id in requested}
            results.append(
                NotificationRun(
                    batch_size=batch_size,
                    messages=len(bodies),
                    duplicates=round(messages * duplicate_share),
                    unrequested=round(messages * unrequested_share),
                    requested_reports=len(requested),
                    seconds=seconds,
                    invocations=invocations,
                    executions_started=_started_executions(stepfunctions, state_machine_arn, names),
                    batch_item_failures=failures,
                    aws_seconds=timer.seconds,
                    cpu_seconds=cpu_seconds,
                    aws_cpu_seconds=timer.cpu_seconds,
                )
            )
        probes = probe_overhead(processor)
    return results, probes


if __name__ == "__main__":
    measured, overhead = run()
    with open(sys.argv[1], "w") as out:
        json.dump({"runs": [asdict(r) for r in measured], "overhead": [asdict(p) for p in overhead]}, out)
