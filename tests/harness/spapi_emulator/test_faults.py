"""Fault switches: injected statuses, slow responses, broken documents, expired URLs, LWA outages."""

from __future__ import annotations

import gzip
import time
import zlib

import pytest
import requests

from spapi_emulator import SpApiEmulator
from tests.support.emulator_api import GRANTLESS_GRANT, SELLER_GRANT, lwa_token

REPORTS = "/reports/2021-06-30/reports"


@pytest.fixture
def done_document(spapi_emulator: SpApiEmulator, seller) -> str:
    """A finished report's document id, with the report content known."""
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()
    spapi_emulator.finish_report(report_id, "DONE", document=b"sku\tprice\nA\t1.00\n" * 50)
    return seller.get_report(report_id)["reportDocumentId"]


def _document_url(seller, document_id: str) -> str:
    return seller.call("GET", f"/reports/2021-06-30/documents/{document_id}").json()["url"]


@pytest.mark.parametrize(
    ("status", "code"), [(500, "InternalFailure"), (503, "ServiceUnavailable"), (429, "QuotaExceeded")]
)
def test_injected_status_answers_the_next_calls_then_clears(
    spapi_emulator: SpApiEmulator, seller, status, code
):
    report_id = seller.create_report()
    spapi_emulator.inject("getReport", status=status, times=2)

    answers = [seller.call("GET", f"{REPORTS}/{report_id}") for _ in range(3)]

    assert [a.status_code for a in answers] == [status, status, 200]
    assert answers[0].json()["errors"][0]["code"] == code
    assert answers[0].headers["x-amzn-RequestId"]


def test_injection_targets_only_its_operation(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.inject("getReport", status=500, times=1)

    report_id = seller.create_report()

    assert report_id


def test_delay_slows_the_next_calls(spapi_emulator: SpApiEmulator, seller):
    report_id = seller.create_report()
    spapi_emulator.delay("getReport", 0.3, times=1)

    started = time.monotonic()
    seller.get_report(report_id)
    slow = time.monotonic() - started
    started = time.monotonic()
    seller.get_report(report_id)
    fast = time.monotonic() - started

    assert slow >= 0.3
    assert fast < 0.3


def test_delay_makes_client_timeouts_happen(spapi_emulator: SpApiEmulator, seller):
    report_id = seller.create_report()
    spapi_emulator.delay("getReport", 0.5, times=1)

    with pytest.raises(requests.exceptions.ReadTimeout):
        seller.session.get(f"{spapi_emulator.url}{REPORTS}/{report_id}", timeout=0.1)


def test_truncated_gzip_serves_half_a_stream(spapi_emulator: SpApiEmulator, seller, done_document):
    spapi_emulator.truncated_gzip()

    broken = requests.get(_document_url(seller, done_document), timeout=5).content
    whole = requests.get(_document_url(seller, done_document), timeout=5).content

    assert broken == whole[: len(whole) // 2]
    with pytest.raises((EOFError, zlib.error)):
        gzip.decompress(broken)


def test_plain_labelled_gzip_serves_plain_bytes_under_a_gzip_label(
    spapi_emulator: SpApiEmulator, seller, done_document
):
    spapi_emulator.plain_labelled_gzip()

    document = seller.call("GET", f"/reports/2021-06-30/documents/{done_document}").json()
    content = requests.get(document["url"], timeout=5).content

    assert document["compressionAlgorithm"] == "GZIP"
    assert content.startswith(b"sku\tprice")


def test_document_url_expires_after_the_ttl(spapi_emulator: SpApiEmulator, seller, done_document):
    url = _document_url(seller, done_document)
    assert requests.get(url, timeout=5).status_code == 200

    spapi_emulator.advance_time(301)

    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text
    assert "Request has expired" in expired.text
    assert requests.get(_document_url(seller, done_document), timeout=5).status_code == 200


def test_expire_urls_immediately_hands_out_dead_urls(spapi_emulator: SpApiEmulator, seller, done_document):
    spapi_emulator.expire_urls_immediately(times=1)

    dead = requests.get(_document_url(seller, done_document), timeout=5)
    alive = requests.get(_document_url(seller, done_document), timeout=5)

    assert dead.status_code == 403
    assert "Request has expired" in dead.text
    assert alive.status_code == 200


def test_tampered_document_url_is_refused(seller, done_document):
    url = _document_url(seller, done_document)
    forged = url.replace("expires=", "expires=9")

    response = requests.get(forged, timeout=5)

    assert response.status_code == 403
    assert "SignatureDoesNotMatch" in response.text


def test_content_encoding_header_is_sent_only_when_asked(seller, done_document):
    path = f"/reports/2021-06-30/documents/{done_document}"
    plain_url = seller.call("GET", path).json()["url"]
    encoded_url = seller.call("GET", path, params={"enableContentEncodingUrlHeader": "true"}).json()["url"]

    plain = requests.get(plain_url, timeout=5)
    encoded = requests.get(encoded_url, timeout=5)

    assert "Content-Encoding" not in plain.headers
    assert plain.content[:2] == b"\x1f\x8b"
    assert encoded.headers["Content-Encoding"] == "gzip"
    assert encoded.content.startswith(b"sku\tprice")  # requests decodes it


def test_document_download_fault_answers_like_s3(spapi_emulator: SpApiEmulator, seller, done_document):
    spapi_emulator.inject("downloadDocument", status=503, times=1)
    url = _document_url(seller, done_document)

    assert requests.get(url, timeout=5).status_code == 503
    assert requests.get(url, timeout=5).status_code == 200


@pytest.mark.parametrize(("status", "error"), [(503, "temporarily_unavailable"), (500, "server_error")])
def test_lwa_down_answers_server_errors_until_it_comes_back(spapi_emulator: SpApiEmulator, status, error):
    spapi_emulator.lwa_down(status=status)

    down = [lwa_token(spapi_emulator, **grant) for grant in (SELLER_GRANT, GRANTLESS_GRANT)]
    spapi_emulator.lwa_up()
    up = lwa_token(spapi_emulator, **SELLER_GRANT)

    assert [r.status_code for r in down] == [status, status]
    assert down[0].json()["error"] == error
    assert up.status_code == 200


def test_lwa_down_for_a_number_of_calls(spapi_emulator: SpApiEmulator):
    spapi_emulator.lwa_down(times=2)

    statuses = [lwa_token(spapi_emulator, **SELLER_GRANT).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_faults_can_be_cleared(spapi_emulator: SpApiEmulator, seller):
    report_id = seller.create_report()
    spapi_emulator.inject("getReport", status=500, times=None)
    spapi_emulator.lwa_down()
    assert seller.call("GET", f"{REPORTS}/{report_id}").status_code == 500

    spapi_emulator.clear_faults()

    assert seller.call("GET", f"{REPORTS}/{report_id}").status_code == 200
    assert lwa_token(spapi_emulator, **SELLER_GRANT).status_code == 200


def test_unknown_document_fault_is_refused(spapi_emulator: SpApiEmulator):
    with pytest.raises(ValueError, match="truncated_gzip"):
        spapi_emulator.app.faults.document_fault("bit_flip")
