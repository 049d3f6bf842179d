"""The report lifecycle: IN_QUEUE → IN_PROGRESS → DONE/CANCELLED/FATAL, by time or by control."""

from __future__ import annotations

import gzip
import time

import pytest
import requests

from sp_reports.analytics.table_schemas import TABLE_SCHEMAS
from spapi_emulator import SpApiEmulator
from spapi_emulator.schema_documents import PRODUCTS_PER_SELLER
from tests.support.emulator_api import Api, seller_token


def _wait_for_status(seller, report_id: str, statuses: tuple[str, ...], timeout: float = 3.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        report = seller.get_report(report_id)
        if report["processingStatus"] in statuses or time.monotonic() > deadline:
            return report
        time.sleep(0.02)


def test_created_report_finishes_by_itself_with_a_gzip_document(seller):
    report_id = seller.create_report()

    report = _wait_for_status(seller, report_id, ("DONE",))

    assert report["processingStatus"] == "DONE"
    assert report["processingStartTime"] <= report["processingEndTime"]
    document = seller.call("GET", f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()
    assert document["compressionAlgorithm"] == "GZIP"
    content = gzip.decompress(requests.get(document["url"], timeout=5).content)
    header, *rows = content.decode().splitlines()
    assert header.split("\t") == [column.header for column in TABLE_SCHEMAS["merchant_listings"].columns]
    assert len(rows) == PRODUCTS_PER_SELLER


def test_report_waits_in_queue_until_started_when_time_does_not_drive_it(
    spapi_emulator: SpApiEmulator, seller
):
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()
    time.sleep(0.1)
    assert seller.get_report(report_id)["processingStatus"] == "IN_QUEUE"

    spapi_emulator.start_report(report_id)
    assert seller.get_report(report_id)["processingStatus"] == "IN_PROGRESS"

    spapi_emulator.finish_report(report_id, "DONE", document=b"a\tb\n")
    report = seller.get_report(report_id)
    assert report["processingStatus"] == "DONE"
    document = seller.call("GET", f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()
    assert gzip.decompress(requests.get(document["url"], timeout=5).content) == b"a\tb\n"


def test_cancel_report_in_queue_cancels_it(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()

    response = seller.call("DELETE", f"/reports/2021-06-30/reports/{report_id}")

    assert response.status_code == 200
    assert response.content == b""
    report = seller.get_report(report_id)
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report


@pytest.mark.parametrize("status", ["IN_PROGRESS", "DONE"])
def test_cancel_report_not_in_queue_is_rejected_with_400(spapi_emulator: SpApiEmulator, seller, status):
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()
    spapi_emulator.start_report(report_id)
    if status == "DONE":
        spapi_emulator.finish_report(report_id, "DONE")

    response = seller.call("DELETE", f"/reports/2021-06-30/reports/{report_id}")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidInput"
    assert status in error["message"]
    assert seller.get_report(report_id)["processingStatus"] == status


def test_fatal_report_carries_the_error_document(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()

    spapi_emulator.finish_report(report_id, "FATAL", document=b'{"errorDetails":"no access"}')

    report = seller.get_report(report_id)
    assert report["processingStatus"] == "FATAL"
    document = seller.call("GET", f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()
    assert (
        gzip.decompress(requests.get(document["url"], timeout=5).content) == b'{"errorDetails":"no access"}'
    )


def test_fatal_report_without_error_document_has_no_document_id(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()

    spapi_emulator.finish_report(report_id, "FATAL")

    assert "reportDocumentId" not in seller.get_report(report_id)


def test_report_type_outcome_and_content_are_configurable(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.configure_report_type("GET_FLAT_FILE_OPEN_LISTINGS_DATA", outcome="CANCELLED")
    spapi_emulator.configure_report_type("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", document=b"inventory\n")
    cancelled_id = seller.create_report("GET_FLAT_FILE_OPEN_LISTINGS_DATA")
    inventory_id = seller.create_report("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA")

    assert _wait_for_status(seller, cancelled_id, ("CANCELLED",))["processingStatus"] == "CANCELLED"
    done = _wait_for_status(seller, inventory_id, ("DONE",))
    document = seller.call("GET", f"/reports/2021-06-30/documents/{done['reportDocumentId']}").json()
    assert gzip.decompress(requests.get(document["url"], timeout=5).content) == b"inventory\n"


def test_per_report_document_overrides_the_report_type_content(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.config.auto_advance = False
    spapi_emulator.configure_report_type("GET_MERCHANT_LISTINGS_ALL_DATA", document=b"type content\n")
    report_id = seller.create_report()
    spapi_emulator.set_report_document(report_id, b"this report only\n")

    spapi_emulator.finish_report(report_id, "DONE")

    report = seller.get_report(report_id)
    document = seller.call("GET", f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()
    assert gzip.decompress(requests.get(document["url"], timeout=5).content) == b"this report only\n"


def test_default_document_is_deterministic_per_report_id(spapi_emulator: SpApiEmulator):
    from spapi_emulator.state import synthetic_listings_report

    assert synthetic_listings_report("123") == synthetic_listings_report("123")
    assert synthetic_listings_report("123") != synthetic_listings_report("124")


def test_uncompressed_documents_have_no_compression_algorithm(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.config.compress_documents = False
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()
    spapi_emulator.finish_report(report_id, "DONE", document=b"plain\n")

    report = seller.get_report(report_id)
    document = seller.call("GET", f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()

    assert "compressionAlgorithm" not in document
    assert requests.get(document["url"], timeout=5).content == b"plain\n"


def test_another_sellers_report_is_not_found(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.register_seller("Atzr|CANARY-REFRESH-other-seller", "A1OTHERSELLER1")
    other = Api(spapi_emulator, seller_token(spapi_emulator, "Atzr|CANARY-REFRESH-other-seller"))
    report_id = other.create_report()

    response = seller.call("GET", f"/reports/2021-06-30/reports/{report_id}")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"
