"""Typed rows into a local Parquet file, one bounded row group at a time. The only module that imports
pyarrow: the functions that do not convert need no pyarrow in their zips.

Types as Athena reads Parquet (Athena User Guide, "Data types in Amazon Athena",
https://docs.aws.amazon.com/athena/latest/ug/data-types.html, and "Parquet SerDe",
https://docs.aws.amazon.com/athena/latest/ug/parquet-serde.html):
- `string` -> UTF-8 string; `bigint` -> int64; `double` -> float64; `boolean` -> boolean; `date` -> date32
  (days since the epoch, Parquet's DATE);
- `timestamp` -> int64 TIMESTAMP(MILLIS, isAdjustedToUTC=true): Athena's timestamp resolution is the
  millisecond ("Athena and AWS Glue can handle only millisecond precision for TIMESTAMP values", AWS DMS
  API reference, S3Settings.ParquetTimestampInMillisecond), and the values are UTC instants;
- `decimal(P,S)` -> decimal128(P, S) (Parquet DECIMAL; Athena's precision is at most 38, as decimal128's);
- `map<string,string>` -> Parquet MAP of string keys to string values (the `extra` column).

Compression: zstd. Athena engine version 3 reads ZSTD-compressed Parquet in Hive tables (Athena User Guide,
"Use Hive table compression", https://docs.aws.amazon.com/athena/latest/ug/compression-support-hive.html) and
bills the bytes it scans; zstd trades a little more CPU when writing for a higher ratio than snappy's (a 50
MiB synthetic all-orders document became a 1.1 MiB file; snappy was not measured against it).

Memory: rows are buffered column by column and written as a row group when `ROW_GROUP_ROWS` rows are
buffered or the buffered values take about `ROW_GROUP_BYTES` of memory as Python objects (`CELL_BYTES` a
cell plus the characters of its text), whichever comes first, so a document of any size is converted in
the memory of one row group (plus the Arrow arrays made from it and pyarrow's writer buffers).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sp_reports.analytics.table_schemas import DECIMAL_TYPE

ROW_GROUP_ROWS = 50_000
ROW_GROUP_BYTES = 64 * 1024 * 1024
COMPRESSION = "zstd"

_SIMPLE_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "map<string,string>": pa.map_(pa.string(), pa.string()),
}


def arrow_type(type_name: str) -> pa.DataType:
    """The Arrow type written for an Athena (Hive DDL) type name."""
    compact = type_name.replace(" ", "").lower()
    if compact in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[compact]
    match = DECIMAL_TYPE.match(compact)
    if match is None:
        raise ValueError(f"{type_name!r} has no Parquet type here")
    return pa.decimal128(int(match[1]), int(match[2]))


def arrow_schema(columns: Sequence[tuple[str, str]]) -> pa.Schema:
    return pa.schema([pa.field(name, arrow_type(type_name)) for name, type_name in columns])


# What one buffered cell costs in memory besides a string's characters: the list slot and the Python object
# (an int 28 bytes, a datetime 48, a Decimal 104, a short str 49 plus its length; None is shared).
CELL_BYTES = 64


class ParquetFileWriter:
    """Writes rows (one value per column, in the columns' order) into `path` as bounded row groups.
    Use as a context manager; `rows` counts what was written."""

    def __init__(
        self,
        path: Path,
        columns: Sequence[tuple[str, str]],
        *,
        row_group_rows: int = ROW_GROUP_ROWS,
        row_group_bytes: int = ROW_GROUP_BYTES,
    ) -> None:
        self.schema = arrow_schema(columns)
        self._map_columns = [i for i, (_, t) in enumerate(columns) if t.replace(" ", "").startswith("map<")]
        self._buffers: list[list[Any]] = [[] for _ in columns]
        self._buffered_bytes = 0
        self._row_bytes = CELL_BYTES * len(columns)
        self._row_group_rows = row_group_rows
        self._row_group_bytes = row_group_bytes
        self.rows = 0
        self._writer = pq.ParquetWriter(
            str(path),
            self.schema,
            compression=COMPRESSION,
            version="2.6",
            coerce_timestamps="ms",
            allow_truncated_timestamps=False,
        )

    def __enter__(self) -> ParquetFileWriter:
        return self

    def __exit__(self, *failure: object) -> None:
        self.close()

    def write_row(self, values: Sequence[date | datetime | Decimal | str | int | float | bool | Any]) -> None:
        if len(values) != len(self._buffers):
            raise ValueError(f"a row of {len(values)} values for {len(self._buffers)} columns")
        size = self._row_bytes
        for buffer, value in zip(self._buffers, values):  # noqa: B905 (checked above, the hot loop)
            buffer.append(value)
            if value.__class__ is str:
                size += len(value)
            elif value.__class__ is dict:
                size += sum(len(k) + len(v) + 2 * CELL_BYTES for k, v in value.items())
        self._buffered_bytes += size
        if len(self._buffers[0]) >= self._row_group_rows or self._buffered_bytes >= self._row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        count = len(self._buffers[0])
        if not count:
            return
        for index in self._map_columns:
            self._buffers[index] = [None if v is None else list(v.items()) for v in self._buffers[index]]
        arrays = [
            pa.array(buffer, type=field.type)
            for buffer, field in zip(self._buffers, self.schema, strict=True)
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema), row_group_size=count)
        self.rows += count
        self._buffers = [[] for _ in self._buffers]
        self._buffered_bytes = 0

    def close(self) -> None:
        if self._writer is None:
            return
        try:
            self._flush()
        finally:
            self._writer.close()
            self._writer = None  # type: ignore[assignment]
