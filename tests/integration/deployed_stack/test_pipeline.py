"""One report through the deployed stack, stage by stage: token, subscription, record, workflow, S3, email,
download; then the second plan proves the deployment idempotent."""

from __future__ import annotations

import json

import pytest
import requests
from boto3.dynamodb.types import TypeDeserializer

from sp_reports.analytics.table_schemas import schemas_for_report_type
from tests.support.canaries import assert_no_secrets
from tests.support.deployed_stack import (
    EMULATOR_SELLER,
    FinishedReport,
    emulator_of,
    execution_of,
    local_aws_of,
)

pytestmark = pytest.mark.integration


def _stored_object(stack, report: FinishedReport) -> dict:
    return stack.boto3_client("s3").get_object(Bucket=report.report.s3_bucket, Key=report.report.s3_key)


def _spapi_document(stack, report: FinishedReport):
    """The report's document as SP-API serves it (the emulator's, or real SP-API's)."""
    return stack.spapi.document(stack.spapi.report(report.report_id).report_document_id)


def test_refresh_token_is_stored_as_kms_ciphertext_not_plain_text(stack, seller, done_report):
    outputs = stack.outputs
    item = stack.boto3_client("dynamodb").get_item(
        TableName=outputs["tokens_table_name"], Key={"SellerId": {"S": seller.seller_id}}
    )["Item"]

    ciphertext = item["EncryptedRefreshToken"]["B"]
    assert seller.refresh_token.encode() not in ciphertext
    assert seller.refresh_token not in str(item)
    decrypted = stack.boto3_client("kms").decrypt(
        CiphertextBlob=ciphertext, EncryptionContext={"SellerId": seller.seller_id}
    )
    assert decrypted["Plaintext"].decode() == seller.refresh_token
    assert decrypted["KeyId"] == outputs["tokens_kms_key_arn"]


def test_subscription_points_spapi_at_the_stacks_queue(stack, seller, done_report):
    subscription = stack.spapi.subscription(done_report.subscription_id)

    assert subscription.seller_id == seller.seller_id
    assert subscription.notification_type == "REPORT_PROCESSING_FINISHED"
    assert subscription.destination_id == done_report.destination_id
    assert subscription.destination_arn == stack.outputs["queue_arn"]


def test_report_is_recorded_with_the_request_and_its_final_status(stack, seller, done_report):
    item = stack.boto3_client("dynamodb").get_item(
        TableName=stack.outputs["reports_table_name"], Key={"ReportId": {"S": done_report.report_id}}
    )["Item"]

    assert item["SellerId"]["S"] == seller.seller_id
    assert item["ReportType"]["S"] == seller.report_type
    assert [entry["S"] for entry in item["MarketplaceIds"]["L"]] == [seller.marketplace_id]
    assert item["Requested"]["BOOL"] is True
    assert item["Status"]["S"] == "DONE"
    assert done_report.report.status == "DONE"


def test_workflow_execution_succeeded(stack, seller, done_report):
    execution = execution_of(stack, done_report.report_id)

    assert execution["status"] == "SUCCEEDED"
    assert_no_secrets(execution.get("output", "") + execution["input"], seller.refresh_token)


def test_the_stored_report_is_converted_and_its_outcome_recorded(stack, seller, done_report):
    """ConvertReport ran in the deployed workflow (the converter's zip, with pyarrow, imported and worked):
    the record holds its outcome, a type with a table has its Parquet files under curated/, one without says
    so."""
    execution = execution_of(stack, done_report.report_id)
    conversion = json.loads(execution["output"])["conversion"]
    assert "Error" not in conversion, conversion
    item = stack.boto3_client("dynamodb").get_item(
        TableName=stack.outputs["reports_table_name"], Key={"ReportId": {"S": done_report.report_id}}
    )["Item"]
    recorded = TypeDeserializer().deserialize(item["Conversion"])

    assert recorded["status"] == conversion["status"]
    if schemas_for_report_type(seller.report_type):
        assert conversion["status"] in ("CONVERTED", "CONVERTED_WITH_PROBLEMS"), conversion
        s3 = stack.boto3_client("s3")
        for file in conversion["files"]:
            assert file["key"].startswith("curated/") and f"/seller_id={seller.seller_id}/" in file["key"]
            head = s3.head_object(Bucket=stack.outputs["reports_bucket_name"], Key=file["key"])
            assert head["ServerSideEncryption"] == "aws:kms"
    else:
        assert conversion == {
            "status": "NO_SCHEMA",
            "files": [],
            "problems": [],
            "problemCount": 0,
            "unknownColumns": [],
        }


def test_stored_object_is_spapis_document_unzipped_and_kms_encrypted(stack, done_report):
    document = _spapi_document(stack, done_report)

    stored = _stored_object(stack, done_report)

    assert stored["Body"].read() == document.plain  # unzipped when SP-API served it compressed
    assert done_report.report.s3_bucket == stack.outputs["reports_bucket_name"]
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["SSEKMSKeyId"] == stack.outputs["data_kms_key_arn"]


def test_the_emulators_document_is_served_compressed(stack, done_report):
    emulator_of(stack, "say that a document is served compressed (real SP-API decides per document)")

    assert _spapi_document(stack, done_report).compression == "GZIP"  # so the storer had to unzip it


def test_stored_report_names_its_charset_and_the_status_answer_says_so(stack, done_report):
    # A UK report: SP-API serves it as text/plain; charset=Cp1252 (spapi_emulator.document_charsets), stored
    # byte for byte by default (transcode_reports_to_utf8 = false) and named by its IANA name.
    emulator_of(stack, f"serve the UK seller's Cp1252 listings ({EMULATOR_SELLER.seller_id})")
    document = _spapi_document(stack, done_report)
    assert document.charset_label == "Cp1252" and "„Qualität“".encode("cp1252") in document.plain

    stored = _stored_object(stack, done_report)

    assert stored["ContentType"] == "text/tab-separated-values; charset=windows-1252"
    assert stored["Metadata"]["source-charset"] == "windows-1252"
    assert done_report.report.raw["charset"] == {
        "stored": "windows-1252",
        "source": "windows-1252",
        "label": "Cp1252",
        "assumed": False,
        "transcoded": False,
    }


def test_exactly_one_email_announces_the_report(emails, seller, done_report):
    about = emails.about(done_report.report_id)

    assert len(about) == 1  # one Publish: SQS's redeliveries carry the same SNS MessageId
    assert about[0].subject == f"SP-API report {seller.report_type} is ready to download"
    body = about[0].body
    assert f"s3://{done_report.report.s3_bucket}/{done_report.report.s3_key}" in body
    assert seller.refresh_token not in body


def test_presigned_url_downloads_the_stored_report(stack, done_report):
    url = done_report.report.download_url
    assert url is not None

    response = requests.get(url, timeout=30)

    assert response.status_code == 200
    assert response.content == _stored_object(stack, done_report)["Body"].read()
    assert response.content == _spapi_document(stack, done_report).plain and response.content


def test_presigned_url_points_at_local_aws(stack, done_report):
    aws = local_aws_of(stack, "that a download link points at local AWS's own endpoint")
    url = done_report.report.download_url

    assert url is not None and url.startswith(aws.endpoint_url)


def test_second_plan_shows_no_changes(stack, done_report):
    plan = stack.terraform_plan()

    assert not plan.has_changes, plan.output[-4000:]
    assert "No changes." in plan.output
