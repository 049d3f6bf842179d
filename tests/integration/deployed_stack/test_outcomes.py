"""Reports that SP-API ends FATAL or CANCELLED: recorded, one email each, nothing pretends to be a report."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.deployed_stack import emulator_of, execution_of

pytestmark = pytest.mark.integration

FATAL_REPORT_TYPE = "GET_FLAT_FILE_OPEN_LISTINGS_DATA"
CANCELLED_REPORT_TYPE = "GET_MERCHANT_LISTINGS_INACTIVE_DATA"


def _objects_of(stack, seller, report_id: str) -> list[str]:
    listing = stack.boto3_client("s3").list_objects_v2(
        Bucket=stack.outputs["reports_bucket_name"], Prefix=f"{seller.seller_id}/"
    )
    return [entry["Key"] for entry in listing.get("Contents", []) if f"/{report_id}/" in entry["Key"]]


def test_fatal_report_stores_the_error_document_and_ends_failed_with_one_email(
    stack, seller, client, emails, subscribed_seller
):
    emulator = emulator_of(stack, "end a report FATAL on demand")
    report_id = client.create_report(
        seller.seller_id, seller.region_code, FATAL_REPORT_TYPE, [seller.marketplace_id]
    )
    error_document = json.dumps({"errorDetails": "The seller's listings could not be read"}).encode()
    emulator.finish_report(report_id, "FATAL", document=error_document)

    report = client.wait_for_report(report_id, timeout=60, poll_interval=0.5)

    assert report.status == "FAILED"
    assert "could not be read" in report.raw["failureReason"]
    assert report.s3_key is not None and report.s3_key.endswith(f"/{report_id}/error.json")
    # The status answer links SP-API's explanation (compared without printing the presigned URL).
    assert requests.get(str(report.download_url), timeout=30).content == error_document
    assert execution_of(stack, report_id)["status"] == "SUCCEEDED"  # the workflow handled it
    assert [key.rsplit("/", 1)[-1] for key in _objects_of(stack, seller, report_id)] == ["error.json"]
    about = emails.about(report_id)
    assert [email.subject for email in about] == [f"SP-API report {FATAL_REPORT_TYPE} failed"]
    assert "could not be read" in about[0].body


def test_cancelled_report_stores_nothing_and_ends_cancelled_with_one_email(
    stack, seller, client, emails, subscribed_seller
):
    emulator = emulator_of(stack, "end a report CANCELLED on demand")
    report_id = client.create_report(
        seller.seller_id, seller.region_code, CANCELLED_REPORT_TYPE, [seller.marketplace_id]
    )
    emulator.finish_report(report_id, "CANCELLED")

    report = client.wait_for_report(report_id, timeout=60, poll_interval=0.5)

    assert report.status == "CANCELLED"
    assert report.download_url is None
    assert execution_of(stack, report_id)["status"] == "SUCCEEDED"
    assert _objects_of(stack, seller, report_id) == []
    about = emails.about(report_id)
    assert [email.subject for email in about] == [f"SP-API report {CANCELLED_REPORT_TYPE} has no data"]
