"""Character sets end to end: a Japanese (cp932) report is stored byte-identical and named Windows-31J by
default, and as valid UTF-8 with TRANSCODE_REPORTS_TO_UTF8; a download without a charset gets the
marketplace's documented default, recorded as assumed; an unknown one is stored as served."""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_storage import document_extension
from sp_reports.pipeline.token_store import TokenStore
from sp_reports.spapi.regions import REGIONS
from tests.support import api_events, notification_messages
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID

REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
JAPANESE = "商品名\t価格\n" + "".join(f"白いペン ホワイト ㎏ {n}\t{n},200円\n" for n in range(20_000))
TRANSCODING = {"TRANSCODE_REPORTS_TO_UTF8": "true"}  # root transcode_reports_to_utf8 = true
GERMAN = "Artikel\tPreis\n" + "".join(f"Piña „Qualität“ {n}\t{n},99 €\n" for n in range(200))


@pytest.fixture
def charsets(workflow, spapi_emulator, load_handler, lambda_context):
    spapi_emulator.app.config.auto_advance = False
    resources = workflow.resources
    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)
    subscriber = load_handler("notifications_subscriber")
    for region in ("NA", "EU", "FE"):
        subscribed = subscriber.handler(
            api_events.api_event("POST", "/notifications", {"SellerId": SELLER_ID, "RegionCode": region}),
            lambda_context,
        )
        assert subscribed["statusCode"] == 200, subscribed["body"]

    class Charsets:
        creator = load_handler("report_creator")
        processor = load_handler("notifications_processor", STATE_MACHINE_ARN=workflow.state_machine_arn)
        status = load_handler("report_status")
        records = ReportRecords(resources.reports_table, boto3.client("dynamodb"))

        def run(
            self,
            region: str,
            country: str,
            document: bytes,
            *,
            label: str | None = "keep",
            report_type: str = REPORT_TYPE,
        ) -> tuple:
            body = {
                "SellerId": SELLER_ID,
                "RegionCode": region,
                "ReportType": report_type,
                "MarketplaceIds": REGIONS[region].marketplaces[country],
            }
            response = self.creator.handler(api_events.api_event("POST", "/reports", body), lambda_context)
            assert response["statusCode"] == 202, response["body"]
            report_id = json.loads(response["body"])["reportId"]
            spapi_emulator.finish_report(report_id, "DONE", document)
            if label != "keep":  # served with another charset parameter, or none (docs#2338)
                document_id = spapi_emulator.app.state.reports[report_id].report_document_id
                spapi_emulator.app.state.documents[document_id].charset_label = label
            bodies = [
                sent.body
                for sent in spapi_emulator.sent_notifications
                if sent.message["payload"]["reportProcessingFinishedNotification"]["reportId"] == report_id
            ]
            sqs_event = notification_messages.sqs_event(*bodies)
            assert self.processor.handler(sqs_event, lambda_context) == {"batchItemFailures": []}
            (execution,) = [e for e in workflow.executions() if e["name"] == f"report-{report_id}"]
            finished = workflow.wait(execution["executionArn"])
            assert finished["status"] == "SUCCEEDED", finished
            key = f"{SELLER_ID}/{report_type}/{report_id}/report.{document_extension(report_type)}"
            stored = boto3.client("s3").get_object(Bucket=resources.bucket, Key=key)
            return report_id, stored, finished

        def answer(self, report_id: str) -> dict:
            event = api_events.api_event(
                "GET", f"/reports/{report_id}", path_parameters={"reportId": report_id}
            )
            response = self.status.handler(event, lambda_context)
            assert response["statusCode"] == 200, response["body"]
            return json.loads(response["body"])

    return Charsets()


def test_a_japanese_report_is_stored_byte_identical_and_named_windows_31j_by_default(charsets):
    source = JAPANESE.encode("cp932")
    report_id, stored, execution = charsets.run("FE", "JP", source)
    assert stored["Body"].read() == source
    assert stored["ContentType"] == "text/tab-separated-values; charset=Windows-31J"
    assert stored["Metadata"]["source-charset"] == "Windows-31J"
    assert json.loads(execution["input"])["marketplaceIds"] == [REGIONS["FE"].marketplaces["JP"]]
    expected = {
        "stored": "Windows-31J",
        "source": "Windows-31J",
        "label": "windows-31j",
        "assumed": False,
        "transcoded": False,
    }
    assert charsets.records.get(report_id).charset.describe() == expected
    assert charsets.answer(report_id)["charset"] == expected


@pytest.mark.parametrize("workflow_environment", [TRANSCODING])
def test_with_transcoding_on_a_japanese_report_is_stored_as_valid_utf8(charsets, workflow):
    source = JAPANESE.encode("cp932")
    # Several of the storer's 256 KiB chunks (sp_reports.spapi.documents.DEFAULT_CHUNK_SIZE): characters
    # straddle them.
    assert len(source) > 2 * 256 * 1024
    report_id, stored, _ = charsets.run("FE", "JP", source)
    body = stored["Body"].read()
    assert body.decode("utf-8") == JAPANESE
    assert stored["ContentType"] == "text/tab-separated-values; charset=UTF-8"
    record = charsets.records.get(report_id)
    assert (record.charset.source, record.charset.stored, record.charset.transcoded) == (
        "Windows-31J",
        "UTF-8",
        True,
    )
    assert record.charset.replacements == 0 and record.object_size == len(body)
    assert charsets.answer(report_id)["charset"]["source"] == "Windows-31J"


@pytest.mark.parametrize("workflow_environment", [TRANSCODING])
def test_a_download_without_a_charset_is_read_in_the_marketplace_default_and_says_it_was_assumed(
    charsets, workflow
):
    report_id, stored, _ = charsets.run("EU", "DE", GERMAN.encode("cp1252"), label=None)
    assert stored["Body"].read().decode("utf-8") == GERMAN
    answer = charsets.answer(report_id)["charset"]
    assert answer["assumed"] is True and answer["source"] == "windows-1252" and "label" not in answer
    assert "names no charset" in answer["note"] and REGIONS["EU"].marketplaces["DE"] in answer["note"]


@pytest.mark.parametrize("workflow_environment", [TRANSCODING])
def test_an_unknown_charset_is_stored_as_served_and_the_answer_says_why(charsets, workflow):
    source = "Größe\n".encode("iso-8859-15")
    report_id, stored, _ = charsets.run("EU", "DE", source, label="ISO-8859-15")
    assert stored["Body"].read() == source
    assert stored["ContentType"] == "text/tab-separated-values"
    answer = charsets.answer(report_id)["charset"]
    assert answer["label"] == "ISO-8859-15" and "stored" not in answer and "source" not in answer
    assert "not transcoded" in answer["note"]
    assert charsets.records.get(report_id).status is ReportStatus.DONE


def test_a_rerun_that_finds_the_object_records_its_charset_from_the_object(charsets, workflow):
    source = JAPANESE.encode("cp932")[:10_000].rsplit(b"\n", 1)[0] + b"\n"
    report_id, _, execution = charsets.run("FE", "JP", source)
    first = charsets.records.get(report_id).charset
    boto3.client("dynamodb").update_item(
        TableName=workflow.resources.reports_table,
        Key={"ReportId": {"S": report_id}},
        UpdateExpression="REMOVE Charset",
    )
    rerun = workflow.wait(workflow.start(json.loads(execution["input"])))
    assert rerun["status"] == "SUCCEEDED"
    assert charsets.records.get(report_id).charset == first


def test_an_xml_report_is_stored_with_the_catalogue_media_type_and_its_charset(charsets):
    source = '<?xml version="1.0"?><Node>Piña „Qualität“</Node>\n'.encode("cp1252")
    report_id, stored, _ = charsets.run("EU", "DE", source, report_type="GET_XML_BROWSE_TREE_DATA")
    assert stored["Body"].read() == source
    assert stored["ContentType"] == "application/xml; charset=windows-1252"
    assert charsets.answer(report_id)["charset"]["label"] == "Cp1252"
