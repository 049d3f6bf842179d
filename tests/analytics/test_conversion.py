"""convert_report against local S3 (moto): typed rows, problems, rejection with nothing visible, re-pulled
windows overwriting their file. The written Parquet is read back with DuckDB over a local copy of the
curated/ layout, as Athena reads it with partition projection."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import boto3
import duckdb
import pytest

from sp_reports.analytics import conversion
from sp_reports.analytics.conversion import MAX_PROBLEMS, ConversionRequest, convert_report
from sp_reports.analytics.table_schemas import (
    CURATED_PREFIX,
    STAGING_PREFIX,
    TABLE_SCHEMAS,
    Column,
    TableSchema,
    glue_columns,
)
from sp_reports.spapi.regions import REGIONS

BUCKET = "sp-reports-documents"
SELLER = "A2SELLER"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
DE = REGIONS["EU"].marketplaces["DE"]
HEADERS = [column.header for column in TABLE_SCHEMAS["all_orders"].columns]


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def kms_key(aws):
    return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]


def order_line(order_id, *, headers=HEADERS, **cells):
    values = {
        "amazon-order-id": order_id,
        "purchase-date": "2024-01-15T08:30:00+00:00",
        "last-updated-date": "15.01.2024 09:30:00 UTC",
        "sku": "MUG-1",
        "quantity": "1",
        "currency": "EUR",
        "item-price": "1.234,56",
        "product-name": "Tasse „Kaffee“",
        **{name.replace("_", "-"): value for name, value in cells.items()},
    }
    return "\t".join(values.get(header, "") for header in headers)


def orders_document(*lines, headers=HEADERS):
    return "\n".join(["\t".join(headers), *lines]) + "\n"


def request(kms_key, raw_key="A2SELLER/raw/report.tsv", **changes):
    values = {
        "bucket": BUCKET,
        "raw_key": raw_key,
        "kms_key_id": kms_key,
        "seller_id": SELLER,
        "report_id": "50001019000",
        "report_type": ORDERS_BY_DATE,
        "marketplace_ids": (DE,),
        "data_start": datetime(2024, 1, 15, tzinfo=UTC),
        "data_end": datetime(2024, 1, 16, tzinfo=UTC),
        "created": datetime(2024, 1, 16, 1, tzinfo=UTC),
        "charset": "windows-1252",
        "tags": {"data-class": "restricted"},
    }
    return ConversionRequest(**{**values, **changes})


def store(s3, body: bytes, key="A2SELLER/raw/report.tsv"):
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return key


def keys(s3, prefix=""):
    return sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    )


def local_copy(s3, root: Path) -> Path:
    """curated/ as it is in S3, on disk, for DuckDB."""
    for key in keys(s3, CURATED_PREFIX):
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return root / CURATED_PREFIX


def query(curated: Path, table: str, sql: str):
    files = str(curated / table / "**" / "*.parquet")
    connection = duckdb.connect()
    connection.read_parquet(files, hive_partitioning=True).create_view("t")
    return connection.execute(sql).fetchall()


def test_a_german_report_becomes_typed_rows(s3, kms_key, tmp_path):
    document = orders_document(
        order_line("302-1", quantity="2", item_price="1.234,56", is_business_order="true"),
        order_line("302-2", quantity="", item_price="12,5"),  # an empty quantity is null
    )
    store(s3, document.encode("cp1252"))

    outcome = convert_report(s3, request(kms_key))

    assert outcome.status == "CONVERTED"
    assert outcome.problem_count == 0
    (file,) = outcome.files
    assert file.table == "all_orders"
    assert file.rows == 2
    assert file.key == (
        f"curated/all_orders/seller_id={SELLER}/marketplace={DE}/dt=2024-01-15/"
        f"{ORDERS_BY_DATE}_20240115T000000Z_20240116T000000Z.parquet"
    )
    rows = query(
        local_copy(s3, tmp_path),
        "all_orders",
        "SELECT amazon_order_id, quantity, item_price, product_name, last_updated_date, is_business_order,"
        " report_id, source_row, marketplace, dt, seller_id, data_start, data_end FROM t ORDER BY source_row",
    )
    assert rows == [
        (
            "302-1",
            2,
            Decimal("1234.56"),
            "Tasse „Kaffee“",
            datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
            True,
            "50001019000",
            2,
            DE,
            date(2024, 1, 15),
            SELLER,
            datetime(2024, 1, 15, tzinfo=UTC),
            datetime(2024, 1, 16, tzinfo=UTC),
        ),
        (
            "302-2",
            None,
            Decimal("12.50"),
            "Tasse „Kaffee“",
            datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
            None,
            "50001019000",
            3,
            DE,
            date(2024, 1, 15),
            SELLER,
            datetime(2024, 1, 15, tzinfo=UTC),
            datetime(2024, 1, 16, tzinfo=UTC),
        ),
    ]


def test_the_curated_object_is_encrypted_and_tagged_and_nothing_stays_staged(s3, kms_key):
    store(s3, orders_document(order_line("302-1")).encode("cp1252"))

    outcome = convert_report(s3, request(kms_key))

    head = s3.head_object(Bucket=BUCKET, Key=outcome.files[0].key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == kms_key
    assert head["ContentType"] == "application/vnd.apache.parquet"
    tags = s3.get_object_tagging(Bucket=BUCKET, Key=outcome.files[0].key)["TagSet"]
    assert tags == [{"Key": "data-class", "Value": "restricted"}]
    assert keys(s3, STAGING_PREFIX) == []


def test_a_staged_file_that_cannot_be_deleted_does_not_fail_the_conversion(s3, kms_key, caplog):
    store(s3, orders_document(order_line("302-1")).encode("cp1252"))

    class NoDeletes:
        def __getattr__(self, name):
            return getattr(s3, name)

        def delete_object(self, **_):
            raise ConnectionError("S3 unreachable")

    outcome = convert_report(NoDeletes(), request(kms_key))

    assert outcome.status == "CONVERTED"
    assert keys(s3, CURATED_PREFIX) == [outcome.files[0].key]
    assert len(keys(s3, STAGING_PREFIX)) == 1  # left for the lifecycle rule
    assert "could not delete the staged file" in caplog.text


def test_bad_cells_and_rows_are_problems_with_their_row_and_column(s3, kms_key, tmp_path):
    short = "\t".join(["302-9", "too few fields"])
    document = orders_document(
        order_line("302-1", item_price="12,x"),  # optional cell that does not parse: null
        order_line("302-2", purchase_date="yesterday"),  # required cell that does not parse: row dropped
        order_line("302-3", sku=""),  # required cell empty: row dropped
        short,  # fewer fields than the header: row dropped
        order_line("302-5") + "\tone too many",
        order_line("302-6"),
    )
    store(s3, document.encode("cp1252"))

    outcome = convert_report(s3, request(kms_key))

    assert outcome.status == "CONVERTED_WITH_PROBLEMS"
    assert [(p.row, p.column) for p in outcome.problems] == [
        (2, "item_price"),
        (3, "purchase_date"),
        (4, "sku"),
        (5, None),
        (6, None),
    ]
    assert outcome.problem_count == 5
    assert outcome.files[0].rows == 2
    assert not any("yesterday" in p.reason or "12,x" in p.reason for p in outcome.problems)
    rows = query(local_copy(s3, tmp_path), "all_orders", "SELECT source_row, item_price FROM t ORDER BY 1")
    assert rows == [(2, None), (7, Decimal("1234.56"))]
    record = outcome.as_record()
    assert record["status"] == "CONVERTED_WITH_PROBLEMS"
    assert record["problemCount"] == 5
    assert record["problems"][0] == {
        "row": 2,
        "column": "item_price",
        "reason": "decimal(18,2): not a number",
    }


def test_problems_are_counted_in_full_and_kept_to_a_bound(s3, kms_key):
    bad = [order_line(f"302-{n}", quantity="many") for n in range(MAX_PROBLEMS + 15)]
    store(s3, orders_document(*bad).encode("cp1252"))

    outcome = convert_report(s3, request(kms_key))

    assert outcome.problem_count == MAX_PROBLEMS + 15
    assert len(outcome.problems) == MAX_PROBLEMS
    assert outcome.files[0].rows == MAX_PROBLEMS + 15  # quantity is optional: the rows stay, quantity null


def test_unknown_headers_are_kept_in_extra_and_listed(s3, kms_key, tmp_path):
    headers = [*HEADERS, "buyer-citizen-name"]
    line = order_line("302-1", headers=headers) + "x"
    store(s3, orders_document(line, headers=headers).encode("cp1252"))

    outcome = convert_report(s3, request(kms_key))

    assert outcome.status == "CONVERTED"
    assert outcome.unknown_columns == ("buyer-citizen-name",)
    assert outcome.as_record()["unknownColumns"] == ["buyer-citizen-name"]
    assert query(local_copy(s3, tmp_path), "all_orders", "SELECT extra FROM t") == [
        ({"buyer-citizen-name": "x"},)
    ]


def test_a_header_without_a_required_column_is_rejected_and_nothing_is_visible(s3, kms_key):
    headers = [header for header in HEADERS if header != "sku"]
    store(s3, orders_document(order_line("302-1", headers=headers), headers=headers).encode("cp1252"))

    outcome = convert_report(s3, request(kms_key))

    assert outcome.status == "REJECTED"
    assert outcome.files == ()
    assert "sku" in outcome.problems[0].reason
    assert keys(s3, CURATED_PREFIX) == []
    assert keys(s3, STAGING_PREFIX) == []


def test_a_truncated_gzip_is_rejected_and_leaves_the_earlier_file_as_it_was(s3, kms_key):
    store(s3, orders_document(order_line("302-1")).encode("cp1252"))
    first = convert_report(s3, request(kms_key))
    before = s3.get_object(Bucket=BUCKET, Key=first.files[0].key)["Body"].read()
    lines = [order_line(f"302-{n}") for n in range(5_000)]
    whole = gzip.compress(orders_document(*lines).encode("cp1252"))
    store(s3, whole[: len(whole) * 2 // 3])

    outcome = convert_report(s3, request(kms_key, report_id="50001019001"))

    assert outcome.status == "REJECTED"
    assert "truncated gzip" in outcome.problems[0].reason
    assert keys(s3, CURATED_PREFIX) == [first.files[0].key]
    assert s3.get_object(Bucket=BUCKET, Key=first.files[0].key)["Body"].read() == before
    assert keys(s3, STAGING_PREFIX) == []


def test_a_re_pulled_window_overwrites_its_own_file(s3, kms_key, tmp_path):
    document = orders_document(order_line("302-1"), order_line("302-2")).encode("cp1252")
    store(s3, document, key="A2SELLER/raw/first.tsv")
    store(s3, document, key="A2SELLER/raw/second.tsv")

    first = convert_report(s3, request(kms_key, raw_key="A2SELLER/raw/first.tsv"))
    second = convert_report(s3, request(kms_key, raw_key="A2SELLER/raw/second.tsv", report_id="50001019002"))

    assert first.files[0].key == second.files[0].key
    assert keys(s3, CURATED_PREFIX) == [first.files[0].key]
    curated = local_copy(s3, tmp_path)
    assert query(curated, "all_orders", "SELECT count(*), min(report_id) FROM t") == [(2, "50001019002")]


def test_a_report_without_a_data_range_has_null_range_columns(s3, kms_key, tmp_path):
    store(s3, orders_document(order_line("302-1")).encode("cp1252"))

    outcome = convert_report(s3, request(kms_key, data_start=None, data_end=None))

    assert outcome.status == "CONVERTED"
    assert query(local_copy(s3, tmp_path), "all_orders", "SELECT data_start, data_end, dt FROM t") == [
        (None, None, date(2024, 1, 16))
    ]


def test_reports_of_two_marketplace_sets_with_one_range_keep_a_file_each(s3, kms_key, tmp_path):
    store(s3, orders_document(order_line("302-1")).encode("cp1252"))
    de_fr = convert_report(s3, request(kms_key, marketplace_ids=(DE, "A13V1IB3VIYZZH")))
    de_it = convert_report(
        s3, request(kms_key, marketplace_ids=(DE, "APJ6JRA9NG5V4"), report_id="50001019003")
    )

    assert de_fr.files[0].key != de_it.files[0].key
    assert keys(s3, CURATED_PREFIX) == sorted([de_fr.files[0].key, de_it.files[0].key])
    assert "/marketplace=multiple/" in de_fr.files[0].key
    assert query(local_copy(s3, tmp_path), "all_orders", "SELECT count(*) FROM t") == [(2,)]


def test_a_utf8_document_with_a_bom_and_windows_31j_text(s3, kms_key, tmp_path):
    jp = REGIONS["FE"].marketplaces["JP"]
    line = order_line("503-1", product_name="緑茶 1㎏", item_price="1500", currency="JPY")
    store(s3, orders_document(line).encode("cp932"), key="raw/jp.tsv")
    store(s3, ("\ufeff" + orders_document(line)).encode("utf-8"), key="raw/jp-utf8.tsv")

    cp932 = convert_report(
        s3, request(kms_key, raw_key="raw/jp.tsv", marketplace_ids=(jp,), charset="Windows-31J")
    )
    utf8 = convert_report(
        s3,
        request(kms_key, raw_key="raw/jp-utf8.tsv", marketplace_ids=(jp,), charset=None, report_id="5"),
    )

    assert cp932.status == utf8.status == "CONVERTED"
    rows = query(local_copy(s3, tmp_path), "all_orders", "SELECT product_name, item_price FROM t")
    assert rows == [("緑茶 1㎏", Decimal("1500.00"))]


def test_a_report_without_a_place_under_curated_is_rejected(s3, kms_key):
    store(s3, orders_document(order_line("302-1")).encode("cp1252"))

    outcome = convert_report(s3, request(kms_key, marketplace_ids=("NOT-A-MARKETPLACE",)))

    assert outcome.status == "REJECTED"
    assert "no curated key" in outcome.problems[0].reason
    assert keys(s3, CURATED_PREFIX) == keys(s3, STAGING_PREFIX) == []


def test_a_report_type_without_a_schema_is_not_converted(s3, kms_key):
    store(s3, b"anything\n")

    outcome = convert_report(s3, request(kms_key, report_type="GET_V2_SETTLEMENT_REPORT_DATA_XML"))

    assert outcome.status == "NO_SCHEMA"
    assert outcome.as_record() == {
        "status": "NO_SCHEMA",
        "files": [],
        "problems": [],
        "problemCount": 0,
        "unknownColumns": [],
    }
    assert keys(s3, CURATED_PREFIX) == keys(s3, STAGING_PREFIX) == []


def _column(name, header, type_name="string", required=False):
    return Column(name, header, (), type_name, required, None, "")


SALES_BY_ASIN = TableSchema(
    name="sales_by_asin_test",
    description="",
    report_types=("GET_SALES_AND_TRAFFIC_REPORT",),
    format="json",
    rows_path="salesAndTrafficByAsin",
    columns=(
        _column("child_asin", "child_asin", required=True),
        _column("ordered_product_sales", "sales_by_asin_ordered_product_sales_amount", "decimal(18,2)"),
        _column("currency", "sales_by_asin_ordered_product_sales_currency_code"),
        _column("page_views", "traffic_by_asin_page_views", "bigint"),
    ),
    natural_key=(),
    latest_by=None,
    sources=(),
)


def test_a_json_report_is_flattened_into_its_table(s3, kms_key, tmp_path, monkeypatch):
    monkeypatch.setattr(conversion, "schemas_for_report_type", lambda report_type: (SALES_BY_ASIN,))
    document = b"""{"salesAndTrafficByAsin": [
      {"childAsin": "B0CHILD1",
       "salesByAsin": {"orderedProductSales": {"amount": 1234.5, "currencyCode": "EUR"}},
       "trafficByAsin": {"pageViews": 12, "sessions": 3}},
      {"childAsin": "B0CHILD2",
       "salesByAsin": {"orderedProductSales": {"amount": 0.1, "currencyCode": "EUR"}}}
    ]}"""
    store(s3, gzip.compress(document), key="raw/sales.json")

    outcome = convert_report(
        s3,
        request(
            kms_key, raw_key="raw/sales.json", report_type="GET_SALES_AND_TRAFFIC_REPORT", charset="UTF-8"
        ),
    )

    assert outcome.status == "CONVERTED"
    assert outcome.unknown_columns == ("traffic_by_asin_sessions",)
    assert [name for name, _ in glue_columns(SALES_BY_ASIN)][-5:] == [
        "extra",
        "report_id",
        "source_row",
        "data_start",
        "data_end",
    ]
    rows = query(
        local_copy(s3, tmp_path),
        "sales_by_asin_test",
        "SELECT child_asin, ordered_product_sales, currency, page_views, extra, source_row, data_start,"
        " data_end FROM t ORDER BY 6",
    )
    # A by-ASIN row has no date of its own: the report's range is its period.
    period = (datetime(2024, 1, 15, tzinfo=UTC), datetime(2024, 1, 16, tzinfo=UTC))
    assert rows == [
        ("B0CHILD1", Decimal("1234.50"), "EUR", 12, {"traffic_by_asin_sessions": "3"}, 1, *period),
        ("B0CHILD2", Decimal("0.10"), "EUR", None, None, 2, *period),
    ]


SALES_AND_TRAFFIC = b"""{
  "reportSpecification": {"reportType": "GET_SALES_AND_TRAFFIC_REPORT", "dataStartTime": "2024-01-15",
                          "dataEndTime": "2024-01-16", "marketplaceIds": ["A1PA6795UKMFR9"]},
  "salesAndTrafficByDate": [
    {"date": "2024-01-15",
     "salesByDate": {"orderedProductSales": {"amount": 1234.56, "currencyCode": "EUR"}, "unitsOrdered": 7,
                     "refundRate": 0.5},
     "trafficByDate": {"pageViews": 120, "sessions": 80, "buyBoxPercentage": 97.5}},
    {"date": "2024-01-16",
     "salesByDate": {"orderedProductSales": {"amount": 0, "currencyCode": "EUR"}, "unitsOrdered": 0},
     "trafficByDate": {"pageViews": 3}}
  ],
  "salesAndTrafficByAsin": [
    {"parentAsin": "B0PARENT01", "childAsin": "B0CHILD001",
     "salesByAsin": {"unitsOrdered": 7, "orderedProductSales": {"amount": 1234.56, "currencyCode": "EUR"}},
     "trafficByAsin": {"sessions": 80, "mobilePageViews": 40}}
  ]
}"""


def test_sales_and_traffic_fills_its_by_date_and_by_asin_tables(s3, kms_key, tmp_path):
    store(s3, SALES_AND_TRAFFIC, key="raw/sales.json")

    outcome = convert_report(
        s3,
        request(
            kms_key, raw_key="raw/sales.json", report_type="GET_SALES_AND_TRAFFIC_REPORT", charset="UTF-8"
        ),
    )

    assert outcome.status == "CONVERTED", outcome.problems
    assert [(f.table, f.rows) for f in outcome.files] == [
        ("sales_and_traffic_by_date", 2),
        ("sales_and_traffic_by_asin", 1),
    ]
    curated = local_copy(s3, tmp_path)
    by_date = query(
        curated,
        "sales_and_traffic_by_date",
        "SELECT date, ordered_product_sales, units_ordered, refund_rate, page_views, buy_box_percentage"
        " FROM t ORDER BY date",
    )
    assert by_date == [
        (date(2024, 1, 15), Decimal("1234.56"), 7, 0.5, 120, 97.5),
        (date(2024, 1, 16), Decimal("0.00"), 0, None, 3, None),
    ]
    by_asin = query(
        curated,
        "sales_and_traffic_by_asin",
        "SELECT parent_asin, units_ordered, ordered_product_sales, sessions, mobile_app_page_views FROM t",
    )
    # mobilePageViews is the spelling Amazon's examples use: an alias of mobile_app_page_views
    assert by_asin == [("B0PARENT01", 7, Decimal("1234.56"), 80, 40)]


def test_a_german_settlement_report_reads_its_dates_and_amounts(s3, kms_key, tmp_path):
    # abuzuhri/Amazon-SP-API-CSharp#571: a DE settlement flat file's first row
    document = (
        "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\n"
        "19482314502\t14.03.2023 07:49:55 UTC\t28.03.2023 07:49:55 UTC\t30.03.2023 07:49:55 UTC"
        "\t1141,18\tEUR\n"
    )
    store(s3, document.encode("cp1252"), key="raw/settlement.tsv")

    outcome = convert_report(
        s3,
        request(
            kms_key,
            raw_key="raw/settlement.tsv",
            report_type="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
            data_start=None,
            data_end=None,
        ),
    )

    assert outcome.status == "CONVERTED", outcome.problems
    assert outcome.files[0].key.endswith("/GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_50001019000.parquet")
    rows = query(
        local_copy(s3, tmp_path),
        "settlement_v2",
        "SELECT settlement_id, settlement_start_date, deposit_date, total_amount, dt FROM t",
    )
    assert rows == [
        (
            "19482314502",
            datetime(2023, 3, 14, 7, 49, 55, tzinfo=UTC),
            datetime(2023, 3, 30, 7, 49, 55, tzinfo=UTC),
            Decimal("1141.18"),
            date(2024, 1, 16),  # no data range: dated by the report's creation
        )
    ]
