"""Attack 2: SP-API and LWA misbehave while a report is in the workflow (the emulator's fault switches).

Each fault ends one of two ways, never a third: the report is stored intact and a "ready" email goes out
after retries, or the report is recorded FAILED with a reason and exactly one "failed" email goes out. No
execution is left running, no report is left without an outcome, and no secret reaches the execution
history or a log line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportStatus
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID
from tests.support.reliability import (
    DOCUMENT,
    REPORT_TYPE,
    ReportPipeline,
    api_events,
    check_output_for_secrets,
    scan_for_secrets,
)

STORER_ATTEMPTS = 5  # SpApiHttpClient's max_attempts in the storer (its own retries before the workflow's)
WORKFLOW_THROTTLE_RETRIES = 5  # the ASL's Retry MaxAttempts for SpApiThrottledError in StoreReport


@dataclass(frozen=True)
class Fault:
    name: str
    arm: Callable[[ReportPipeline], None]
    ends: ReportStatus
    # The error names a FAILED record's reason may start with. A fault that never ends can also run into the
    # client's own rate limit: the retries use up getReportDocument's burst (15) and the bucket refills one
    # call a minute, so the last attempt may fail as throttled. Either way it is a recorded failure.
    failure_errors: tuple[str, ...] = ()
    document: bytes = DOCUMENT


def _slow(pipeline: ReportPipeline, times: int | None) -> None:
    pipeline.workflow.storer.spapi_clients.http("NA").timeout = (1.0, 0.2)
    pipeline.emulator.delay("getReportDocument", 0.5, times=times)


FAULTS = [
    Fault(
        "429 storm outlasting the client's retries",
        # After a 429 the client waits for its bucket only when the refill fits the call's deadline;
        # getReportDocument refills one call a minute, so each storer invocation hands the 429 to the
        # workflow, whose Retry (5 attempts, backoff from 30 s) outlasts a storm over several invocations.
        lambda p: p.emulator.inject("getReportDocument", 429, times=WORKFLOW_THROTTLE_RETRIES - 2),
        ReportStatus.DONE,
    ),
    Fault(
        "429 storm that never ends",
        lambda p: p.emulator.inject("getReportDocument", 429, times=None),
        ReportStatus.FAILED,
        ("SpApiThrottledError",),
    ),
    Fault(
        "500 burst",
        lambda p: p.emulator.inject("getReportDocument", 500, times=STORER_ATTEMPTS + 2),
        ReportStatus.DONE,
    ),
    Fault(
        "503 that never ends",
        lambda p: p.emulator.inject("getReportDocument", 503, times=None),
        ReportStatus.FAILED,
        ("SpApiServerError", "SpApiThrottledError"),
    ),
    Fault("slow answers past the read timeout", lambda p: _slow(p, STORER_ATTEMPTS + 1), ReportStatus.DONE),
    Fault(
        "document host answers 500 then recovers",
        lambda p: p.emulator.inject("downloadDocument", 500, times=3),
        ReportStatus.DONE,
    ),
    Fault(
        "truncated gzip once",
        lambda p: p.emulator.truncated_gzip(times=1),
        ReportStatus.DONE,
        document=DOCUMENT * 40,
    ),
    Fault(
        "truncated gzip every time",
        lambda p: p.emulator.truncated_gzip(times=None),
        ReportStatus.FAILED,
        ("ReportDocumentError",),
        document=DOCUMENT * 40,
    ),
    Fault(
        "GZIP label on plain bytes", lambda p: p.emulator.plain_labelled_gzip(times=None), ReportStatus.DONE
    ),
    Fault(
        "document URL expired at once",
        lambda p: p.emulator.expire_urls_immediately(times=1),
        ReportStatus.DONE,
    ),
    Fault(
        "document URLs always expired",
        lambda p: p.emulator.expire_urls_immediately(times=None),
        ReportStatus.FAILED,
        ("ReportDocumentError", "SpApiThrottledError"),
    ),
    Fault(
        "refresh token revoked mid-workflow",
        lambda p: p.emulator.revoke(REFRESH_TOKEN),
        ReportStatus.FAILED,
        ("LwaInvalidGrantError",),
    ),
    Fault("LWA down for a while", lambda p: p.emulator.lwa_down(503, times=4), ReportStatus.DONE),
    Fault(
        "LWA down (500) for good",
        lambda p: p.emulator.lwa_down(500, times=None),
        ReportStatus.FAILED,
        ("LwaUnavailableError",),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_spapi_fault_ends_in_success_or_one_recorded_failure(fault, report_pipeline, capsys, attack_results):
    pipeline = report_pipeline
    report_id = pipeline.request_report()
    fault.arm(pipeline)
    execution = pipeline.run(report_id, "DONE", fault.document)

    assert execution["status"] == "SUCCEEDED", execution
    pipeline.assert_nothing_stuck()
    record = pipeline.records.get(report_id)
    emails = pipeline.emails_about(report_id)
    assert len(emails) == 1, [email["subject"] for email in emails]
    key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv"
    if fault.ends is ReportStatus.DONE:
        assert record.status is ReportStatus.DONE
        stored = boto3.client("s3").get_object(Bucket=pipeline.workflow.resources.bucket, Key=key)
        assert stored["Body"].read() == fault.document  # intact, gunzipped, nothing lost on the way
        assert emails[0]["subject"] == f"SP-API report {REPORT_TYPE} is ready to download"
    else:
        assert record.status is ReportStatus.FAILED
        assert record.failure_reason, "a FAILED report without a reason"
        error_name = record.failure_reason.split(":", 1)[0]
        assert error_name in fault.failure_errors, record.failure_reason
        assert emails[0]["subject"] == f"SP-API report {REPORT_TYPE} failed"
        assert error_name in emails[0]["message"]
        scan_for_secrets(record.failure_reason + emails[0]["message"], "failure reasons and 'failed' emails")
        assert key not in pipeline.stored_objects()
    assert pipeline.open_uploads() == []
    pipeline.assert_no_secret_in_history(execution)
    check_output_for_secrets(capsys)
    attack_results.record(
        f"2-spapi-{fault.name}",
        attack=f"SP-API fault: {fault.name}",
        cases=1,
        outcome=(
            "stored intact after retries, 1 'ready' email"
            if fault.ends is ReportStatus.DONE
            else f"FAILED ({' or '.join(fault.failure_errors)}), 1 'failed' email"
        ),
        lost=pipeline.lost_reports(),
    )


def test_create_report_throttled_at_the_door_answers_429_and_records_nothing(
    report_pipeline, capsys, attack_results
):
    pipeline = report_pipeline
    pipeline.emulator.set_rate("createReport", 1 / 60, 1)  # SP-API's documented 1 a minute, burst 1

    before = boto3.client("dynamodb").scan(
        TableName=pipeline.workflow.resources.reports_table, Select="COUNT"
    )
    body = {
        "SellerId": SELLER_ID,
        "RegionCode": "NA",
        "ReportType": REPORT_TYPE,
        "MarketplaceIds": ["ATVPDKIKX0DER"],
    }
    answers = [
        pipeline.creator.handler(api_events.api_event("POST", "/reports", body), pipeline.lambda_context)
        for _ in range(5)
    ]
    after = boto3.client("dynamodb").scan(TableName=pipeline.workflow.resources.reports_table, Select="COUNT")
    assert [answer["statusCode"] for answer in answers] == [202] + [429] * 4  # the burst, then refused
    assert all(int(answer["headers"]["Retry-After"]) >= 1 for answer in answers[1:])
    # The accepted report's record, its seller's note for the sweep (sweep-seller#...), the seller's and the
    # caller's counts for the day (report-budget#..., caller-report-budget#...); the refused callers are told
    # to retry, and nothing of theirs is half-recorded.
    assert after["Count"] == before["Count"] + 4
    check_output_for_secrets(capsys)
    attack_results.record(
        "2-spapi-createReport throttled",
        attack="SP-API fault: createReport rate limit (set_rate) at POST /reports",
        cases=len(answers),
        outcome="429 with Retry-After to the caller; nothing recorded",
        lost=sum("Retry-After" not in answer["headers"] for answer in answers[1:]),
    )
