"""The emulator's documents for the report types the analytics tables describe: served like any document,
headed exactly as the schemas say, deterministic, inside the report's data range, and written as the
marketplace writes them (spapi_emulator.schema_documents cites each rule's source)."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests

from sp_reports.analytics.table_schemas import (
    TABLE_SCHEMAS,
    TableSchema,
    flatten_json_key,
    normalize_header,
    schemas_for_report_type,
)
from sp_reports.spapi.regions import REGIONS
from spapi_emulator import SpApiEmulator
from spapi_emulator import state as st
from spapi_emulator.document_charsets import served_charset
from spapi_emulator.schema_documents import PRODUCTS_PER_SELLER, schema_document
from tests.support.canaries import SELLER_ID

US = REGIONS["NA"].marketplaces["US"]
DE = REGIONS["EU"].marketplaces["DE"]
JP = REGIONS["FE"].marketplaces["JP"]
START = "2026-11-28T00:00:00Z"
END = "2026-11-30T23:59:59Z"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
ORDERS_BY_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
SALES_AND_TRAFFIC = "GET_SALES_AND_TRAFFIC_REPORT"
TSV_TYPES = sorted(
    {name for table in TABLE_SCHEMAS.values() if table.format == "tsv" for name in table.report_types}
)
# The column whose time each type's rows must have inside the data range.
DATED_BY = {
    ORDERS_BY_DATE: "purchase_date",
    ORDERS_BY_UPDATE: "last_updated_date",
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": "return_date",
    "GET_FBA_REIMBURSEMENTS_DATA": "approval_date",
}


def _report(
    report_type: str,
    marketplace: str = US,
    *,
    report_id: str = "50001018001",
    options: dict[str, str] | None = None,
    ranged: bool = True,
) -> st.Report:
    return st.Report(
        report_id,
        SELLER_ID,
        report_type,
        [marketplace],
        created=datetime(2026, 12, 1, 6, tzinfo=UTC),
        created_mono=0.0,
        data_start_time=START if ranged else None,
        data_end_time=END if ranged else None,
        report_options=options,
    )


def _served(emulator: SpApiEmulator, seller, report: st.Report) -> tuple[bytes, str]:
    """The document as a client downloads it (gunzipped), and the download's Content-Type."""
    emulator.config.auto_advance = False
    emulator.app.add_report(report)
    emulator.finish_report(report.report_id, "DONE")
    document_id = seller.get_report(report.report_id)["reportDocumentId"]
    document = seller.call("GET", f"/reports/2021-06-30/documents/{document_id}").json()
    download = requests.get(document["url"], timeout=5)
    return gzip.decompress(download.content), download.headers["Content-Type"]


def _rows(text: str, table: TableSchema) -> list[dict[str, str]]:
    header, *lines = text.splitlines()
    index = table.header_index()
    names = [index[normalize_header(cell)].name for cell in header.split("\t")]
    rows = []
    for line in lines:
        cells = line.split("\t")
        assert len(cells) == len(names), line
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


@pytest.mark.parametrize("report_type", TSV_TYPES)
def test_each_flat_file_is_served_with_its_schema_header_and_full_rows(spapi_emulator, seller, report_type):
    (table,) = schemas_for_report_type(report_type)
    content, _ = _served(spapi_emulator, seller, _report(report_type))
    text = content.decode("utf-8")  # the US marketplace's charset (document_charsets)

    # The report by last update lacks cpf (developer-docs order-tracking-reports-attributes).
    omitted = {"cpf"} if report_type == ORDERS_BY_UPDATE else set()
    expected = [column.header for column in table.columns if column.name not in omitted]
    assert text.splitlines()[0].split("\t") == expected
    rows = _rows(text, table)
    assert rows
    for row in rows:
        for column in table.columns:
            if column.required:
                assert row[column.name], (column.name, row)


@pytest.mark.parametrize("report_type", sorted(DATED_BY))
def test_rows_are_dated_inside_the_reports_data_range(report_type):
    (table,) = schemas_for_report_type(report_type)
    rows = _rows(schema_document(_report(report_type)).decode(), table)
    start, end = datetime.fromisoformat(START), datetime.fromisoformat(END)
    assert rows
    for row in rows:
        assert start <= datetime.fromisoformat(row[DATED_BY[report_type]]) <= end, row


def test_a_document_follows_from_its_report_alone():
    first = schema_document(_report(ORDERS_BY_DATE))
    assert first == schema_document(_report(ORDERS_BY_DATE))
    assert first != schema_document(_report(ORDERS_BY_DATE, report_id="50001018002"))


def test_every_report_of_a_seller_lists_the_same_few_products():
    (inventory,) = schemas_for_report_type("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA")
    (orders,) = schemas_for_report_type(ORDERS_BY_DATE)
    skus = {
        row["sku"] for row in _rows(schema_document(_report(inventory.report_types[0])).decode(), inventory)
    }
    ordered = {row["sku"] for row in _rows(schema_document(_report(ORDERS_BY_DATE)).decode(), orders)}
    assert len(skus) == PRODUCTS_PER_SELLER
    assert ordered <= skus


def test_a_report_without_a_data_range_covers_the_day_before_its_creation():
    (table,) = schemas_for_report_type(ORDERS_BY_DATE)
    rows = _rows(schema_document(_report(ORDERS_BY_DATE, ranged=False)).decode(), table)
    created = datetime(2026, 12, 1, 6, tzinfo=UTC)
    assert rows
    assert all(
        0 < (created - datetime.fromisoformat(row["purchase_date"])).total_seconds() <= 86400 for row in rows
    )


@pytest.mark.parametrize(
    ("marketplace", "codec", "money"),
    [
        (US, "utf-8", r"\d+\.\d{2}"),  # jrl84/amazon-sp-api#144: utf8
        (DE, "cp1252", r"\d+,\d{2}"),  # Cp1252 (document_charsets); a decimal comma (abuzuhri#571)
        (JP, "cp932", r"\d+"),  # windows-31j; the yen has no minor unit
    ],
    ids=["US", "DE", "JP"],
)
def test_amounts_and_charset_are_the_marketplaces(spapi_emulator, seller, marketplace, codec, money):
    (table,) = schemas_for_report_type(ORDERS_BY_DATE)
    content, content_type = _served(spapi_emulator, seller, _report(ORDERS_BY_DATE, marketplace))
    text = content.decode(codec)  # strict: the bytes are that charset
    rows = _rows(text, table)
    sample = served_charset(ORDERS_BY_DATE, [marketplace]).sample
    assert rows and all(sample in row["product_name"] for row in rows)
    assert all(re.fullmatch(money, row["item_price"]) for row in rows), [row["item_price"] for row in rows]
    assert content_type.startswith("text/plain")


def test_a_german_settlement_writes_dates_and_amounts_as_germany_does():
    (table,) = schemas_for_report_type(SETTLEMENT)
    summary, *rows = _rows(schema_document(_report(SETTLEMENT, DE)).decode("cp1252"), table)
    assert re.fullmatch(r"28\.11\.2026 00:00:00 UTC", summary["settlement_start_date"])
    assert re.fullmatch(r"-?\d+,\d{2}", summary["total_amount"])
    assert rows and all(re.fullmatch(r"\d{2}\.\d{2}\.2026", row["posted_date"]) for row in rows)
    total = sum(float(row["amount"].replace(",", ".")) for row in rows)
    assert round(total, 2) == float(summary["total_amount"].replace(",", "."))
    assert all(row["currency"] == "EUR" for row in rows)


def test_a_us_settlement_writes_iso_times_and_dot_decimals():
    (table,) = schemas_for_report_type(SETTLEMENT)
    summary, *rows = _rows(schema_document(_report(SETTLEMENT, US)).decode(), table)
    assert summary["settlement_start_date"] == "2026-11-28T00:00:00+00:00"
    assert all(re.fullmatch(r"-?\d+\.\d{2}", row["amount"]) for row in rows)


def test_listings_asked_for_in_chinese_carry_the_localized_headers_a_source_shows():
    (table,) = schemas_for_report_type(LISTINGS)
    text = schema_document(_report(LISTINGS, options={"preferredReportDocumentLocale": "zh_CN"})).decode()
    header = text.splitlines()[0].split("\t")
    assert header[:4] == ["商品名称", "商品描述", "商品编码", "卖家 SKU"]
    assert header.count("不适用项目") == 9 and header.count("商品编码") == 2
    index = table.header_index()
    named = {index[normalize_header(cell)].name for cell in header if normalize_header(cell) in index}
    assert {"item_name", "seller_sku", "price", "quantity", "open_date", "status"} <= named
    # A marketplace whose charset cannot hold them gets the English headers.
    german = schema_document(_report(LISTINGS, DE, options={"preferredReportDocumentLocale": "zh_CN"}))
    assert german.decode("cp1252").startswith("item-name\t")


def test_north_american_listings_open_in_pacific_time():
    (table,) = schemas_for_report_type(LISTINGS)
    rows = _rows(schema_document(_report(LISTINGS)).decode(), table)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} P[DS]T", row["open_date"]) for row in rows)


def _flattened(element: dict[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in element.items():
        if isinstance(value, dict):
            flat.update(_flattened(value, (*path, key)))
        else:
            flat[flatten_json_key([*path, key])] = value
    return flat


def _sales_and_traffic(report: st.Report) -> dict[str, Any]:
    return json.loads(
        schema_document(report).decode(served_charset(SALES_AND_TRAFFIC, report.marketplace_ids).codec)
    )


@pytest.mark.parametrize("report_id", [f"5000101800{n}" for n in range(8)])
def test_sales_and_traffic_elements_flatten_to_the_schema_headers(report_id):
    by_date, by_asin = schemas_for_report_type(SALES_AND_TRAFFIC)
    document = _sales_and_traffic(_report(SALES_AND_TRAFFIC, report_id=report_id))
    for table in (by_date, by_asin):
        index = table.header_index()
        elements = document[table.rows_path]
        assert elements
        for element in elements:
            flat = _flattened(element)
            assert set(flat) <= set(index), set(flat) - set(index)
            for column in table.columns:
                if column.required:
                    assert any(index[header] is column for header in flat), column.name


def test_sales_and_traffic_by_date_covers_the_range_and_agrees_with_by_asin():
    document = _sales_and_traffic(_report(SALES_AND_TRAFFIC, options={"asinGranularity": "SKU"}))
    days = [element["date"] for element in document["salesAndTrafficByDate"]]
    assert days == ["2026-11-28", "2026-11-29", "2026-11-30"]
    by_date = sum(element["salesByDate"]["unitsOrdered"] for element in document["salesAndTrafficByDate"])
    by_asin = sum(element["salesByAsin"]["unitsOrdered"] for element in document["salesAndTrafficByAsin"])
    assert by_date == by_asin
    assert len(document["salesAndTrafficByAsin"]) == PRODUCTS_PER_SELLER
    assert all("sku" in element for element in document["salesAndTrafficByAsin"])


def test_sales_and_traffic_weeks_start_on_sunday_and_yen_amounts_are_whole():
    report = _report(SALES_AND_TRAFFIC, JP, options={"dateGranularity": "WEEK"})
    document = _sales_and_traffic(report)
    weeks = [date.fromisoformat(element["date"]) for element in document["salesAndTrafficByDate"]]
    assert weeks == [date(2026, 11, 22), date(2026, 11, 29)]  # Sunday 22nd: the week of the 28th
    amount = document["salesAndTrafficByDate"][0]["salesByDate"]["orderedProductSales"]
    assert amount["currencyCode"] == "JPY" and isinstance(amount["amount"], int)


def test_a_type_without_a_schema_keeps_the_listings_fallback(spapi_emulator, seller):
    content, _ = _served(spapi_emulator, seller, _report("GET_MERCHANT_LISTINGS_DATA"))
    assert content.startswith(b"item-name\tseller-sku\tprice")
    assert schema_document(_report("GET_MERCHANT_LISTINGS_DATA")) is None


def test_sales_and_traffic_documents_write_every_column_of_both_tables():
    by_date, by_asin = schemas_for_report_type(SALES_AND_TRAFFIC)
    written: dict[str, set[str]] = {by_date.name: set(), by_asin.name: set()}
    for seller in ("A1SELLERONE", "A2SELLERTWO", "A3SELLERTHREE", "A4SELLERFOUR"):
        report = _report(SALES_AND_TRAFFIC, options={"asinGranularity": "SKU"})
        report.seller_id = seller
        document = _sales_and_traffic(report)
        for table in (by_date, by_asin):
            for element in document[table.rows_path]:
                written[table.name] |= set(_flattened(element))
    for table in (by_date, by_asin):
        missing = {column.header for column in table.columns} - written[table.name]
        assert not missing, (table.name, missing)
