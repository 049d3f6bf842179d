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
    orders_in_several_reports,
)

SELLER = "A3SELLERCURATED"
OTHER_SELLER = "A3OTHERSELLER"
TABLE = TABLE_SCHEMAS["all_orders"]
REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"


def _write(
    root: Path,
    seller: str,
    day: date,
    lines: list[tuple[str, str, int, str]],
    *,
    report_id: str | None = None,
    updated: datetime | None = None,
) -> str:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    report_id = report_id or f"5000{day:%m%d}"
    key = curated_key(
        TABLE,
        seller_id=seller,
        report_type=REPORT_TYPE,
        marketplace_ids=("A1F83G8C2ARO7P",),
        data_start=start,
        data_end=start.replace(hour=23, minute=59, second=59),
        report_id=report_id,
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
                # Late in the UTC day: a query that took the day in another time zone would move it.
                purchase_date=start.replace(hour=23, minute=30),
                last_updated_date=updated or start.replace(hour=23, minute=45),
                report_id=report_id,
                source_row=number,
            )
            writer.write_row([row[name] for name in names])
    return key


def test_daily_orders_sums_each_day_of_the_seller_only(tmp_path):
    _write(tmp_path, SELLER, date(2026, 12, 1), [("o-1", "sku-a", 2, "10.50"), ("o-2", "sku-b", 1, "3.25")])
    _write(tmp_path, SELLER, date(2026, 12, 2), [("o-3", "sku-a", 4, "21.00")])
    _write(tmp_path, SELLER, date(2026, 12, 4), [("o-4", "sku-a", 7, "7.00")])  # after the asked days
    _write(tmp_path, OTHER_SELLER, date(2026, 12, 1), [("o-9", "sku-z", 9, "99.99")])

    totals = daily_orders(tmp_path, SELLER, date(2026, 12, 1), date(2026, 12, 3))

    assert [(t.day, t.currency, t.order_lines, t.units, t.revenue) for t in totals] == [
        ("2026-12-01", "GBP", 2, 3, Decimal("13.75")),
        ("2026-12-02", "GBP", 1, 4, Decimal("21.00")),
    ]
    assert orders_in_several_reports(tmp_path, SELLER) == 0


def test_daily_orders_reads_the_latest_version_of_each_order_with_all_its_lines(tmp_path):
    first = datetime(2026, 12, 1, 23, 45, tzinfo=UTC)
    # Two items of one SKU in one order: two rows that only their line numbers tell apart.
    _write(tmp_path, SELLER, date(2026, 12, 1), [("o-1", "sku-a", 1, "5.00"), ("o-1", "sku-a", 1, "5.00")])
    # A later report holds an older version of the same order: the newer one counts.
    _write(
        tmp_path,
        SELLER,
        date(2026, 12, 2),
        [("o-1", "sku-a", 9, "90.00")],
        report_id="50009999",
        updated=first.replace(hour=1),
    )

    totals = daily_orders(tmp_path, SELLER, date(2026, 12, 1), date(2026, 12, 2))

    assert [(t.day, t.order_lines, t.units, t.revenue) for t in totals] == [
        ("2026-12-01", 2, 2, Decimal("10.00"))
    ]


def test_an_order_in_two_reports_counts(tmp_path):
    _write(tmp_path, SELLER, date(2026, 12, 1), [("o-1", "sku-a", 2, "10.50")])
    _write(tmp_path, SELLER, date(2026, 12, 2), [("o-1", "sku-a", 2, "10.50"), ("o-1", "sku-b", 1, "1.00")])
    _write(tmp_path, SELLER, date(2026, 12, 3), [("o-2", "sku-a", 1, "1.00"), ("o-2", "sku-a", 1, "1.00")])
    assert orders_in_several_reports(tmp_path, SELLER) == 1


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
    assert daily_orders(tmp_path / "copy", SELLER, date(2026, 12, 1), date(2026, 12, 1))[0].units == 1


def test_the_athena_sql_names_the_injected_seller_and_the_days():
    sql = athena_sql("sp_reports_reports", SELLER, date(2026, 12, 1), date(2026, 12, 3))
    assert f"seller_id = '{SELLER}'" in sql
    assert "date(purchase_date) BETWEEN DATE '2026-12-01' AND DATE '2026-12-03'" in sql
    assert 'FROM "sp_reports_reports"."all_orders_latest"' in sql
