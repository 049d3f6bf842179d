"""Query the curated Parquet tables that local S3 holds with DuckDB, as Athena queries them on a real account.

Athena cannot run here. DuckDB is a real SQL engine that reads the same files in the same partition layout
(`curated/<table>/marketplace=…/dt=…/seller_id=…/<file>.parquet`, Hive-style, which DuckDB's
`hive_partitioning` turns into the columns `marketplace`, `dt` and `seller_id` as Athena's partition
projection does). The objects are copied from local S3 into a directory first: DuckDB's S3 support is an
extension it downloads at run time, which an offline machine cannot.

`athena_sql` is the same question in Athena's SQL for a real account: the projected `seller_id` is an
injected key, so every query names it (terraform/modules/analytics).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sp_reports.analytics.table_schemas import CURATED_PREFIX


@dataclass(frozen=True)
class DailyTotal:
    dt: str
    currency: str
    order_lines: int
    units: int
    revenue: Decimal


def download_curated(s3: Any, bucket: str, table: str, seller_id: str, into: Path) -> list[str]:
    """Copy the seller's objects of `table` from S3 into `into`, keeping their keys as paths."""
    prefix = f"{CURATED_PREFIX}{table}/"
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            if f"/seller_id={seller_id}/" in entry["Key"] and entry["Key"].endswith(".parquet"):
                keys.append(entry["Key"])
    for key in keys:
        path = into / key
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
    return sorted(keys)


def _files(root: Path, table: str) -> str:
    return str(root / CURATED_PREFIX / table / "**" / "*.parquet")


def daily_orders(root: Path, seller_id: str) -> list[DailyTotal]:
    """Order lines, units and revenue per day and currency of the `all_orders` table under `root`."""
    import duckdb

    rows = duckdb.execute(
        """
        SELECT dt, currency, count(*) AS order_lines, sum(quantity) AS units, sum(item_price) AS revenue
        FROM read_parquet(?, hive_partitioning = true)
        WHERE seller_id = ?
        GROUP BY dt, currency
        ORDER BY dt, currency
        """,
        [_files(root, "all_orders"), seller_id],
    ).fetchall()
    return [
        DailyTotal(str(dt), currency, lines, int(units or 0), Decimal(revenue or 0))
        for dt, currency, lines, units, revenue in rows
    ]


def repeated_order_lines(root: Path, seller_id: str) -> int:
    """Rows of `all_orders` whose order line (order id and SKU) another row repeats: a re-pulled window
    that added rows instead of replacing its file would show here."""
    import duckdb

    (repeated,) = duckdb.execute(
        """
        SELECT count(*) - count(DISTINCT (amazon_order_id, sku))
        FROM read_parquet(?, hive_partitioning = true)
        WHERE seller_id = ?
        """,
        [_files(root, "all_orders"), seller_id],
    ).fetchone()
    return int(repeated)


def totals_table(totals: list[DailyTotal]) -> str:
    lines = [f"{'dt':<10}  {'currency':<8}  {'order lines':>11}  {'units':>6}  {'revenue':>12}"]
    lines += [
        f"{t.dt:<10}  {t.currency:<8}  {t.order_lines:>11,}  {t.units:>6,}  {t.revenue:>12,.2f}"
        for t in totals
    ]
    return "\n".join(lines)


def athena_sql(database: str, seller_id: str, first: date, last: date) -> str:
    """The same question for Athena on a real account (the workgroup the stack creates)."""
    return (
        "SELECT dt, currency, count(*) AS order_lines, sum(quantity) AS units, sum(item_price) AS revenue\n"
        f'FROM "{database}"."all_orders"\n'
        f"WHERE seller_id = '{seller_id}' AND dt BETWEEN '{first.isoformat()}' AND '{last.isoformat()}'\n"
        "GROUP BY dt, currency\n"
        "ORDER BY dt, currency;"
    )
