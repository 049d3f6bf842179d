"""The analytics tables, as data: which report types fill a table, its typed columns, its keys, its sources,
and where its Parquet files go under `curated/`.

Amazon publishes no machine-readable schema for its reports, so the schemas are ours, read from
`table_schemas.json` beside this module and checked when they are loaded (one rule per check in
`_Validator`, each with a table test). Every table names the sources its columns come from; docs/analytics.md
records what each source says. The converter writes, and Terraform's Glue tables declare, exactly
`glue_columns(table)`: the schema's columns in order, then `TRAILING_COLUMNS`; the files sit under
`curated_key(...)`, partitioned by `PARTITION_KEYS`.

A report type without a schema (`schemas_for_report_type` answers an empty tuple) is not converted; its raw
document is stored as before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from types import MappingProxyType
from typing import Any

from sp_reports.spapi.regions import REGIONS
from sp_reports.spapi.report_ids import is_key_segment
from sp_reports.spapi.report_types import report_type as catalogue_entry

SCHEMAS_FILE = "table_schemas.json"

CURATED_PREFIX = "curated/"
STAGING_PREFIX = "curated-staging/"  # a file is written here, then copied to its curated key in one step

# Every Parquet file's columns are its schema's columns, then these: the cells of headers the schema does not
# know (header -> raw text), the report the row comes from, and the row's 1-based line in the document
# (the header is line 1) or, for a json report, the 1-based index of its element, then the report's data range
# (dataStartTime, dataEndTime; null when the report has none), the period a row speaks of when the row itself
# carries no date (sales and traffic by ASIN) or the range spans several days.
TRAILING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("extra", "map<string,string>"),
    ("report_id", "string"),
    ("source_row", "bigint"),
    ("data_start", "timestamp"),
    ("data_end", "timestamp"),
)
# The Hive-style partitions of a curated key, in the Glue tables' order; Glue projects them, nothing registers
# them. The key holds them in another order, seller_id first (`curated_key`), so that one prefix
# (`curated_seller_prefix`) holds every file of a seller in a table; the tables' storage.location.template
# maps one order onto the other.
PARTITION_KEYS: tuple[tuple[str, str], ...] = (
    ("marketplace", "string"),
    ("dt", "string"),
    ("seller_id", "string"),
)
MULTIPLE_MARKETPLACES = "multiple"  # the marketplace partition of a report that names several marketplaces
# Hex digits of sha256 that name a set of marketplaces in a file name (48 bits: the few sets a seller asks
# for do not collide in practice).
MARKETPLACES_DIGEST_LENGTH = 12
# The marketplace partition's values: the projection's enum.
MARKETPLACE_PARTITION_VALUES: tuple[str, ...] = (
    *sorted({mid for region in REGIONS.values() for mid in region.marketplace_ids}),
    MULTIPLE_MARKETPLACES,
)

FORMATS = frozenset({"tsv", "json"})
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
NAME_MAX_LENGTH = 128  # Glue allows 255; ours are far shorter, and a table name is also an S3 key segment
# Athena's (Hive DDL) names, used verbatim by Terraform's Glue tables.
SCALAR_TYPES = frozenset({"string", "bigint", "double", "boolean", "date", "timestamp"})
DECIMAL_TYPE = re.compile(r"^decimal\((\d{1,2}),(\d{1,2})\)\Z")
DECIMAL_MAX_PRECISION = 38  # Athena's DECIMAL(precision, scale): precision 1..38, scale 0..precision
ORDERABLE_TYPES = frozenset({"timestamp", "date", "bigint"})  # what latestBy may pick the latest row by
VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}\.\d+\Z")
FACTS_DOCUMENT = "docs/analytics.md"
RESERVED_COLUMNS = frozenset(name for name, _ in (*TRAILING_COLUMNS, *PARTITION_KEYS))

_TABLE_FIELDS = frozenset(
    {"description", "reportTypes", "format", "rowsPath", "sources", "naturalKey", "latestBy", "columns"}
)
_SOURCE_FIELDS = frozenset({"url", "facts"})
_COLUMN_FIELDS = frozenset({"name", "header", "aliases", "type", "required", "description", "currencyColumn"})
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")


class TableSchemaError(ValueError):
    """`table_schemas.json` breaks a rule: the message names the table, the column and the rule."""


@dataclass(frozen=True)
class Source:
    key: str
    url: str
    facts: str  # where docs/analytics.md records what the source says: `docs/analytics.md#<anchor>`


@dataclass(frozen=True)
class Column:
    name: str  # snake_case: the Parquet and Glue column
    header: str  # as Amazon writes it (tsv) or the flattened key path (json, see `flatten_json_key`)
    aliases: tuple[str, ...]  # other headers Amazon writes for the same column (localized, renamed)
    type: str  # Athena's type name
    required: bool  # a row without a value here is dropped
    currency_column: str | None  # a money column: the column holding its ISO 4217 currency
    description: str


@dataclass(frozen=True)
class TableSchema:
    name: str
    description: str
    report_types: tuple[str, ...]
    format: str  # "tsv" or "json"
    rows_path: str | None  # json: the top-level array whose elements are the rows
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]  # empty: the report has none
    latest_by: str | None  # the column whose greatest value is a natural key's latest row
    sources: tuple[str, ...]

    def header_index(self) -> dict[str, Column]:
        """Each header and alias, stripped and lower-cased (`normalize_header`), -> its column."""
        return {
            normalize_header(header): column
            for column in self.columns
            for header in (column.header, *column.aliases)
        }

    def column(self, name: str) -> Column:
        """The column called `name` (KeyError: the table has none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


@dataclass(frozen=True)
class TableSchemas:
    version: str
    sources: Mapping[str, Source]
    tables: Mapping[str, TableSchema]


def normalize_header(header: str) -> str:
    """How headers are compared: surrounding whitespace (a trailing "\\r", a stray space) and case do not
    count."""
    return header.strip().lower()


def snake_case(key: str) -> str:
    """A json key in snake_case: "orderedProductSalesB2B" -> "ordered_product_sales_b2b" (a word starts at
    an upper-case letter that follows a lower-case one; digits and acronyms stay with their word)."""
    return _CAMEL_BOUNDARY.sub("_", key).lower()


def flatten_json_key(path: Sequence[str]) -> str:
    """The header of a json report's value: its key path from the row element, each key snake_cased, joined
    with "_" (["salesByDate", "orderedProductSales", "amount"] ->
    "sales_by_date_ordered_product_sales_amount")."""
    if not path:
        raise ValueError("a json key path needs at least one key")
    return "_".join(snake_case(key) for key in path)


def schemas_for_report_type(report_type: str) -> tuple[TableSchema, ...]:
    """The tables a report of `report_type` fills, in the file's order; empty: the type is not converted."""
    return tuple(table for table in TABLE_SCHEMAS.values() if report_type in table.report_types)


def glue_columns(table: str | TableSchema) -> list[tuple[str, str]]:
    """(name, Athena type) of every column a curated file of `table` holds, in order: the schema's columns,
    then TRAILING_COLUMNS. Partition keys are not among them (Glue keeps them apart)."""
    schema = table if isinstance(table, TableSchema) else TABLE_SCHEMAS[table]
    return [*((column.name, column.type) for column in schema.columns), *TRAILING_COLUMNS]


def curated_seller_prefix(table: str | TableSchema, seller_id: str) -> str:
    """`curated/<table>/seller_id=<seller>/`: the prefix of every curated file of the seller in `table`.

    ValueError: the table or seller id is not a key segment (`is_key_segment`)."""
    name = table.name if isinstance(table, TableSchema) else table
    for label, segment in (("table", name), ("seller_id", seller_id)):
        if not is_key_segment(segment):
            raise ValueError(f"{label} {segment!r} cannot be a segment of an S3 key")
    return f"{CURATED_PREFIX}{name}/seller_id={seller_id}/"


def marketplaces_digest(marketplace_ids: Iterable[str]) -> str:
    """A short stable name of a set of marketplace ids: the first hex digits of the sha256 of the sorted,
    distinct ids joined with ","."""
    joined = ",".join(sorted(set(marketplace_ids)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:MARKETPLACES_DIGEST_LENGTH]


def curated_key(
    table: str | TableSchema,
    *,
    seller_id: str,
    report_type: str,
    marketplace_ids: Iterable[str],
    data_start: datetime | None,
    data_end: datetime | None,
    report_id: str,
    created: datetime | None = None,
) -> str:
    """`curated/<table>/seller_id=<seller>/marketplace=<m>/dt=<YYYY-MM-DD>/<file>.parquet`.

    `<m>` is the report's one marketplace id, or "multiple" when it names several. `dt` is the UTC date of
    data_start, or of `created` (the report's creation time) for a report without one. `<file>` is
    `<report type>_<data_start>_<data_end>` (both as YYYYMMDDTHHMMSSZ) when the report covers a data range, so
    a re-pulled window (same range) overwrites its own file, else `<report type>_<report id>`; a report that
    names several marketplaces adds `_<marketplaces_digest>`, so reports of the same type and range for
    different marketplace sets ([US, CA] and [US, MX]) keep a file each under marketplace=multiple.

    ValueError: a segment is not a key segment (`is_key_segment`), a marketplace is not one we know (the
    partition projection would hide its files), no marketplace is given, a time is naive, or there is no time
    to date the file by.
    """
    name = table.name if isinstance(table, TableSchema) else table
    marketplaces = sorted(set(marketplace_ids))
    if not marketplaces:
        raise ValueError("a curated file needs the report's marketplace ids")
    for marketplace in marketplaces:
        if marketplace not in MARKETPLACE_PARTITION_VALUES or marketplace == MULTIPLE_MARKETPLACES:
            raise ValueError(f"marketplace id {marketplace!r} is not one of SP-API's marketplace ids")
    marketplace = marketplaces[0] if len(marketplaces) == 1 else MULTIPLE_MARKETPLACES
    dated_by = data_start if data_start is not None else created
    if dated_by is None:
        raise ValueError("a curated file needs data_start or, for a report without one, created")
    if data_start is not None and data_end is not None:
        file_name = f"{report_type}_{_stamp(data_start)}_{_stamp(data_end)}"
    else:
        file_name = f"{report_type}_{report_id}"
    if len(marketplaces) > 1:
        file_name = f"{file_name}_{marketplaces_digest(marketplaces)}"
    for label, segment in (
        ("report_type", report_type),
        ("report_id", report_id),
        ("file name", file_name),
    ):
        if not is_key_segment(segment):
            raise ValueError(f"{label} {segment!r} cannot be a segment of an S3 key")
    dt = _utc(dated_by).date().isoformat()
    return f"{curated_seller_prefix(name, seller_id)}marketplace={marketplace}/dt={dt}/{file_name}.parquet"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone: curated keys are dated in UTC")
    return moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return _utc(moment).strftime("%Y%m%dT%H%M%SZ")


def is_valid_type(type_name: str) -> bool:
    """Whether `type_name` is one of the Athena types a schema column may have."""
    if type_name in SCALAR_TYPES:
        return True
    match = DECIMAL_TYPE.match(type_name)
    if match is None:
        return False
    precision, scale = int(match.group(1)), int(match.group(2))
    return 1 <= precision <= DECIMAL_MAX_PRECISION and 0 <= scale <= precision


def parse_schemas(document: Mapping[str, Any]) -> TableSchemas:
    """The tables of a `table_schemas.json` document, checked (TableSchemaError: the first rule it breaks)."""
    return _Validator(document).parse()


def load_schemas(text: str) -> TableSchemas:
    """`parse_schemas` of a JSON text; a key repeated in one object is an error (a JSON parser would keep
    the last)."""
    return parse_schemas(json.loads(text, object_pairs_hook=_unique_keys))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise TableSchemaError(f"key {key!r} appears twice in one object")
        seen[key] = value
    return seen


class _Validator:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def parse(self) -> TableSchemas:
        document = self.document
        version = document.get("version")
        if not isinstance(version, str) or not VERSION_PATTERN.match(version):
            raise TableSchemaError(f"version {version!r} is not YYYY-MM-DD.N")
        sources = {
            key: self._source(key, value) for key, value in _object(document, "sources", "file").items()
        }
        tables_entry = _object(document, "tables", "file")
        if not tables_entry:
            raise TableSchemaError("the file lists no tables")
        tables = {name: self._table(name, entry, sources) for name, entry in tables_entry.items()}
        return TableSchemas(
            version=version, sources=MappingProxyType(sources), tables=MappingProxyType(tables)
        )

    @staticmethod
    def _source(key: str, entry: Any) -> Source:
        if not isinstance(entry, Mapping):
            raise TableSchemaError(f"source {key!r} is not an object")
        _known_fields(entry, _SOURCE_FIELDS, f"source {key!r}")
        url, facts = entry.get("url"), entry.get("facts")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise TableSchemaError(f"source {key!r}: url {url!r} is not an https URL")
        document, _, anchor = facts.partition("#") if isinstance(facts, str) else ("", "", "")
        if document != FACTS_DOCUMENT or not anchor:
            raise TableSchemaError(f"source {key!r}: facts {facts!r} is not {FACTS_DOCUMENT}#<anchor>")
        return Source(key=key, url=url, facts=facts)

    def _table(self, name: str, entry: Any, sources: Mapping[str, Source]) -> TableSchema:
        where = f"table {name!r}"
        _name(name, where)
        if not isinstance(entry, Mapping):
            raise TableSchemaError(f"{where} is not an object")
        _known_fields(entry, _TABLE_FIELDS, where)
        description = _text(entry, "description", where)
        report_types = _strings(entry, "reportTypes", where)
        if not report_types:
            raise TableSchemaError(f"{where}: reportTypes is empty")
        for report_type in report_types:
            if catalogue_entry(report_type) is None:
                raise TableSchemaError(
                    f"{where}: report type {report_type} is not in the report-type catalogue"
                )
        file_format = entry.get("format")
        if file_format not in FORMATS:
            raise TableSchemaError(f"{where}: format {file_format!r} is not one of {sorted(FORMATS)}")
        rows_path = entry.get("rowsPath")
        if file_format == "json" and (not isinstance(rows_path, str) or not rows_path):
            raise TableSchemaError(f"{where}: a json table needs rowsPath, the array whose elements are rows")
        if file_format != "json" and rows_path is not None:
            raise TableSchemaError(f"{where}: rowsPath is for json tables only")
        table_sources = _strings(entry, "sources", where)
        if not table_sources:
            raise TableSchemaError(f"{where}: sources is empty")
        for key in table_sources:
            if key not in sources:
                raise TableSchemaError(f"{where}: source {key!r} is not in the file's sources")
        columns_entry = entry.get("columns")
        if not isinstance(columns_entry, list) or not columns_entry:
            raise TableSchemaError(f"{where}: columns is not a non-empty list")
        columns = tuple(self._column(where, column) for column in columns_entry)
        _check_columns(where, columns)
        by_name = {column.name: column for column in columns}
        natural_key = _strings(entry, "naturalKey", where)
        if len(set(natural_key)) != len(natural_key):
            raise TableSchemaError(f"{where}: naturalKey names a column twice")
        for key in natural_key:
            if key not in by_name:
                raise TableSchemaError(f"{where}: naturalKey column {key!r} is not a column")
            if not by_name[key].required:
                raise TableSchemaError(f"{where}: naturalKey column {key!r} must be required")
        latest_by = entry.get("latestBy")
        if latest_by is not None:
            if not natural_key:
                raise TableSchemaError(f"{where}: latestBy needs a naturalKey")
            if latest_by not in by_name:
                raise TableSchemaError(f"{where}: latestBy column {latest_by!r} is not a column")
            if latest_by in natural_key:
                raise TableSchemaError(f"{where}: latestBy column {latest_by!r} is part of the naturalKey")
            if by_name[latest_by].type not in ORDERABLE_TYPES:
                raise TableSchemaError(
                    f"{where}: latestBy column {latest_by!r} is {by_name[latest_by].type}, not one of "
                    f"{sorted(ORDERABLE_TYPES)}"
                )
        return TableSchema(
            name=name,
            description=description,
            report_types=report_types,
            format=file_format,
            rows_path=rows_path,
            columns=columns,
            natural_key=natural_key,
            latest_by=latest_by,
            sources=table_sources,
        )

    @staticmethod
    def _column(table: str, entry: Any) -> Column:
        if not isinstance(entry, Mapping):
            raise TableSchemaError(f"{table}: a column is not an object")
        name = entry.get("name")
        where = f"{table}, column {name!r}"
        _name(name, where)
        if name in RESERVED_COLUMNS:
            raise TableSchemaError(f"{where}: the name is a trailing column's or a partition key's")
        _known_fields(entry, _COLUMN_FIELDS, where)
        header = entry.get("header")
        if not isinstance(header, str) or not header.strip():
            raise TableSchemaError(f"{where}: header is not a non-empty string")
        aliases = _strings(entry, "aliases", where)
        if any(not alias.strip() for alias in aliases):
            raise TableSchemaError(f"{where}: an alias is empty")
        type_name = entry.get("type")
        if not isinstance(type_name, str) or not is_valid_type(type_name):
            raise TableSchemaError(f"{where}: type {type_name!r} is not an Athena type a column may have")
        required = entry.get("required", False)
        if not isinstance(required, bool):
            raise TableSchemaError(f"{where}: required is not true or false")
        description = entry.get("description", "")
        if not isinstance(description, str):
            raise TableSchemaError(f"{where}: description is not a string")
        currency_column = entry.get("currencyColumn")
        if currency_column is not None and not type_name.startswith("decimal("):
            raise TableSchemaError(f"{where}: currencyColumn is for decimal (money) columns only")
        return Column(
            name=name,
            header=header,
            aliases=aliases,
            type=type_name,
            required=required,
            currency_column=currency_column,
            description=description,
        )


def _check_columns(where: str, columns: tuple[Column, ...]) -> None:
    by_name: dict[str, Column] = {}
    headers: dict[str, str] = {}
    for column in columns:
        if column.name in by_name:
            raise TableSchemaError(f"{where}: column {column.name!r} appears twice")
        by_name[column.name] = column
        for header in (column.header, *column.aliases):
            normalized = normalize_header(header)
            if normalized in headers:
                raise TableSchemaError(
                    f"{where}: header {header!r} of column {column.name!r} is already column "
                    f"{headers[normalized]!r}'s"
                )
            headers[normalized] = column.name
    for column in columns:
        if column.currency_column is None:
            continue
        currency = by_name.get(column.currency_column)
        if currency is None:
            raise TableSchemaError(
                f"{where}, column {column.name!r}: currencyColumn {column.currency_column!r} is not a column"
            )
        if currency.type != "string":
            raise TableSchemaError(
                f"{where}, column {column.name!r}: currencyColumn {column.currency_column!r} is not a string"
            )


def _name(name: Any, where: str) -> None:
    if not isinstance(name, str) or not SNAKE_CASE.match(name) or len(name) > NAME_MAX_LENGTH:
        raise TableSchemaError(f"{where}: the name is not snake_case (a-z, 0-9, single '_', at most 128)")


def _known_fields(entry: Mapping[str, Any], fields: frozenset[str], where: str) -> None:
    unknown = sorted(set(entry) - fields)
    if unknown:
        raise TableSchemaError(f"{where}: unknown fields {unknown} (known: {sorted(fields)})")


def _object(entry: Mapping[str, Any], field: str, where: str) -> Mapping[str, Any]:
    value = entry.get(field)
    if not isinstance(value, Mapping):
        raise TableSchemaError(f"{where}: {field} is not an object")
    return value


def _text(entry: Mapping[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise TableSchemaError(f"{where}: {field} is not a non-empty string")
    return value


def _strings(entry: Mapping[str, Any], field: str, where: str) -> tuple[str, ...]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise TableSchemaError(f"{where}: {field} is not a list of non-empty strings")
    return tuple(value)


def _load_packaged() -> TableSchemas:
    return load_schemas(resources.files(__package__).joinpath(SCHEMAS_FILE).read_text(encoding="utf-8"))


_PACKAGED = _load_packaged()
SCHEMAS_VERSION: str = _PACKAGED.version
SCHEMA_SOURCES: Mapping[str, Source] = _PACKAGED.sources
TABLE_SCHEMAS: Mapping[str, TableSchema] = _PACKAGED.tables
