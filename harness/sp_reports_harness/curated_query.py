"""Query the curated Parquet tables that local S3 holds with DuckDB, as Athena queries them on a real account.

Athena cannot run here. DuckDB is a real SQL engine that reads the same files in the same partition layout
(`curated/<table>/seller_id=…/marketplace=…/dt=…/<file>.parquet`, Hive-style, which DuckDB's
`hive_partitioning` turns into the columns `seller_id`, `marketplace` and `dt` as Athena's partition
projection does). The objects are copied from local S3 into a directory first: DuckDB's S3 support is an
extension it downloads at run time, which an offline machine cannot.

DuckDB has no Glue catalog, so `curated_connection` declares each table as a DuckDB view over its files and
each `<table>_latest` view with the SQL the Glue view holds (terraform/modules/analytics/tables.json, written
by scripts/glue_tables.py): the query below reads `all_orders_latest` here as Athena does.

`athena_sql` is the same question in Athena's SQL for a real account: the projected `seller_id` is an
injected key, so every query names it (terraform/modules/analytics).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sp_reports.analytics.table_schemas import CURATED_PREFIX, curated_seller_prefix
from sp_reports_harness.repository import TERRAFORM_DIR

GLUE_TABLES = TERRAFORM_DIR / "modules" / "analytics" / "tables.json"

# Units and revenue per UTC day of purchase and currency, from the latest version of each order.
DAILY_ORDERS_SQL = """
SELECT date(purchase_date) AS day, currency, count(*) AS order_lines, sum(quantity) AS units,
       sum(item_price) AS revenue
FROM {relation}
WHERE seller_id = {seller} AND date(purchase_date) BETWEEN {first} AND {last}
GROUP BY 1, currency
ORDER BY 1, currency
"""


@dataclass(frozen=True)
class DailyTotal:
    day: str
    currency: str
    order_lines: int
    units: int
    revenue: Decimal


def download_curated(s3: Any, bucket: str, table: str, seller_id: str, into: Path) -> list[str]:
    """Copy the seller's objects of `table` from S3 into `into`, keeping their keys as paths."""
    keys = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=curated_seller_prefix(table, seller_id)
    )
    for page in pages:
        keys.extend(entry["Key"] for entry in page.get("Contents", []) if entry["Key"].endswith(".parquet"))
    for key in keys:
        path = into / key
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
    return sorted(keys)


def curated_connection(root: Path, table: str) -> Any:
    """A DuckDB connection in UTC (Athena's timestamps are UTC) with `table` as a view over its files under
    `root` and, when the table has one, `<table>_latest` as the Glue view's SQL."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    files = str(root / CURATED_PREFIX / table / "**" / "*.parquet")
    connection.read_parquet(files, hive_partitioning=True).create_view(table)
    view = json.loads(GLUE_TABLES.read_text(encoding="utf-8"))["tables"][table]["latest_view"]
    if view is not None:
        connection.execute(f'CREATE VIEW "{view["name"]}" AS {view["sql"]}')
    return connection


def daily_orders(root: Path, seller_id: str, first: date, last: date) -> list[DailyTotal]:
    """Order lines, units and revenue per day of purchase and currency of `all_orders_latest` under `root`."""
    connection = curated_connection(root, "all_orders")
    sql = DAILY_ORDERS_SQL.format(relation="all_orders_latest", seller="?", first="?", last="?")
    rows = connection.execute(sql, [seller_id, first, last]).fetchall()
    return [
        DailyTotal(str(day), currency, lines, int(units or 0), Decimal(revenue or 0))
        for day, currency, lines, units, revenue in rows
    ]


def orders_in_several_reports(root: Path, seller_id: str) -> int:
    """Orders of `all_orders` that more than one report holds: windows by purchase date do not overlap, so a
    re-pulled window that added its file beside the old one instead of replacing it would show here."""
    connection = curated_connection(root, "all_orders")
    (repeated,) = connection.execute(
        """
        SELECT count(*) FROM (
            SELECT amazon_order_id FROM all_orders WHERE seller_id = ?
            GROUP BY amazon_order_id HAVING count(DISTINCT report_id) > 1
        )
        """,
        [seller_id],
    ).fetchone()
    return int(repeated)


def totals_table(totals: list[DailyTotal]) -> str:
    lines = [f"{'day':<10}  {'currency':<8}  {'order lines':>11}  {'units':>6}  {'revenue':>12}"]
    lines += [
        f"{t.day:<10}  {t.currency:<8}  {t.order_lines:>11,}  {t.units:>6,}  {t.revenue:>12,.2f}"
        for t in totals
    ]
    return "\n".join(lines)


def athena_sql(database: str, seller_id: str, first: date, last: date) -> str:
    """The same question for Athena on a real account (the workgroup the stack creates)."""
    return (
        DAILY_ORDERS_SQL.format(
            relation=f'"{database}"."all_orders_latest"',
            seller=f"'{seller_id}'",
            first=f"DATE '{first.isoformat()}'",
            last=f"DATE '{last.isoformat()}'",
        ).strip()
        + ";"
    )
