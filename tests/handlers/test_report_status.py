"""GET /reports/{reportId}: the recorded status and, once stored, where and a fresh SigV4 link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests

from sp_reports.pipeline.document_charsets import StoredCharset
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.spapi.report_ids import REPORT_ID_MAX_LENGTH
from tests.support import api_events
from tests.support.canaries import SELLER_ID


@pytest.fixture
def report_status(load_handler):
    return load_handler("report_status", PRESIGNED_URL_TTL_SECONDS="900")


@pytest.fixture
def records(resources):
    return ReportRecords(resources.reports_table, boto3.client("dynamodb"))


def _get(module, report_id, context):
    event = api_events.api_event("GET", f"/reports/{report_id}", path_parameters={"reportId": report_id})
    return module.handler(event, context)


def _request(records, report_id="50001"):
    records.record_requested(
        report_id, ReportSpecification(SELLER_ID, "EU", "GET_MERCHANT_LISTINGS_ALL_DATA", ["A1F83G8C2ARO7P"])
    )


def test_requested_report_shows_its_status_without_a_link(report_status, records, lambda_context):
    _request(records)
    response = _get(report_status, "50001", lambda_context)
    assert response["statusCode"] == 200
    body = api_events.answer_body(response)
    assert body["reportId"] == "50001" and body["status"] == "REQUESTED"
    assert body["sellerId"] == SELLER_ID and body["regionCode"] == "EU"
    assert body["marketplaceIds"] == ["A1F83G8C2ARO7P"]
    assert body["reportType"] == "GET_MERCHANT_LISTINGS_ALL_DATA"
    assert body["createdAt"] and body["updatedAt"]
    assert "downloadUrl" not in body and "s3" not in body


def test_stored_report_has_its_location_and_a_fresh_sigv4_link_that_downloads_it(
    report_status, records, resources, lambda_context, capsys
):
    _request(records)
    key = f"{SELLER_ID}/GET_MERCHANT_LISTINGS_ALL_DATA/50001/report.tsv"
    boto3.client("s3").put_object(
        Bucket=resources.bucket,
        Key=key,
        Body=b"sku\tprice\n",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=resources.reports_key_id,
    )
    records.mark_stored("50001", bucket=resources.bucket, key=key, size=10, report_document_id="doc-1")
    records.mark_finished("50001", ReportStatus.DONE, notified=True)
    body = api_events.answer_body(_get(report_status, "50001", lambda_context))
    assert body["status"] == "DONE"
    assert body["s3"] == {"bucket": resources.bucket, "key": key, "size": 10}
    query = parse_qs(urlparse(body["downloadUrl"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["900"]
    assert body["downloadUrlExpiresAt"].endswith("Z")
    assert requests.get(body["downloadUrl"], timeout=5).content == b"sku\tprice\n"
    # The link is for the caller only: it is never logged.
    assert "X-Amz-Signature" not in capsys.readouterr().out


def test_a_stored_report_says_which_charset_its_bytes_are_in(report_status, records, lambda_context):
    _request(records)
    assert "charset" not in api_events.answer_body(_get(report_status, "50001", lambda_context))
    charset = StoredCharset(
        "UTF-8", "windows-1252", None, True, "the download names no charset", transcoded=True
    )
    records.mark_stored("50001", bucket="b", key="k", size=10, report_document_id="doc-1", charset=charset)
    assert api_events.answer_body(_get(report_status, "50001", lambda_context))["charset"] == {
        "stored": "UTF-8",
        "source": "windows-1252",
        "assumed": True,
        "transcoded": True,
        "note": "the download names no charset",
    }


def test_failed_report_shows_the_reason(report_status, records, lambda_context):
    _request(records)
    records.mark_finished("50001", ReportStatus.FAILED, failure_reason="SP-API: FATAL", notified=True)
    body = api_events.answer_body(_get(report_status, "50001", lambda_context))
    assert body["status"] == "FAILED" and body["failureReason"] == "SP-API: FATAL"


def test_unknown_report_is_a_404(report_status, resources, lambda_context):
    response = _get(report_status, "99999", lambda_context)
    assert response["statusCode"] == 404
    assert api_events.answer_body(response)["error"]["code"] == "ReportNotFound"


@pytest.mark.parametrize(
    "report_id", ["", ".", "..", "...", "../etc", "a/b", "1\n", "a" * (REPORT_ID_MAX_LENGTH + 1)], ids=repr
)
def test_malformed_report_id_is_a_400_naming_it(report_status, resources, lambda_context, report_id):
    response = _get(report_status, report_id, lambda_context)
    assert response["statusCode"] == 400
    assert api_events.answer_body(response)["error"]["message"].startswith("reportId:")
