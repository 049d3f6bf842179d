"""The rows of a stored report document, read as a stream: TSV flat files and JSON reports.

What the converter reads is the raw object the store wrote (sp_reports.pipeline.report_storage): the document
as SP-API's host served it after `sp_reports.spapi.documents` gunzipped it, in the charset the record names
(sp_reports.pipeline.document_charsets: windows-1252, Windows-31J, UTF-8, or UTF-8 when transcoded). A raw
object that still starts with the gzip magic (an object written another way) is gunzipped here; one whose gzip
stream is cut short or corrupt is rejected, as are bytes its charset cannot decode: a document read wrongly
would put wrong values in the table, so it is not read at all.

TSV: the first line is the header. Each header is looked up in the table's header index (its header and
aliases, case-insensitively); a header the schema does not know is kept per row in `extra` and listed in
`unknown_columns` (a repeated one, or an empty one, named by its position too); a header lacking a required
column rejects the document. A row with more or fewer fields than the header is dropped with a `Problem` (its
line number, never its text). Fields are split on tabs and lines on LF (a CR before it is dropped): SP-API's
flat files do not quote fields. A UTF-8 byte order mark before the header is dropped. Row numbers are line
numbers, the header being line 1.

JSON: the document is read whole (`MAX_JSON_CHARACTERS` bounds it; a larger one is rejected, which the
conversion's record says), because its row array sits inside one object; SP-API's JSON reports (sales and
traffic) are small, one element per date or ASIN. The elements of the table's `rowsPath` array are the rows,
numbered from 1; nested objects are flattened, keys snake_cased and joined with "_"
(`{"salesByDate": {"orderedProductSales": {"amount": 1}}}` -> `sales_by_date_ordered_product_sales_amount`);
an array inside an element is kept as its JSON text. Numbers keep their JSON text, so decimals stay exact.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from sp_reports.analytics.table_schemas import TableSchema, normalize_header, snake_case
from sp_reports.spapi.charsets import CHARSETS, UTF_8
from sp_reports.spapi.documents import GZIP_MAGIC

READ_BUFFER_BYTES = 1024 * 1024
# A row of a flat file is a few hundred characters; a "line" of a megabyte is not a report's (memory stays
# bounded by it whatever the document holds).
MAX_LINE_CHARACTERS = 1024 * 1024
# About 64 MiB of text; as Python objects a JSON document takes several times its size in memory.
MAX_JSON_CHARACTERS = 64 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """What went wrong with a row or a cell: its row number and column (None: the document as a whole) and a
    short reason. Never the cell's value: it may be a buyer's data."""

    row: int | None
    column: str | None
    reason: str


class DocumentRejected(Exception):
    """The document cannot be converted at all: the message says why."""


@dataclass(frozen=True)
class DocumentRow:
    """One row: its number, the text of each schema column the document has (by column name), and the text
    of the headers the schema does not know (by header, empty cells left out)."""

    number: int
    cells: dict[str, str]
    extra: dict[str, str]


class ReadableBytes(Protocol):
    def read(self, size: int = -1) -> bytes: ...


ProblemSink = Callable[[Problem], None]


class _RawBytes(io.RawIOBase):
    """A `read(n)` stream (botocore's StreamingBody) as the raw stream io's buffered readers wrap."""

    def __init__(self, stream: ReadableBytes) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def codec_for(charset: str | None) -> str:
    """The Python codec of a stored charset's IANA name (None: UTF-8); DocumentRejected for an unknown one."""
    if charset is None:
        return UTF_8.codec
    known = CHARSETS.get(charset.strip().lower())
    if known is None:
        raise DocumentRejected(f"the document's charset {charset!r} is not one the converter reads")
    return known.codec


def open_text(stream: ReadableBytes, charset: str | None) -> IO[str]:
    """The document's text, decoded as it is read: gunzipped when its bytes are gzip (decided by the bytes,
    as sp_reports.spapi.documents does), decoded strictly in `charset`."""
    codec = codec_for(charset)
    buffered = io.BufferedReader(_RawBytes(stream), READ_BUFFER_BYTES)
    binary: IO[bytes] = buffered
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        binary = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
    return io.TextIOWrapper(binary, encoding=codec, errors="strict", newline="\n")  # type: ignore[arg-type]


_READ_FAILURES = (EOFError, gzip.BadGzipFile, zlib.error, UnicodeDecodeError)


def _failure_reason(failure: BaseException) -> str:
    if isinstance(failure, UnicodeDecodeError):
        return f"bytes that are not {failure.encoding} text"
    if isinstance(failure, EOFError):
        return "truncated gzip data: the stream ended before its end"
    return f"corrupt gzip data ({failure})"


def _lines(text: IO[str]) -> Iterator[str]:
    try:
        while line := text.readline(MAX_LINE_CHARACTERS + 1):
            if line.endswith("\n"):
                yield line[:-1].removesuffix("\r")
            elif len(line) > MAX_LINE_CHARACTERS:
                raise DocumentRejected(f"a line longer than {MAX_LINE_CHARACTERS} characters")
            else:
                yield line  # the last line, without its line feed
    except _READ_FAILURES as failure:
        raise DocumentRejected(_failure_reason(failure)) from None


class TsvRows:
    """The rows of a TSV document for one table. The header is read on construction (DocumentRejected when
    it lacks a required column); iterating yields the rows, reporting dropped ones to `problems`."""

    def __init__(self, text: IO[str], schema: TableSchema, problems: ProblemSink) -> None:
        self._lines = _lines(text)
        self._problems = problems
        header_line = next(self._lines, None)
        if header_line is None:
            raise DocumentRejected("the document is empty: it has no header line")
        headers = header_line.removeprefix("\ufeff").split("\t")
        index = schema.header_index()
        self._positions: list[tuple[int, str, bool]] = []  # (field index, name, known column?)
        seen: dict[str, str] = {}
        unknown: list[str] = []
        for position, header in enumerate(headers):
            column = index.get(normalize_header(header))
            if column is None:
                # A header repeated over several columns (a localized "not applicable") keeps each cell.
                name = header.strip() or f"column {position + 1}"
                if name in unknown:
                    name = f"{name} (column {position + 1})"
                unknown.append(name)
                self._positions.append((position, name, False))
                continue
            if column.name in seen:
                raise DocumentRejected(
                    f"headers {seen[column.name]!r} and {header.strip()!r} both name column {column.name}"
                )
            seen[column.name] = header.strip()
            self._positions.append((position, column.name, True))
        missing = [column.name for column in schema.columns if column.required and column.name not in seen]
        if missing:
            raise DocumentRejected(f"the header lacks the required column(s) {', '.join(missing)}")
        self.width = len(headers)
        self.unknown_columns: tuple[str, ...] = tuple(unknown)

    def __iter__(self) -> Iterator[DocumentRow]:
        number = 1
        for line in self._lines:
            number += 1
            if not line.strip():
                continue  # a blank line holds no row
            fields = line.split("\t")
            if len(fields) != self.width:
                self._problems(
                    Problem(
                        number, None, f"{len(fields)} fields where the header has {self.width}: row dropped"
                    )
                )
                continue
            cells: dict[str, str] = {}
            extra: dict[str, str] = {}
            for position, name, known in self._positions:
                value = fields[position]
                if known:
                    cells[name] = value
                elif value:
                    extra[name] = value
            yield DocumentRow(number, cells, extra)


def flatten(element: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON object's leaves by their flattened path (table_schemas.flatten_json_key's rule), as text (null
    -> empty)."""
    flat: dict[str, str] = {}
    for key, value in element.items():
        name = f"{prefix}_{snake_case(key)}" if prefix else snake_case(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        elif value is None:
            flat[name] = ""
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        else:
            flat[name] = str(value)
    return flat


def _number_text(text: str) -> str:
    return text


class JsonRows:
    """The rows of a JSON document for one table (module docstring): the elements of its rowsPath array."""

    def __init__(self, text: IO[str], schema: TableSchema, problems: ProblemSink) -> None:
        if not schema.rows_path:
            raise DocumentRejected(f"table {schema.name} names no rowsPath for its JSON documents")
        try:
            body = text.read(MAX_JSON_CHARACTERS + 1)
        except _READ_FAILURES as failure:
            raise DocumentRejected(_failure_reason(failure)) from None
        if len(body) > MAX_JSON_CHARACTERS:
            raise DocumentRejected(f"a JSON document larger than {MAX_JSON_CHARACTERS} characters")
        try:
            document = json.loads(
                body.removeprefix("\ufeff"), parse_float=_number_text, parse_int=_number_text
            )
        except json.JSONDecodeError as failure:
            raise DocumentRejected(f"not JSON: {failure.msg} at line {failure.lineno}") from None
        elements = document.get(schema.rows_path) if isinstance(document, dict) else None
        if not isinstance(elements, list):
            raise DocumentRejected(f"the document has no {schema.rows_path} array")
        self._elements = elements
        self._problems = problems
        index = schema.header_index()
        self._index = index
        present: set[str] = set()
        unknown: dict[str, None] = {}
        for element in elements:
            if isinstance(element, dict):
                for key in flatten(element):
                    column = index.get(normalize_header(key))
                    if column is None:
                        unknown[key] = None
                    else:
                        present.add(column.name)
        missing = [c.name for c in schema.columns if c.required and c.name not in present and elements]
        if missing:
            raise DocumentRejected(f"the rows lack the required column(s) {', '.join(missing)}")
        self.unknown_columns: tuple[str, ...] = tuple(unknown)

    def __iter__(self) -> Iterator[DocumentRow]:
        for number, element in enumerate(self._elements, start=1):
            if not isinstance(element, dict):
                self._problems(Problem(number, None, "an element that is not an object: row dropped"))
                continue
            cells: dict[str, str] = {}
            extra: dict[str, str] = {}
            for key, value in flatten(element).items():
                column = self._index.get(normalize_header(key))
                if column is not None:
                    cells[column.name] = value
                elif value:
                    extra[key] = value
            yield DocumentRow(number, cells, extra)


def document_rows(text: IO[str], schema: TableSchema, problems: ProblemSink) -> TsvRows | JsonRows:
    """The rows reader of the table's document format ("tsv" or "json")."""
    if schema.format == "tsv":
        return TsvRows(text, schema, problems)
    if schema.format == "json":
        return JsonRows(text, schema, problems)
    raise DocumentRejected(f"documents in format {schema.format!r} are not converted")
