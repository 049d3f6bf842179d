"""Reading a stored document's rows: headers, field counts, charsets, gzip, the BOM, JSON flattening."""

from __future__ import annotations

import gzip
import io

import pytest

from sp_reports.analytics.document_rows import (
    MAX_JSON_CHARACTERS,
    DocumentRejected,
    JsonRows,
    TsvRows,
    document_rows,
    flatten,
    open_text,
)
from sp_reports.analytics.table_schemas import Column, TableSchema


def column(name, header, type_name="string", *, required=False, aliases=()):
    return Column(name, header, tuple(aliases), type_name, required, None, "")


ORDERS = TableSchema(
    name="orders",
    description="",
    report_types=("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",),
    format="tsv",
    rows_path=None,
    columns=(
        column("order_id", "amazon-order-id", required=True, aliases=("Bestellnummer",)),
        column("product_name", "product-name"),
        column("quantity", "quantity", "bigint"),
    ),
    natural_key=(),
    latest_by=None,
    sources=(),
)
SALES = TableSchema(
    name="sales_by_asin",
    description="",
    report_types=("GET_SALES_AND_TRAFFIC_REPORT",),
    format="json",
    rows_path="salesAndTrafficByAsin",
    columns=(
        column("child_asin", "child_asin", required=True),
        column("ordered_product_sales_amount", "sales_by_asin_ordered_product_sales_amount", "decimal(18,2)"),
        column("units_ordered_b2b", "sales_by_asin_units_ordered_b2b", "bigint"),
    ),
    natural_key=(),
    latest_by=None,
    sources=(),
)


def rows_of(data: bytes, schema=ORDERS, charset=None):
    problems = []
    reader = document_rows(open_text(io.BytesIO(data), charset), schema, problems.append)
    return reader, list(reader), problems


def test_headers_map_to_columns_and_unknown_ones_go_to_extra():
    document = (
        b"amazon-order-id\tproduct-name\tquantity\tnew-header\n302-1\tMug\t2\tsomething\n302-2\tCup\t\t\n"
    )
    reader, rows, problems = rows_of(document)

    assert reader.unknown_columns == ("new-header",)
    assert [(r.number, r.cells, r.extra) for r in rows] == [
        (2, {"order_id": "302-1", "product_name": "Mug", "quantity": "2"}, {"new-header": "something"}),
        (3, {"order_id": "302-2", "product_name": "Cup", "quantity": ""}, {}),
    ]
    assert problems == []


def test_headers_match_aliases_whatever_their_case_and_spaces():
    reader, rows, _ = rows_of(b" BESTELLNUMMER \tQuantity\r\n302-1\t1\r\n")

    assert reader.unknown_columns == ()
    assert rows[0].cells == {"order_id": "302-1", "quantity": "1"}


def test_rows_with_more_or_fewer_fields_are_dropped_with_their_line_number():
    document = b"amazon-order-id\tproduct-name\n302-1\tMug\n302-2\n302-3\tCup\textra\n\n302-4\tBowl\n"
    _, rows, problems = rows_of(document)

    assert [r.number for r in rows] == [2, 6]
    assert [(p.row, p.column) for p in problems] == [(3, None), (4, None)]
    assert "1 fields where the header has 2" in problems[0].reason
    assert "3 fields where the header has 2" in problems[1].reason
    assert all("302" not in p.reason for p in problems)  # never the row's text


def test_a_header_without_a_required_column_rejects_the_document():
    with pytest.raises(DocumentRejected, match="order_id"):
        rows_of(b"product-name\tquantity\nMug\t1\n")


def test_two_headers_of_one_column_reject_the_document():
    with pytest.raises(DocumentRejected, match="both name column order_id"):
        rows_of(b"amazon-order-id\tBestellnummer\n1\t2\n")


def test_an_empty_document_is_rejected():
    with pytest.raises(DocumentRejected, match="empty"):
        rows_of(b"")


def test_lines_are_bounded(monkeypatch):
    monkeypatch.setattr("sp_reports.analytics.document_rows.MAX_LINE_CHARACTERS", 40)
    _, rows, _ = rows_of(b"amazon-order-id\n" + b"1" * 40 + b"\n")
    assert rows[0].cells == {"order_id": "1" * 40}
    with pytest.raises(DocumentRejected, match="a line longer than 40"):
        rows_of(b"amazon-order-id\n" + b"1" * 41 + b"\n")


def test_the_last_line_needs_no_line_feed():
    _, rows, _ = rows_of(b"amazon-order-id\tquantity\r\n302-1\t1\r\n302-2\t2")
    assert [(r.number, r.cells["quantity"]) for r in rows] == [(2, "1"), (3, "2")]


def test_a_utf8_byte_order_mark_is_dropped():
    _, rows, _ = rows_of("\ufeffamazon-order-id\tproduct-name\n302-1\tTasse\n".encode())

    assert rows[0].cells["order_id"] == "302-1"


def test_cp1252_documents_are_decoded():
    # windows-1252 bytes: „ (0x84), “ (0x93), € (0x80), ü (0xFC), as SP-API's EU documents hold them
    document = "amazon-order-id\tproduct-name\n302-1\t„Tasse“ für 5 €\n".encode("cp1252")
    _, rows, _ = rows_of(document, charset="windows-1252")

    assert rows[0].cells["product_name"] == "„Tasse“ für 5 €"


def test_windows_31j_documents_are_decoded_with_the_extensions_shift_jis_lacks():
    # ㎏ (0x8773) is a Windows-31J (cp932) extension that plain Shift_JIS cannot decode
    document = "amazon-order-id\tproduct-name\n503-1\t緑茶 1㎏\n".encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        document.decode("shift_jis")

    _, rows, _ = rows_of(document, charset="Windows-31J")

    assert rows[0].cells["product_name"] == "緑茶 1㎏"


def test_bytes_the_charset_cannot_decode_reject_the_document():
    document = "amazon-order-id\tproduct-name\n302-1\tfür\n".encode("cp1252")  # 0xFC is not UTF-8
    with pytest.raises(DocumentRejected, match="not utf-8 text"):
        rows_of(document, charset="UTF-8")


def test_an_unknown_charset_rejects_the_document():
    with pytest.raises(DocumentRejected, match="charset"):
        rows_of(b"amazon-order-id\n1\n", charset="EBCDIC")


def test_gzip_documents_are_gunzipped():
    _, rows, _ = rows_of(gzip.compress(b"amazon-order-id\tproduct-name\n302-1\tMug\n"))

    assert rows[0].cells == {"order_id": "302-1", "product_name": "Mug"}


def test_a_truncated_gzip_document_is_rejected():
    whole = gzip.compress(b"amazon-order-id\tproduct-name\n" + b"302-1\tMug\n" * 10_000)
    reader = document_rows(open_text(io.BytesIO(whole[: len(whole) // 2]), None), ORDERS, lambda p: None)
    with pytest.raises(DocumentRejected, match="truncated gzip"):
        list(reader)


def test_json_rows_are_the_flattened_elements_of_the_rows_path():
    document = b"""{
      "reportSpecification": {"reportType": "GET_SALES_AND_TRAFFIC_REPORT"},
      "salesAndTrafficByDate": [{"date": "2024-01-15"}],
      "salesAndTrafficByAsin": [
        {"parentAsin": "B0PARENT", "childAsin": "B0CHILD1",
         "salesByAsin": {"orderedProductSales": {"amount": 1234.50, "currencyCode": "EUR"},
                         "unitsOrderedB2B": 3},
         "trafficByAsin": {"pageViews": 10, "tags": ["a", "b"], "missing": null}},
        {"childAsin": "B0CHILD2", "salesByAsin": {"orderedProductSales": {"amount": 0.1}}}
      ]
    }"""
    reader, rows, problems = rows_of(document, SALES)

    assert isinstance(reader, JsonRows)
    assert rows[0].number == 1
    assert rows[0].cells == {
        "child_asin": "B0CHILD1",
        "ordered_product_sales_amount": "1234.50",  # the JSON text: exact, not a float
        "units_ordered_b2b": "3",
    }
    assert rows[0].extra == {
        "parent_asin": "B0PARENT",
        "sales_by_asin_ordered_product_sales_currency_code": "EUR",
        "traffic_by_asin_page_views": "10",
        "traffic_by_asin_tags": '["a","b"]',
    }
    assert rows[1].cells == {"child_asin": "B0CHILD2", "ordered_product_sales_amount": "0.1"}
    assert "traffic_by_asin_page_views" in reader.unknown_columns
    assert problems == []


def test_flatten_joins_snake_cased_keys():
    assert flatten({"salesByDate": {"orderedProductSalesB2B": {"amount": 1}}, "ok": True}) == {
        "sales_by_date_ordered_product_sales_b2b_amount": "1",
        "ok": "true",
    }


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"salesAndTrafficByDate": []}', "no salesAndTrafficByAsin array"),
        (b'{"salesAndTrafficByAsin": [{"parentAsin": "B0"}]}', "child_asin"),
    ],
)
def test_json_documents_that_cannot_be_read_are_rejected(document, reason):
    with pytest.raises(DocumentRejected, match=reason):
        rows_of(document, SALES)


def test_json_documents_are_bounded(monkeypatch):
    monkeypatch.setattr("sp_reports.analytics.document_rows.MAX_JSON_CHARACTERS", 100)
    with pytest.raises(DocumentRejected, match="larger than 100"):
        rows_of(b'{"salesAndTrafficByAsin": [' + b'{"childAsin": "B0"},' * 20 + b"{}]}", SALES)
    assert MAX_JSON_CHARACTERS > 1_000_000


def test_a_json_element_that_is_not_an_object_is_dropped():
    _, rows, problems = rows_of(b'{"salesAndTrafficByAsin": [{"childAsin": "B0"}, 7]}', SALES)

    assert [r.number for r in rows] == [1]
    assert [(p.row, p.column) for p in problems] == [(2, None)]


def test_tsv_reader_reads_lazily():
    # the header is read at once, the rows only as they are asked for
    body = io.BytesIO(b"amazon-order-id\n" + b"302-1\n" * 2_000_000)
    reader = TsvRows(open_text(body, None), ORDERS, lambda p: None)
    first = next(iter(reader))

    assert first.cells == {"order_id": "302-1"}
    assert body.tell() < 4 * 1024 * 1024  # far less than the 14 MB document


def test_a_header_repeated_over_unknown_columns_keeps_every_cell():
    # jlevers/selling-partner-api#525: a Chinese listings report writes "不适用项目" over several columns
    document = "amazon-order-id\t不适用项目\t不适用项目\t\n302-1\ta\tb\tc\n".encode()
    reader, rows, _ = rows_of(document)

    assert reader.unknown_columns == ("不适用项目", "不适用项目 (column 3)", "column 4")
    assert rows[0].extra == {"不适用项目": "a", "不适用项目 (column 3)": "b", "column 4": "c"}
