"""The Parquet the converter writes: Athena's types for the schema's columns, bounded row groups."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sp_reports.analytics.parquet_files import COMPRESSION, ParquetFileWriter, arrow_schema
from sp_reports.analytics.table_schemas import TABLE_SCHEMAS, glue_columns

# What each Athena (Hive DDL) type is written as (parquet_files' docstring cites Athena's type docs).
ARROW_OF = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "map<string,string>": pa.map_(pa.string(), pa.string()),
}
# ... and how a real SQL engine reading the file sees it.
DUCKDB_OF = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "map<string,string>": "MAP(VARCHAR, VARCHAR)",
}


def _expected_arrow(type_name):
    if type_name.startswith("decimal("):
        precision, scale = type_name[len("decimal(") : -1].split(",")
        return pa.decimal128(int(precision), int(scale))
    return ARROW_OF[type_name]


def _expected_duckdb(type_name):
    return type_name.upper() if type_name.startswith("decimal(") else DUCKDB_OF[type_name]


@pytest.mark.parametrize("table", sorted(TABLE_SCHEMAS))
def test_every_table_file_has_the_glue_columns_in_order_with_their_types(table, tmp_path):
    path = tmp_path / f"{table}.parquet"
    with ParquetFileWriter(path, glue_columns(table)):
        pass

    written = pq.read_schema(path)
    read = duckdb.read_parquet(str(path))

    assert [(field.name, field.type) for field in written] == [
        (name, _expected_arrow(type_name)) for name, type_name in glue_columns(table)
    ]
    assert list(zip(read.columns, map(str, read.types), strict=True)) == [
        (name, _expected_duckdb(type_name)) for name, type_name in glue_columns(table)
    ]


COLUMNS = [
    ("name", "string"),
    ("units", "bigint"),
    ("share", "double"),
    ("business", "boolean"),
    ("day", "date"),
    ("at", "timestamp"),
    ("price", "decimal(18,2)"),
    ("extra", "map<string,string>"),
]


def test_values_round_trip_exactly(tmp_path):
    path = tmp_path / "t.parquet"
    at = datetime(2024, 1, 15, 8, 30, 0, 123000, tzinfo=UTC)
    with ParquetFileWriter(path, COLUMNS) as writer:
        writer.write_row(["Mug", 2, 0.5, True, date(2024, 1, 15), at, Decimal("1234.56"), {"new": "x"}])
        writer.write_row([None] * len(COLUMNS))

    rows = duckdb.read_parquet(str(path)).fetchall()

    assert rows[0][:4] == ("Mug", 2, 0.5, True)
    assert rows[0][4] == date(2024, 1, 15)
    assert rows[0][5] == at
    assert rows[0][6] == Decimal("1234.56")
    assert rows[0][7] == {"new": "x"}
    assert rows[1] == (None,) * len(COLUMNS)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == COMPRESSION.upper()


def test_a_decimal_the_column_cannot_hold_fails_rather_than_rounds(tmp_path):
    writer = ParquetFileWriter(tmp_path / "t.parquet", [("price", "decimal(18,2)")])
    writer.write_row([Decimal("1.234")])
    with pytest.raises(pa.ArrowInvalid):
        writer.close()


def test_row_groups_are_bounded_by_rows(tmp_path):
    path = tmp_path / "t.parquet"
    with ParquetFileWriter(path, [("name", "string")], row_group_rows=10) as writer:
        for number in range(25):
            writer.write_row([f"row {number}"])

    metadata = pq.ParquetFile(path).metadata
    assert writer.rows == 25
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [10, 10, 5]


def test_row_groups_are_bounded_by_bytes(tmp_path):
    path = tmp_path / "t.parquet"
    with ParquetFileWriter(path, [("name", "string")], row_group_bytes=10_000) as writer:
        for _ in range(100):
            writer.write_row(["x" * 1_000])

    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_rows == 100
    assert metadata.num_row_groups >= 10
    assert max(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)) <= 10


def test_arrow_schema_refuses_types_it_cannot_write():
    with pytest.raises(ValueError, match="no Parquet type"):
        arrow_schema([("x", "varchar(10)")])
