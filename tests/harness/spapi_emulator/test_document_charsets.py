"""The document host labels and encodes each marketplace's documents as SP-API does
(docs/spapi-notes.md#charsets; each rule's source is in spapi_emulator.document_charsets)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
import requests

from sp_reports.spapi.regions import REGIONS
from spapi_emulator import SpApiEmulator
from spapi_emulator import state as st
from spapi_emulator.document_charsets import RULES, served_charset
from tests.support.canaries import SELLER_ID

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

# (region, country, Content-Type of the download, codec of the bytes, compressionAlgorithm, bytes are gzip)
CASES = [
    ("NA", "US", "text/plain; charset=utf8", "utf-8", "GZIP", True),  # jrl84/amazon-sp-api#144
    ("NA", "CA", "text/plain; charset=utf8", "utf-8", "GZIP", True),  # jrl84/amazon-sp-api#144
    ("NA", "BR", "text/plain; charset=Cp1252", "cp1252", "GZIP", True),  # docs/spapi-notes.md#charsets
    ("EU", "ES", "text/plain; charset=Cp1252", "cp1252", "GZIP", True),  # jrl84/amazon-sp-api#144
    ("EU", "DE", "text/plain; charset=Cp1252", "cp1252", "GZIP", True),  # jlevers/selling-partner-api#512
    ("EU", "UK", "text/plain; charset=Cp1252", "cp1252", "GZIP", True),  # models#2748
    ("FE", "JP", "text/plain; charset=windows-31j", "cp932", "GZIP", True),  # python-amazon-sp-api#244
    ("FE", "AU", "text/plain; charset=UTF-8", "utf-8", "GZIP", True),  # docs/spapi-notes.md#charsets
    ("FE", "SG", "text/plain; charset=UTF-8", "utf-8", "GZIP", True),  # docs/spapi-notes.md#charsets
    ("NA", "MX", "text/plain", "utf-8", "GZIP", True),  # no source: no charset (docs#2338)
    ("EU", "TR", "text/plain", "utf-8", "GZIP", False),  # GZIP flag on plain bytes (hotglue tap)
]


def _finished_report(emulator: SpApiEmulator, seller_id: str, report_type: str, marketplace_id: str) -> str:
    report_id = f"R-{report_type}-{marketplace_id}"
    now = datetime.now(UTC)
    emulator.app.add_report(
        st.Report(report_id, seller_id, report_type, [marketplace_id], created=now, created_mono=0.0)
    )
    emulator.finish_report(report_id, "DONE")
    return report_id


def _download(seller, report_id: str) -> tuple[dict, requests.Response]:
    document_id = seller.get_report(report_id)["reportDocumentId"]
    document = seller.call("GET", f"/reports/2021-06-30/documents/{document_id}").json()
    return document, requests.get(document["url"], timeout=5)


@pytest.mark.parametrize(
    ("region", "country", "content_type", "codec", "compression", "gzipped"),
    CASES,
    ids=[f"{case[1]}" for case in CASES],
)
def test_each_marketplace_is_served_in_its_documented_charset(
    spapi_emulator, seller, region, country, content_type, codec, compression, gzipped
):
    spapi_emulator.config.auto_advance = False
    marketplace_id = REGIONS[region].marketplaces[country]
    report_id = _finished_report(spapi_emulator, SELLER_ID, LISTINGS, marketplace_id)
    document, download = _download(seller, report_id)

    assert download.status_code == 200
    assert download.headers["Content-Type"] == content_type
    assert document.get("compressionAlgorithm") == compression
    body = download.content
    assert body.startswith(b"\x1f\x8b") is gzipped
    text = (gzip.decompress(body) if gzipped else body).decode(codec)  # strict: the bytes are that charset
    sample = served_charset(LISTINGS, [marketplace_id]).sample
    rows = text.splitlines()[1:]
    assert rows and text.count(sample) == len(rows)  # every listing's name is the marketplace's sample
    assert text.startswith("item-name\t")


def test_the_japanese_document_holds_multibyte_characters_and_a_windows_31j_extension(spapi_emulator, seller):
    spapi_emulator.config.auto_advance = False
    report_id = _finished_report(spapi_emulator, SELLER_ID, LISTINGS, REGIONS["FE"].marketplaces["JP"])
    _, download = _download(seller, report_id)
    plain = gzip.decompress(download.content)
    assert "白いペン".encode("cp932") in plain and "㎏".encode("cp932") in plain
    with pytest.raises(UnicodeDecodeError):
        plain.decode("shift_jis")  # why a client must read it as cp932 (python-amazon-sp-api#552)


@pytest.mark.parametrize("country", ["DE", "JP", "US"])
def test_settlement_downloads_name_no_charset(spapi_emulator, seller, country):
    spapi_emulator.config.auto_advance = False
    region = "FE" if country == "JP" else "EU" if country == "DE" else "NA"
    marketplace_id = REGIONS[region].marketplaces[country]
    report_id = _finished_report(spapi_emulator, SELLER_ID, SETTLEMENT, marketplace_id)
    _, download = _download(seller, report_id)
    assert download.headers["Content-Type"] == "text/plain"
    gzip.decompress(download.content).decode(RULES[marketplace_id].codec)


def test_a_document_given_by_a_test_is_served_as_given_under_the_marketplace_label(spapi_emulator, seller):
    spapi_emulator.config.auto_advance = False
    document = "商品\n".encode("cp932")
    spapi_emulator.app.add_report(
        st.Report("RJ1", SELLER_ID, LISTINGS, [REGIONS["FE"].marketplaces["JP"]], datetime.now(UTC), 0.0)
    )
    spapi_emulator.finish_report("RJ1", "DONE", document)
    _, download = _download(seller, "RJ1")
    assert gzip.decompress(download.content) == document
    assert download.headers["Content-Type"] == "text/plain; charset=windows-31j"
