#!/usr/bin/env python3
"""Write (or check) terraform/modules/analytics/tables.json, the Glue tables, from the analytics schemas.

The schemas (sp_reports.analytics.table_schemas) are the one home of the curated tables' columns: the
converter writes them into Parquet and Terraform declares them in the Glue catalog. Terraform cannot import
Python, so this script renders what the module needs as JSON: per table its description, its columns with Glue
comments (the schema's columns, then the trailing columns: `glue_columns(table)`), and, for a table
with a natural key and a `latestBy` column, the SQL of its `<table>_latest` view. The partition keys and the
marketplace values of the partition projection come from the same module.

`--check` exits 1 and says what differs when the committed file is not what the schemas give.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

from repository_paths import TERRAFORM_DIR
from sp_reports.analytics import table_schemas
from sp_reports.analytics.table_schemas import TableSchema

TABLES_JSON = TERRAFORM_DIR / "modules" / "analytics" / "tables.json"

# Glue limits (AWS Glue API, "Column structure": Comment is at most 255 characters; "TableInput structure":
# Description is at most 2048): https://docs.aws.amazon.com/glue/latest/webapi/API_Column.html
COLUMN_COMMENT_LIMIT = 255
TABLE_DESCRIPTION_LIMIT = 2048

# What the columns every curated file ends with hold (contract of sp_reports.analytics.table_schemas).
TRAILING_COLUMN_COMMENTS = {
    "extra": "Cells of columns the schema does not know, keyed by their header as the document spells it.",
    "report_id": "The SP-API report whose document holds the row.",
    "source_row": (
        "The row's 1-based line in the document (the header is line 1), "
        "or its 1-based element index in a JSON report."
    ),
    "data_start": "Start of the report's data range (its dataStartTime, UTC); null when the report has none.",
    "data_end": "End of the report's data range (its dataEndTime, UTC); null when the report has none.",
}
PARTITION_KEY_COMMENTS = {
    "marketplace": "The report's marketplace id, or 'multiple' when the report names several.",
    "dt": "UTC date (yyyy-MM-dd) the report's data starts on, or its creation date when it has no range.",
    "seller_id": "The selling partner id. Injected projection: every query names it with an equality.",
}

# Hive DDL (Glue column) types -> the names of Trino's type system, which a Presto view's column list uses.
_SCALAR_VIEW_TYPES = {
    "string": "varchar",
    "bigint": "bigint",
    "double": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


def view_type(glue_type: str) -> str:
    """The view column type of a Glue type (`map<string,string>` is `map(varchar,varchar)`)."""
    if glue_type in _SCALAR_VIEW_TYPES:
        return _SCALAR_VIEW_TYPES[glue_type]
    if glue_type.startswith("decimal("):
        return glue_type.replace(" ", "")
    if glue_type.startswith("map<") and glue_type.endswith(">"):
        key, value = glue_type[4:-1].split(",", 1)
        return f"map({view_type(key.strip())},{view_type(value.strip())})"
    raise ValueError(f"no view type for the Glue type {glue_type!r}")


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def latest_view_sql(table: TableSchema) -> str:
    """Every row of the newest report of each seller and natural key: the rows with the greatest latestBy,
    and of those the newest report's.

    Reports are ordered by report_id compared as a number (the longer id first, then the greater): SP-API's
    ids are digit strings today, and the Reports model types reportId as a bare string with no order, so this
    is a deterministic tie-break between reports that hold the same latestBy, not a claim about creation
    times. rank(), not row_number(): rows that tie, the items of one order in one report (the all-orders
    report has no order-item id, so two items of one SKU are two equal-keyed rows), all stay.

    seller_id leads the window's partitioning so that a query's `seller_id = '...'`, which the injected
    projection requires, reaches the table's scan through the window (a filter on a PARTITION BY column
    commutes with it). The names are the schemas' validated snake_case names, quoted.
    """
    columns = [n for n, _ in table_schemas.glue_columns(table)] + [n for n, _ in table_schemas.PARTITION_KEYS]
    listed = ", ".join(f'"{c}"' for c in columns)
    partition_by = ", ".join(f'"{c}"' for c in ("seller_id", *table.natural_key))
    order_by = f'"{table.latest_by}" DESC NULLS LAST, length("report_id") DESC, "report_id" DESC'
    window = f"rank() OVER (PARTITION BY {partition_by} ORDER BY {order_by})"
    ranked = f'SELECT *, {window} AS "version_rank"'
    return f'SELECT {listed} FROM ({ranked} FROM "{table.name}") WHERE "version_rank" = 1'  # noqa: S608 (schema names)


def table_entry(table: TableSchema) -> dict:
    comments = {c.name: c.description for c in table.columns} | TRAILING_COLUMN_COMMENTS
    columns = [
        {"name": name, "type": glue_type, "comment": _shortened(comments.get(name, ""), COLUMN_COMMENT_LIMIT)}
        for name, glue_type in table_schemas.glue_columns(table)
    ]
    entry: dict = {
        "description": _shortened(table.description, TABLE_DESCRIPTION_LIMIT),
        "report_types": list(table.report_types),
        "columns": columns,
        "latest_view": None,
    }
    if table.natural_key and table.latest_by:
        view_columns = [*table_schemas.glue_columns(table), *table_schemas.PARTITION_KEYS]
        entry["latest_view"] = {
            "name": f"{table.name}_latest",
            "description": _shortened(
                f"{table.name} with the rows of the newest version of each seller's "
                f"{', '.join(table.natural_key)}: the greatest {table.latest_by}, then the newest report.",
                TABLE_DESCRIPTION_LIMIT,
            ),
            "sql": latest_view_sql(table),
            "columns": [{"name": n, "type": t, "view_type": view_type(t)} for n, t in view_columns],
        }
    return entry


def render() -> str:
    document = {
        "comment": "Written by scripts/glue_tables.py from sp_reports.analytics.table_schemas; do not edit.",
        "curated_prefix": table_schemas.CURATED_PREFIX,
        "staging_prefix": table_schemas.STAGING_PREFIX,
        "partition_keys": [
            {"name": n, "type": t, "comment": PARTITION_KEY_COMMENTS[n]}
            for n, t in table_schemas.PARTITION_KEYS
        ],
        "marketplace_partition_values": list(table_schemas.MARKETPLACE_PARTITION_VALUES),
        "tables": {name: table_entry(table) for name, table in sorted(table_schemas.TABLE_SCHEMAS.items())},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stale_diff(path: Path | None = None) -> str:
    """The diff from the committed file (TABLES_JSON) to the generated one; empty when they are equal."""
    path = path or TABLES_JSON
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    wanted = render()
    if current == wanted:
        return ""
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True), wanted.splitlines(keepends=True), str(path), "generated"
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 (with a diff) if tables.json is stale")
    args = parser.parse_args(argv)
    if args.check:
        diff = stale_diff()
        if diff:
            print(f"glue_tables: {TABLES_JSON} is stale; run scripts/glue_tables.py\n{diff}", file=sys.stderr)
            return 1
        return 0
    TABLES_JSON.parent.mkdir(parents=True, exist_ok=True)
    TABLES_JSON.write_text(render(), encoding="utf-8")
    print(f"glue_tables: wrote {TABLES_JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
