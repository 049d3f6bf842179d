"""GET /reports/{reportId}'s service, called as the report_status handler calls it: the recorded status, a
fresh link once stored in the reports bucket, and the refusals."""

from __future__ import annotations

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.download_links import DownloadLinks
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.report_status_queries import ReportStatusQueries
from sp_reports.pipeline.tenancy import TenantBoundary
from tests.support.api_events import api_event
from tests.support.canaries import SELLER_ID

REPORT_ID = "50001"
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
SIGNER_ROLE_ARN = "arn:aws:iam::123456789012:role/sp-reports-download-link-signer"


@pytest.fixture
def records(resources) -> ReportRecords:
    records = ReportRecords(resources.reports_table, boto3.client("dynamodb"))
    records.record_requested(REPORT_ID, ReportSpecification(SELLER_ID, "EU", REPORT_TYPE, ["A1F83G8C2ARO7P"]))
    return records


@pytest.fixture
def queries(resources, records, telemetry) -> ReportStatusQueries:
    return ReportStatusQueries(
        records=records,
        reports_bucket=resources.bucket,
        download_links=DownloadLinks(boto3.client("sts"), SIGNER_ROLE_ARN, 900),
        boundary=TenantBoundary(None),
        logger=telemetry.logger,
        metrics=telemetry.metrics,
    )


def _event(report_id: str = REPORT_ID) -> dict:
    return api_event("GET", f"/reports/{report_id}", path_parameters={"reportId": report_id})


def test_a_requested_report_is_described_without_a_link_logged_and_counted(queries, telemetry):
    status, body = queries.answer(_event())

    assert status == 200
    assert (body["reportId"], body["sellerId"], body["regionCode"], body["status"]) == (
        REPORT_ID,
        SELLER_ID,
        "EU",
        "REQUESTED",
    )
    assert "downloadUrl" not in body and "s3" not in body
    (described,) = [line for line in telemetry.lines() if line["message"] == "report described"]
    assert (described["report_id"], described["status"]) == (REPORT_ID, "REQUESTED")
    assert telemetry.counts() == {"ReportStatusQueries": 1}


def test_a_report_stored_in_the_reports_bucket_gets_a_link_to_its_key(queries, records, resources):
    key = f"{SELLER_ID}/{REPORT_TYPE}/{REPORT_ID}/report.tsv"
    records.mark_stored(REPORT_ID, bucket=resources.bucket, key=key, size=4, report_document_id="doc-1")

    _status, body = queries.answer(_event())

    assert body["s3"] == {"bucket": resources.bucket, "key": key, "size": 4}
    assert body["downloadUrl"].split("?")[0].endswith(f"/{key}")
    assert body["downloadUrlExpiresAt"]


def test_a_report_recorded_in_another_bucket_gets_its_location_but_no_link(queries, records):
    records.mark_stored(
        REPORT_ID, bucket="another-bucket", key="x/report.tsv", size=4, report_document_id="d"
    )

    _status, body = queries.answer(_event())

    assert body["s3"]["bucket"] == "another-bucket" and "downloadUrl" not in body


def test_a_failed_report_shows_its_reason(queries, records):
    records.mark_finished(REPORT_ID, ReportStatus.FAILED, failure_reason="SP-API said FATAL", notified=False)

    _status, body = queries.answer(_event())

    assert (body["status"], body["failureReason"]) == ("FAILED", "SP-API said FATAL")


def test_an_unknown_report_is_a_404_naming_it(queries):
    with pytest.raises(ApiError) as refused:
        queries.answer(_event("50999"))

    assert (refused.value.status, refused.value.code) == (404, "ReportNotFound")
    assert "50999" in refused.value.message
