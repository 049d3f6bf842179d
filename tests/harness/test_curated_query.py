"""The demo's DuckDB queries read the curated layout as Athena's partition projection does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import boto3
from moto import mock_aws

from sp_reports.analytics.parquet_files import ParquetFileWriter
from sp_reports.analytics.table_schemas import TABLE_SCHEMAS, curated_key, glue_columns
from sp_reports_harness.curated_query import (
    athena_sql,
    daily_orders,
    download_curated,
    repeated_order_lines,
)

SELLER = "A3SELLERCURATED"
OTHER_SELLER = "A3OTHERSELLER"
TABLE = TABLE_SCHEMAS["all_orders"]
REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"


def _write(root: Path, seller: str, day: date, lines: list[tuple[str, str, int, str]]) -> str:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    key = curated_key(
        TABLE,
        seller_id=seller,
        report_type=REPORT_TYPE,
        marketplace_ids=("A1F83G8C2ARO7P",),
        data_start=start,
        data_end=start.replace(hour=23, minute=59, second=59),
        report_id=f"report-{day}",
        created=start,
    )
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [name for name, _ in glue_columns(TABLE)]
    with ParquetFileWriter(path, glue_columns(TABLE)) as writer:
        for number, (order_id, sku, quantity, price) in enumerate(lines, start=2):
            row = dict.fromkeys(names)
            row.update(
                amazon_order_id=order_id,
                sku=sku,
                quantity=quantity,
                item_price=Decimal(price),
                currency="GBP",
                purchase_date=start,
                report_id=f"report-{day}",
                source_row=number,
            )
            writer.write_row([row[name] for name in names])
    return key


def test_daily_orders_sums_each_day_of_the_seller_only(tmp_path):
    _write(tmp_path, SELLER, date(2026, 12, 1), [("o-1", "sku-a", 2, "10.50"), ("o-2", "sku-b", 1, "3.25")])
    _write(tmp_path, SELLER, date(2026, 12, 2), [("o-3", "sku-a", 4, "21.00")])
    _write(tmp_path, OTHER_SELLER, date(2026, 12, 1), [("o-9", "sku-z", 9, "99.99")])

    totals = daily_orders(tmp_path, SELLER)

    assert [(t.dt, t.currency, t.order_lines, t.units, t.revenue) for t in totals] == [
        ("2026-12-01", "GBP", 2, 3, Decimal("13.75")),
        ("2026-12-02", "GBP", 1, 4, Decimal("21.00")),
    ]
    assert repeated_order_lines(tmp_path, SELLER) == 0


def test_an_order_line_in_two_files_counts_as_repeated(tmp_path):
    _write(tmp_path, SELLER, date(2026, 12, 1), [("o-1", "sku-a", 2, "10.50")])
    _write(tmp_path, SELLER, date(2026, 12, 2), [("o-1", "sku-a", 2, "10.50"), ("o-1", "sku-b", 1, "1.00")])
    assert repeated_order_lines(tmp_path, SELLER) == 1


def test_download_keeps_the_keys_as_paths_and_takes_only_the_seller_s_files(tmp_path):
    source = tmp_path / "source"
    mine = _write(source, SELLER, date(2026, 12, 1), [("o-1", "sku-a", 1, "1.00")])
    theirs = _write(source, OTHER_SELLER, date(2026, 12, 1), [("o-2", "sku-a", 1, "1.00")])
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="reports", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for key in (mine, theirs):
            s3.upload_file(str(source / key), "reports", key)
        copied = download_curated(s3, "reports", "all_orders", SELLER, tmp_path / "copy")
    assert copied == [mine]
    assert (tmp_path / "copy" / mine).read_bytes() == (source / mine).read_bytes()
    assert daily_orders(tmp_path / "copy", SELLER)[0].units == 1


def test_the_athena_sql_names_the_injected_seller_and_the_days():
    sql = athena_sql("sp_reports_reports", SELLER, date(2026, 12, 1), date(2026, 12, 3))
    assert f"seller_id = '{SELLER}'" in sql
    assert "dt BETWEEN '2026-12-01' AND '2026-12-03'" in sql
    assert '"sp_reports_reports"."all_orders"' in sql
