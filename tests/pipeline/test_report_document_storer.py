"""The workflow's storing task, called as the report_storer handler calls it, against the SP-API emulator and
moto: the document streamed to its key, the record and the task's output, a re-run that calls nothing, a
FATAL report's reason, a report that names no document, and a plan window's report placed at its window."""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.pipeline.report_document_storer import (
    DocumentUploads,
    ReportDocumentMissingError,
    ReportDocumentStorer,
)
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.report_storage import MIN_PART_SIZE
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from spapi_emulator import state as emulator_state
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets

REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
DOCUMENT = b"sku\tprice\nA-1\t9.99\n"


@pytest.fixture
def records(resources) -> ReportRecords:
    return ReportRecords(resources.reports_table, boto3.client("dynamodb"))


@pytest.fixture
def storer(spapi_emulator, resources, records, telemetry) -> ReportDocumentStorer:
    lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))
    return ReportDocumentStorer(
        s3_client=boto3.client("s3"),
        uploads=DocumentUploads(
            bucket=resources.bucket,
            kms_key_id=resources.reports_key_id,
            part_size=MIN_PART_SIZE,
            max_document_bytes=1024 * 1024,
        ),
        records=records,
        reports_for=lambda seller_id, region_code: ReportsClient(
            SpApiHttpClient(spapi_endpoint(region_code)), lwa.seller_token_provider(REFRESH_TOKEN)
        ),
        logger=telemetry.logger,
        metrics=telemetry.metrics,
    )


def _finished_report(spapi_emulator, records, status: str, document: bytes) -> dict:
    """A report of ours SP-API finished: the execution input the notifications processor would give."""
    app = spapi_emulator.app
    report_id = app.state.next_report_id()
    app.add_report(
        emulator_state.Report(
            report_id=report_id,
            seller_id=SELLER_ID,
            report_type=REPORT_TYPE,
            marketplace_ids=["ATVPDKIKX0DER"],
            created=app.now(),
            created_mono=app.monotonic(),
        )
    )
    spapi_emulator.finish_report(report_id, status, document)
    records.record_requested(report_id, ReportSpecification(SELLER_ID, "NA", REPORT_TYPE, ["ATVPDKIKX0DER"]))
    return {
        "reportId": report_id,
        "sellerId": SELLER_ID,
        "reportType": REPORT_TYPE,
        "regionCode": "NA",
        "processingStatus": status,
        "reportDocumentId": spapi_emulator.report(report_id).report_document_id,
        "marketplaceIds": ["ATVPDKIKX0DER"],
    }


def _document_calls(spapi_emulator) -> list:
    return [e for e in spapi_emulator.exchanges if e.operation_id == "getReportDocument"]


def test_a_done_report_is_streamed_to_its_key_recorded_and_answered_by_location_alone(
    storer, spapi_emulator, records, resources, telemetry
):
    execution_input = _finished_report(spapi_emulator, records, "DONE", DOCUMENT)

    output = storer.store(execution_input)

    report_id = execution_input["reportId"]
    assert output == {
        "bucket": resources.bucket,
        "key": f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report.tsv",
        "size": len(DOCUMENT),
        "alreadyStored": False,
        "errorDocument": False,
    }
    stored = boto3.client("s3").get_object(Bucket=resources.bucket, Key=output["key"])
    assert stored["Body"].read() == DOCUMENT
    record = records.get(report_id)
    assert (record.s3_bucket, record.s3_key, record.object_size) == (
        resources.bucket,
        output["key"],
        len(DOCUMENT),
    )
    assert telemetry.counts() == {"DocumentsStored": 1, "StoredBytes": len(DOCUMENT)}
    (line,) = [line for line in telemetry.lines() if line["message"] == "document stored"]
    assert (line["report_id"], line["seller_id"], line["s3_key"]) == (report_id, SELLER_ID, output["key"])
    assert_no_secrets(telemetry.output.getvalue())


def test_a_rerun_finds_the_document_stored_and_calls_sp_api_no_more(
    storer, spapi_emulator, records, telemetry
):
    execution_input = _finished_report(spapi_emulator, records, "DONE", DOCUMENT)
    storer.store(execution_input)
    calls = len(_document_calls(spapi_emulator))

    again = storer.store(execution_input)

    assert again["alreadyStored"] is True and again["size"] == len(DOCUMENT)
    assert len(_document_calls(spapi_emulator)) == calls
    assert telemetry.counts()["DocumentsAlreadyStored"] == 1


def test_a_fatal_reports_error_document_is_stored_beside_it_and_its_reason_handed_on(
    storer, spapi_emulator, records
):
    error_document = b'{"errorDetails": "The report could not be generated: the date range is too long."}'
    execution_input = _finished_report(spapi_emulator, records, "FATAL", error_document)

    output = storer.store(execution_input)

    assert output["errorDocument"] is True and output["key"].endswith("/error.json")
    assert "date range is too long" in output["failureReason"]


def test_a_report_that_names_no_document_fails_before_anything_is_fetched_or_stored(
    storer, spapi_emulator, resources
):
    execution_input = {"reportId": "50123", "sellerId": SELLER_ID, "reportType": REPORT_TYPE}

    with pytest.raises(ReportDocumentMissingError, match="names no reportDocumentId"):
        storer.store({**execution_input, "processingStatus": "DONE", "regionCode": "NA"})

    assert _document_calls(spapi_emulator) == []
    assert boto3.client("s3").list_objects_v2(Bucket=resources.bucket)["KeyCount"] == 0


PULL_WINDOW = {
    "planId": "pp-" + "b" * 24,
    "windowKey": "2026-12-01T00:00:00Z/2026-12-02T00:00:00Z/ATVPDKIKX0DER",
    "version": 2,
}
WINDOW_FOLDER = f"plans/{SELLER_ID}/{REPORT_TYPE}/{PULL_WINDOW['planId']}/ATVPDKIKX0DER/2026-12-01_2026-12-02"


def test_a_plan_windows_report_is_also_placed_at_its_window_key_with_a_manifest(
    storer, spapi_emulator, records, resources
):
    execution_input = {
        **_finished_report(spapi_emulator, records, "DONE", DOCUMENT),
        "pullWindow": PULL_WINDOW,
    }

    output = storer.store(execution_input)

    assert output["windowKey"] == f"{WINDOW_FOLDER}/v002/report.tsv"
    s3 = boto3.client("s3")
    assert s3.get_object(Bucket=resources.bucket, Key=output["windowKey"])["Body"].read() == DOCUMENT
    manifest = json.loads(
        s3.get_object(Bucket=resources.bucket, Key=f"{WINDOW_FOLDER}/manifest.json")["Body"].read()
    )
    assert (manifest["currentVersion"], manifest["key"], manifest["reportId"]) == (
        2,
        output["windowKey"],
        execution_input["reportId"],
    )
    assert storer.store(execution_input)["windowKey"] == output["windowKey"]  # a re-run: the same, once


def test_a_plan_windows_fatal_report_is_not_placed(storer, spapi_emulator, records, resources):
    error_document = b'{"errorDetails": "FATAL"}'
    execution_input = {
        **_finished_report(spapi_emulator, records, "FATAL", error_document),
        "pullWindow": PULL_WINDOW,
    }

    output = storer.store(execution_input)

    assert "windowKey" not in output
    listed = boto3.client("s3").list_objects_v2(Bucket=resources.bucket, Prefix="plans/")
    assert listed["KeyCount"] == 0
