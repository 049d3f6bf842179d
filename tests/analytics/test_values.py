"""The value parsers, case by case (sp_reports.analytics.values names the source of each rule)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sp_reports.analytics.values import (
    JSON_LOCALE,
    ValueProblem,
    locale_for,
    parse_boolean,
    parse_date,
    parse_number,
    parse_string,
    parse_timestamp,
    parser_for,
)
from sp_reports.spapi.regions import REGIONS

DE = locale_for([REGIONS["EU"].marketplaces["DE"]])
US = locale_for([REGIONS["NA"].marketplaces["US"]])
JP = locale_for([REGIONS["FE"].marketplaces["JP"]])
UNDOCUMENTED = locale_for([REGIONS["EU"].marketplaces["DE"], REGIONS["NA"].marketplaces["US"]])
PROBLEM = "problem"


def _read(parse, text, locale):
    try:
        return parse(text, locale)
    except ValueProblem:
        return PROBLEM


@pytest.mark.parametrize(
    ("text", "de", "us", "undocumented"),
    [
        # the DE settlement flat file's amounts (abuzuhri/Amazon-SP-API-CSharp#571)
        ("1141,18", "1141.18", "1141.18", "1141.18"),
        ("1.234,56", "1234.56", PROBLEM, "1234.56"),
        ("1,234.56", PROBLEM, "1234.56", "1234.56"),
        ("-3,5", "-3.5", "-3.5", "-3.5"),
        ("+7", "7", "7", "7"),
        # a separator not followed by three digits can only be the decimal one
        ("12.99", "12.99", "12.99", "12.99"),
        ("0.123", "0.123", "0.123", "0.123"),
        # followed by three digits: the marketplace's decimal separator, else ambiguous (styles mix, #706)
        ("1.234", PROBLEM, "1.234", PROBLEM),
        ("1,234", "1.234", PROBLEM, PROBLEM),
        ("1.234.567", "1234567", PROBLEM, "1234567"),
        ("1,234,567", PROBLEM, "1234567", "1234567"),
        ("12.3.4", PROBLEM, PROBLEM, PROBLEM),
        ("1,23,456.7", PROBLEM, PROBLEM, PROBLEM),
        ("12 EUR", PROBLEM, PROBLEM, PROBLEM),
        ("1e5", PROBLEM, PROBLEM, PROBLEM),
        (".5", PROBLEM, PROBLEM, PROBLEM),
        ("", None, None, None),
        ("  ", None, None, None),
    ],
)
def test_numbers_are_read_in_the_marketplace_format(text, de, us, undocumented):
    for locale, expected in ((DE, de), (US, us), (UNDOCUMENTED, undocumented)):
        got = _read(lambda t, loc: parse_number(t, loc.numbers), text, locale)
        assert got == (Decimal(expected) if expected not in (None, PROBLEM) else expected), (text, locale)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", "12.5"),
        ("-0", "0"),
        ("1E+3", "1E+3"),
        ("1,5", PROBLEM),
        ("1,234.5", PROBLEM),
        ("01", PROBLEM),
    ],
)
def test_json_numbers_follow_rfc_8259(text, expected):
    got = _read(lambda t, loc: parse_number(t, loc.numbers), text, JSON_LOCALE)
    assert got == (Decimal(expected) if expected != PROBLEM else PROBLEM)


@pytest.mark.parametrize(
    ("type_name", "text", "locale", "expected"),
    [
        ("decimal(18,2)", "1.234,56", DE, Decimal("1234.56")),
        ("decimal(18,2)", "12,5", DE, Decimal("12.50")),
        ("decimal(18,2)", "12.500", US, Decimal("12.50")),  # trailing zeros lose nothing
        ("decimal(18,2)", "5.05", DE, Decimal("5.05")),  # a DE report mixing styles (#706)
        ("decimal(18,2)", "12.345", US, PROBLEM),  # never rounded
        ("decimal(4,2)", "123,4", DE, PROBLEM),  # more integer digits than precision - scale
        ("decimal(4,2)", "99,99", DE, Decimal("99.99")),
        ("decimal(38,0)", "9" * 38, US, Decimal("9" * 38)),
        ("decimal(38,0)", "9" * 39, US, PROBLEM),
        ("bigint", "1.234", DE, PROBLEM),
        ("bigint", "1.234.567", DE, 1234567),
        ("bigint", "2", US, 2),
        ("bigint", "2,00", DE, 2),
        ("bigint", "2,5", DE, PROBLEM),
        ("bigint", str(2**63), US, PROBLEM),
        ("bigint", "", DE, None),  # an empty quantity is null
        ("double", "0,25", DE, 0.25),
        ("double", "abc", DE, PROBLEM),
        ("string", "  kept as written ", DE, "  kept as written "),
        ("string", "", DE, None),
    ],
)
def test_typed_parsers(type_name, text, locale, expected):
    assert _read(parser_for(type_name), text, locale) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T08:30:00+00:00", datetime(2024, 1, 15, 8, 30, tzinfo=UTC)),
        ("2024-01-15T08:30:00Z", datetime(2024, 1, 15, 8, 30, tzinfo=UTC)),
        ("2024-01-15T09:30:00+01:00", datetime(2024, 1, 15, 8, 30, tzinfo=UTC)),
        ("2024-01-15T00:30:00-0800", datetime(2024, 1, 15, 8, 30, tzinfo=UTC)),
        ("2024-01-15T08:30:00.123Z", datetime(2024, 1, 15, 8, 30, 0, 123000, tzinfo=UTC)),
        ("2024-01-15T08:30:00.120000Z", datetime(2024, 1, 15, 8, 30, 0, 120000, tzinfo=UTC)),
        ("2024-01-15T08:30:00.1234Z", PROBLEM),  # finer than Athena's milliseconds
        ("2024-01-15 08:30:00 UTC", datetime(2024, 1, 15, 8, 30, tzinfo=UTC)),
        ("15.01.2024 08:30:00 UTC", datetime(2024, 1, 15, 8, 30, tzinfo=UTC)),
        ("2022-07-11 01:34:18 PDT", datetime(2022, 7, 11, 8, 34, 18, tzinfo=UTC)),
        ("2022-01-11 01:34:18 PST", datetime(2022, 1, 11, 9, 34, 18, tzinfo=UTC)),
        ("2022-01-11 01:34:18 CET", PROBLEM),  # a zone nobody documented
        ("2024-01-15T08:30:00", PROBLEM),  # no zone: a guess
        ("2024-01-15", datetime(2024, 1, 15, tzinfo=UTC)),
        ("2024-02-30T08:30:00Z", PROBLEM),
        ("2024-01-15T25:30:00Z", PROBLEM),
        ("yesterday", PROBLEM),
        ("", None),
    ],
)
def test_timestamps_become_utc(text, expected):
    assert _read(parse_timestamp, text, DE) == expected


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("2024-01-15", DE, date(2024, 1, 15)),
        ("15.01.2024", DE, date(2024, 1, 15)),
        ("13.1.2017", DE, date(2017, 1, 13)),
        # slash dates in the marketplace's order (airbyte's seller feedback date formats)
        ("1/13/17", US, date(2017, 1, 13)),
        ("13/1/17", DE, date(2017, 1, 13)),
        ("17/1/13", JP, date(2017, 1, 13)),
        ("1/13/17", UNDOCUMENTED, PROBLEM),
        ("13/1/17", US, PROBLEM),
        ("2024-01-15T23:30:00-02:00", DE, date(2024, 1, 16)),  # a timestamp gives its UTC date
        ("", DE, None),
    ],
)
def test_dates(text, locale, expected):
    assert _read(parse_date, text, locale) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("True", True),
        ("yes", True),
        ("Y", True),
        ("1", True),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("N", False),
        ("0", False),
        ("", None),
        ("maybe", PROBLEM),
    ],
)
def test_booleans(text, expected):
    assert _read(parse_boolean, text, DE) == expected


def test_a_problem_never_quotes_the_value():
    secret = "Jane Doe, 1 Main Street"
    for type_name in ("bigint", "double", "decimal(18,2)", "boolean", "date", "timestamp"):
        with pytest.raises(ValueProblem) as problem:
            parser_for(type_name)(secret, DE)
        assert "Jane" not in str(problem.value)
    assert parse_string(secret, DE) == secret


@pytest.mark.parametrize(
    "type_name", ["int", "decimal(39,2)", "decimal(2,3)", "map<string,string>", "varchar"]
)
def test_unknown_types_are_refused(type_name):
    with pytest.raises(ValueError, match=r"type|decimal"):
        parser_for(type_name)


def _written(value: Decimal, decimal_separator: str, grouped: bool) -> str:
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    if grouped:
        group = "," if decimal_separator == "." else "."
        whole = f"{int(whole):,}".replace(",", group)
    return sign + whole + (decimal_separator + fraction if fraction else "")


@settings(max_examples=300, deadline=None)
@given(
    value=st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    grouped=st.booleans(),
)
def test_a_number_written_in_its_marketplace_format_reads_back_exactly(value, grouped):
    assert parse_number(_written(value, ",", grouped), DE.numbers) == value
    assert parse_number(_written(value, ".", grouped), US.numbers) == value
