"""Typed values from the text of a report cell: one parser per Athena type, numbers in the marketplace's
format.

Every parser takes the cell's text and gives the typed value, None for an empty cell, or raises
`ValueProblem` with a short reason (never the value: a cell may hold a buyer's data).

Numbers. Amazon writes numbers in the marketplace's own format in some flat files: a German settlement report
holds "1141,18" and "14.03.2023 07:49:55 UTC" (abuzuhri/Amazon-SP-API-CSharp#571, a DE settlement flat file),
and a report may mix both styles, "5,05" beside "5.05" (abuzuhri/Amazon-SP-API-CSharp#706); readers that
strip "," as a thousands separator read 1141,18 as 114118 (#571; fivetran/dbt_amazon_selling_partner
macros/convert_string_to_numeric.sql strips every "," before casting, the US reading). No source shows a
thousands separator in a flat file (docs/analytics.md, "How values are written"). So a number is read so:
- a separator that cannot be a thousands separator (not followed by groups of exactly three digits, or
  after a leading "0") is the decimal separator, whichever it is: "12.99" and "12,99" are both 12.99;
- both separators present: the last one is the decimal separator, the other must group by three and the
  decimal one must be the marketplace's: "1.234,56" in a DE report and "1,234.56" in a US one are 1234.56;
- several of one separator in groups of three are thousands separators: "1.234.567" (not in a marketplace
  whose decimal separator it is);
- one separator followed by exactly three digits ("1.234") is the decimal separator when it is the
  marketplace's (`NUMBER_FORMATS`: "," in DE, FR, IT and ES reports, "." in US, CA, UK, ...), so "1,234" in
  a DE report is 1.234; otherwise it is ambiguous and a problem, never a guess: in a DE report "1.234" may be
  a dot decimal (the styles mix) or a thousands separator (none documented), and a marketplace without a
  documented format, or a report of several, has no reading at all.
JSON numbers follow RFC 8259 section 6 (no grouping, "." only, exponents allowed): `JSON_NUMBERS`.

Decimals are exact (`Decimal`): a value with more fractional digits than the column's scale is a problem
(trailing zeros aside), never rounded; one with more integer digits than precision - scale is a problem too.

Timestamps become aware UTC datetimes. Accepted forms: ISO 8601 with an offset or Z
("2024-01-15T08:30:00+01:00", the order reports' form), "2024-01-15 08:30:00 UTC" and "15.01.2024 08:30:00
UTC" (the settlement flat files, #571 above), a named zone among `ZONE_OFFSETS` ("2022-07-11 01:34:18 PDT",
the merchant listings' open-date as airbytehq/airbyte's source-amazon-seller-partner components.py notes), and
a date alone (midnight UTC). A time with no zone is a problem: the zone would be a guess. Athena keeps
milliseconds (Athena User Guide, "Data types in Amazon Athena"; AWS DMS S3Settings
ParquetTimestampInMillisecond: "Athena and AWS Glue can handle only millisecond precision"), so finer digits
that are not zeros are a problem.

Dates: ISO "2024-01-15", "15.01.2024", and the slash forms in the marketplace's order (airbytehq/airbyte
source-amazon-seller-partner, SellerFeedbackReportsTypeTransformer.MARKETPLACE_DATE_FORMAT_MAP: M/D/Y in the
US, Y/M/D in JP, D/M/Y in the other marketplaces it lists), two- or four-digit years; a timestamp in a date
column gives its UTC date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal, InvalidOperation

from sp_reports.analytics.table_schemas import DECIMAL_TYPE, is_valid_type
from sp_reports.spapi.regions import REGIONS


class ValueProblem(ValueError):
    """A cell's text is not a value of its column's type; the message says why, without the value."""


@dataclass(frozen=True)
class NumberFormat:
    """How a document writes numbers. `decimal_separator` None: not documented for the marketplace, so
    only unambiguous numbers are read. `grouping` False: no thousands separators at all (JSON)."""

    name: str
    decimal_separator: str | None
    grouping: bool = True


POINT_DECIMALS = NumberFormat("point", ".")
COMMA_DECIMALS = NumberFormat("comma", ",")
UNDOCUMENTED = NumberFormat("undocumented", None)
JSON_NUMBERS = NumberFormat("json", ".", grouping=False)


def _marketplaces(*countries: str) -> list[str]:
    return [
        region.marketplaces[c] for region in REGIONS.values() for c in countries if c in region.marketplaces
    ]


# Marketplace id -> its documents' number format (module docstring for the sources).
NUMBER_FORMATS: dict[str, NumberFormat] = {
    **dict.fromkeys(_marketplaces("DE", "FR", "IT", "ES"), COMMA_DECIMALS),
    **dict.fromkeys(_marketplaces("US", "CA", "UK", "IE", "AU", "SG", "JP", "IN"), POINT_DECIMALS),
}

# Marketplace id -> the order of day, month and year in a slash date (module docstring for the source).
_DMY, _MDY, _YMD = "DMY", "MDY", "YMD"
SLASH_DATE_ORDERS: dict[str, str] = {
    **dict.fromkeys(_marketplaces("US"), _MDY),
    **dict.fromkeys(_marketplaces("JP"), _YMD),
    **dict.fromkeys(
        _marketplaces(
            "AE",
            "DE",
            "PL",
            "EG",
            "ES",
            "FR",
            "IN",
            "IT",
            "NL",
            "SA",
            "TR",
            "UK",
            "IE",
            "BE",
            "AU",
            "SG",
            "BR",
            "CA",
            "MX",
        ),
        _DMY,
    ),
}

# Zone names the documents use, to their UTC offset. PST/PDT: US Pacific time, standard and daylight.
ZONE_OFFSETS: dict[str, timedelta] = {
    "UTC": timedelta(0),
    "GMT": timedelta(0),
    "Z": timedelta(0),
    "PST": timedelta(hours=-8),
    "PDT": timedelta(hours=-7),
}


@dataclass(frozen=True)
class Locale:
    """What the parsers need to know of the document's marketplace."""

    numbers: NumberFormat = UNDOCUMENTED
    slash_dates: str | None = None  # "DMY", "MDY", "YMD"; None: slash dates are not read


def locale_for(marketplace_ids: Iterable[str]) -> Locale:
    """The locale of a report of `marketplace_ids`: the marketplace's when there is one, else undocumented."""
    ids = set(marketplace_ids)
    if len(ids) != 1:
        return Locale()
    (marketplace_id,) = ids
    return Locale(NUMBER_FORMATS.get(marketplace_id, UNDOCUMENTED), SLASH_DATE_ORDERS.get(marketplace_id))


JSON_LOCALE = Locale(JSON_NUMBERS)

_PLAIN_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:X[0-9]{3})+")


def _grouped(digits: str, separator: str) -> bool:
    return _GROUPED.fullmatch(digits.replace(separator, "X")) is not None


def parse_number(text: str, numbers: NumberFormat) -> Decimal | None:
    """The exact value of a number as the document writes it (module docstring for the rules)."""
    value = text.strip()
    if not value:
        return None
    if not numbers.grouping:
        if not _JSON_NUMBER.fullmatch(value):
            raise ValueProblem("not a JSON number")
        return Decimal(value)
    sign = ""
    if value[0] in "+-":
        sign, value = value[0].replace("+", ""), value[1:]
    if not _PLAIN_NUMBER.fullmatch(value):
        raise ValueProblem("not a number")
    dots, commas = value.count("."), value.count(",")
    if not dots and not commas:
        return Decimal(sign + value)
    if dots and commas:
        decimal_separator = max(".,", key=value.rfind)  # the last one
        group = "," if decimal_separator == "." else "."
        whole, _, fraction = value.rpartition(decimal_separator)
        if decimal_separator in whole or not _grouped(whole, group):
            raise ValueProblem("its thousands separators are not in groups of three")
        if numbers.decimal_separator not in (None, decimal_separator):
            raise ValueProblem(
                f"'{decimal_separator}' as the decimal separator is not this marketplace's format"
            )
        return Decimal(f"{sign}{whole.replace(group, '')}.{fraction}")
    separator = "." if dots else ","
    if dots + commas > 1:
        if not _grouped(value, separator):
            raise ValueProblem("its thousands separators are not in groups of three")
        if numbers.decimal_separator == separator:
            raise ValueProblem(
                f"'{separator}' is this marketplace's decimal separator, not a thousands separator"
            )
        return Decimal(sign + value.replace(separator, ""))
    if not _grouped(value, separator):
        whole, _, fraction = value.partition(separator)
        return Decimal(f"{sign}{whole}.{fraction}")
    if numbers.decimal_separator == separator:
        return Decimal(sign + value.replace(separator, "."))
    raise ValueProblem(f"ambiguous: '{separator}' may be a decimal or a thousands separator")


_INT64 = (-(2**63), 2**63 - 1)
# Room for Athena's largest decimal (precision 38) and then some: quantize must never round or overflow here.
_DECIMAL_CONTEXT = Context(prec=80)
_QUANTA = tuple(Decimal(1).scaleb(-scale) for scale in range(39))  # 1, 0.1, 0.01, ...


def parse_bigint(text: str, locale: Locale) -> int | None:
    number = parse_number(text, locale.numbers)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueProblem("not a whole number")
    integer = int(number)
    if not _INT64[0] <= integer <= _INT64[1]:
        raise ValueProblem("outside bigint's range")
    return integer


def parse_double(text: str, locale: Locale) -> float | None:
    number = parse_number(text, locale.numbers)
    if number is None:
        return None
    result = float(number)
    if result in (float("inf"), float("-inf")):
        raise ValueProblem("outside double's range")
    return result


def parse_decimal(text: str, locale: Locale, precision: int, scale: int) -> Decimal | None:
    number = parse_number(text, locale.numbers)
    if number is None:
        return None
    quantum = _QUANTA[scale] if scale < len(_QUANTA) else Decimal(1).scaleb(-scale)
    try:
        exact = number.quantize(quantum, context=_DECIMAL_CONTEXT)
    except InvalidOperation:
        raise ValueProblem(f"more than {precision - scale} digits before the decimal separator") from None
    if exact != number:
        raise ValueProblem(f"more than {scale} digits after the decimal separator")
    if len(exact.as_tuple().digits) > precision and exact != 0:
        raise ValueProblem(f"more than {precision - scale} digits before the decimal separator")
    return exact


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def parse_boolean(text: str, locale: Locale) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueProblem("not a boolean (true/false, yes/no, y/n, 1/0)")


def parse_string(text: str, locale: Locale) -> str | None:
    return text if text.strip() else None


_ISO_DATE = r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
_DOTTED_DATE = r"(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})"
_TIME = r"(?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]{1,9}))?)?"
_OFFSET = r"(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
_ZONE = r"(?P<zone>[A-Z]{1,5})"
_TIMESTAMPS = tuple(
    re.compile(pattern)
    for pattern in (
        rf"{_ISO_DATE}[T ]{_TIME}\s*{_OFFSET}",
        rf"{_ISO_DATE}[T ]{_TIME} {_ZONE}",
        rf"{_DOTTED_DATE} {_TIME} {_ZONE}",
        rf"{_ISO_DATE}[T ]{_TIME}",  # no zone: refused below
        rf"{_DOTTED_DATE} {_TIME}",
    )
)
_DATES = (re.compile(_ISO_DATE), re.compile(_DOTTED_DATE))
_SLASH_DATE = re.compile(r"([0-9]{1,4})/([0-9]{1,2})/([0-9]{1,4})")


def _offset(match: re.Match[str]) -> timedelta:
    groups = match.groupdict()
    if groups.get("zone") is not None:
        zone = groups["zone"]
        if zone not in ZONE_OFFSETS:
            raise ValueProblem(f"time zone {zone} is not one the documents are known to use")
        return ZONE_OFFSETS[zone]
    offset = groups.get("offset")
    if offset is None:
        raise ValueProblem("a time without a time zone")
    if offset == "Z":
        return timedelta(0)
    digits = offset[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timedelta(minutes=minutes if offset[0] == "+" else -minutes)


def _calendar_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem("not a calendar date") from None


def parse_timestamp(text: str, locale: Locale) -> datetime | None:
    value = text.strip()
    if not value:
        return None
    for pattern in _TIMESTAMPS:
        match = pattern.fullmatch(value)
        if match is None:
            continue
        groups = match.groupdict()
        fraction = groups["f"] or ""
        if fraction.rstrip("0")[3:]:
            raise ValueProblem("finer than milliseconds")
        day = _calendar_date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
        hour, minute, second = int(groups["H"]), int(groups["M"]), int(groups["S"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueProblem("not a time of day")
        local = datetime(
            day.year, day.month, day.day, hour, minute, second, int((fraction + "000")[:3]) * 1000
        )
        return (local - _offset(match)).replace(tzinfo=UTC)
    day = _parse_plain_date(value, locale)
    if day is None:
        raise ValueProblem("not a timestamp in a known format")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _parse_plain_date(value: str, locale: Locale) -> date | None:
    for pattern in _DATES:
        match = pattern.fullmatch(value)
        if match is not None:
            return _calendar_date(int(match["y"]), int(match["m"]), int(match["d"]))
    match = _SLASH_DATE.fullmatch(value)
    if match is None:
        return None
    if locale.slash_dates is None:
        raise ValueProblem("a slash date, whose order is not documented for this marketplace")
    parts = dict(zip(locale.slash_dates, (int(part) for part in match.groups()), strict=True))
    year_text = match.group(locale.slash_dates.index("Y") + 1)
    if len(year_text) not in (2, 4):
        raise ValueProblem("not a date in the marketplace's order")
    year = parts["Y"] + 2000 if len(year_text) == 2 else parts["Y"]
    return _calendar_date(year, parts["M"], parts["D"])


def parse_date(text: str, locale: Locale) -> date | None:
    value = text.strip()
    if not value:
        return None
    day = _parse_plain_date(value, locale)
    if day is not None:
        return day
    try:
        timestamp = parse_timestamp(value, locale)
    except ValueProblem:
        raise ValueProblem("not a date in a known format") from None
    return timestamp.date() if timestamp is not None else None


Parser = Callable[[str, Locale], object]

_PARSERS: dict[str, Parser] = {
    "string": parse_string,
    "bigint": parse_bigint,
    "double": parse_double,
    "boolean": parse_boolean,
    "date": parse_date,
    "timestamp": parse_timestamp,
}


def parser_for(type_name: str) -> Parser:
    """The parser of a column type (table_schemas' grammar: `string`, `bigint`, `double`, `boolean`,
    `date`, `timestamp`, `decimal(P,S)`); ValueError for any other."""
    if type_name in _PARSERS:
        return _PARSERS[type_name]
    match = DECIMAL_TYPE.match(type_name)
    if match is None or not is_valid_type(type_name):
        raise ValueError(f"{type_name!r} is not a column type the converter reads")
    precision, scale = int(match[1]), int(match[2])
    return lambda text, locale: parse_decimal(text, locale, precision, scale)
