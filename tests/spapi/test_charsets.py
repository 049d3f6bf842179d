"""A document's charset comes from its download's Content-Type, else its marketplaces' documented default.

Each row is a documented case (sources in sp_reports.spapi.charsets and docs/spapi-notes.md#charsets,
#endpoints)."""

from __future__ import annotations

import codecs

import pytest

from sp_reports.spapi.charsets import (
    CHARSETS,
    MARKETPLACE_DEFAULTS,
    UTF_8,
    WINDOWS_31J,
    WINDOWS_1252,
    charset_label,
    document_charset,
)
from sp_reports.spapi.regions import REGIONS

DE = REGIONS["EU"].marketplaces["DE"]


@pytest.mark.parametrize(
    ("content_type", "iana_name", "codec"),
    [
        ("text/plain; charset=Cp1252", "windows-1252", "cp1252"),  # EU listings (jrl84#144, models#2748)
        ("text/plain; charset=windows-1252", "windows-1252", "cp1252"),
        ("text/plain; charset=ISO-8859-1", "windows-1252", "cp1252"),  # WHATWG: the label means windows-1252
        ("text/plain; charset=windows-31j", "Windows-31J", "cp932"),  # JP (docs/spapi-notes.md#charsets)
        ("text/plain; charset=Shift_JIS", "Windows-31J", "cp932"),  # JP (python-amazon-sp-api#552)
        ("text/plain; charset=MS932", "Windows-31J", "cp932"),
        ("text/plain; charset=utf8", "UTF-8", "utf-8"),  # US listings (jrl84#144)
        ("text/plain; charset=UTF-8", "UTF-8", "utf-8"),  # VAT invoice data (models#2748)
        ('text/plain; charset="UTF-8"', "UTF-8", "utf-8"),  # RFC 9110: a quoted parameter value
        ("text/plain;charset=cp1252", "windows-1252", "cp1252"),  # no space, lower case
    ],
)
def test_the_charset_named_by_the_download_is_read_by_its_alias(content_type, iana_name, codec):
    found = document_charset(content_type, [DE])
    assert (found.charset.iana_name, found.charset.codec) == (iana_name, codec)
    assert found.assumed is False and found.note is None
    assert found.label == charset_label(content_type)


def test_every_alias_reads_with_a_python_codec_and_windows_31j_is_not_one():
    for charset in CHARSETS.values():
        codecs.lookup(charset.codec)
    with pytest.raises(LookupError):
        codecs.lookup("windows-31j")  # why the alias map exists: Python calls it cp932
    # Shift_JIS is read as its superset: ㎏ (0x8773) is Windows-31J only.
    assert "㎏".encode("cp932").decode(CHARSETS["shift_jis"].codec) == "㎏"
    with pytest.raises(UnicodeDecodeError):
        "㎏".encode("cp932").decode("shift_jis")


@pytest.mark.parametrize(
    ("region", "country", "expected"),
    [
        ("NA", "US", WINDOWS_1252),  # docs/spapi-notes.md#charsets: windows-1252 (US, EU, BR)
        ("NA", "BR", WINDOWS_1252),
        ("EU", "UK", WINDOWS_1252),
        ("EU", "DE", WINDOWS_1252),
        ("EU", "FR", WINDOWS_1252),
        ("EU", "IT", WINDOWS_1252),
        ("EU", "ES", WINDOWS_1252),
        ("EU", "NL", WINDOWS_1252),
        ("EU", "SE", WINDOWS_1252),
        ("FE", "JP", WINDOWS_31J),  # windows-31j / Shift_JIS (JP)
        ("FE", "AU", UTF_8),  # UTF-8 (AU, SG)
        ("FE", "SG", UTF_8),
        ("NA", "CA", None),  # no source names these: unknown, never guessed
        ("NA", "MX", None),
        ("EU", "PL", None),  # windows-1252 cannot hold Polish
        ("EU", "TR", None),
        ("EU", "AE", None),
        ("EU", "IN", None),
        ("EU", "EG", None),
    ],
)
def test_a_download_without_a_charset_gets_the_marketplace_default_recorded_as_assumed(
    region, country, expected
):
    marketplace_id = REGIONS[region].marketplaces[country]
    found = document_charset("text/plain", [marketplace_id])
    assert found.label is None and found.charset == expected
    assert found.assumed is (expected is not None)
    assert marketplace_id in found.note
    if expected is not None:
        assert "names no charset" in found.note and expected.iana_name in found.note
        assert MARKETPLACE_DEFAULTS[marketplace_id] == expected


@pytest.mark.parametrize(
    ("marketplaces", "expected"),
    [
        ([DE, REGIONS["EU"].marketplaces["FR"]], WINDOWS_1252),  # the same default: it holds
        ([REGIONS["FE"].marketplaces["JP"], REGIONS["FE"].marketplaces["AU"]], None),  # they disagree
        ([], None),  # a report nobody requested: no marketplace recorded
    ],
)
def test_several_marketplaces_share_a_default_or_have_none(marketplaces, expected):
    assert document_charset(None, marketplaces).charset == expected


@pytest.mark.parametrize(
    ("content_type", "label", "note"),
    [
        ("text/plain; charset=KOI8-R", "KOI8-R", "'KOI8-R' is not one SP-API is known to use"),
        ("text/plain; charset=windows-1251", "windows-1251", "is not one SP-API is known to use"),
        ('text/plain; charset="a b"', None, "not a valid name"),
        ("text/plain; charset=" + "x" * 41, None, "not a valid name"),
        ("text/plain; charset=é", None, "not a valid name"),
    ],
)
def test_an_unknown_or_malformed_charset_is_unknown_and_says_so_never_raises(content_type, label, note):
    found = document_charset(content_type, [DE])  # a marketplace with a default: not used for these
    assert found.charset is None and found.assumed is False
    assert found.label == label and note in found.note


def test_an_empty_charset_parameter_counts_as_none():
    found = document_charset("text/plain; charset=", [DE])
    assert found.label is None and found.charset == WINDOWS_1252 and found.assumed
