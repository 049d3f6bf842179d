"""Which character set a report document is in: read from its download's Content-Type, else assumed.

SP-API documents come in several character sets and the document host names the one it used in the
download's `Content-Type` (`text/plain; charset=Cp1252`), as Amazon's Reports API use case guide 2021-06-30
reads it (selling-partner-api-docs @dcf7678; docs/spapi-notes.md#charsets). The labels it uses are
Java's names (`Cp1252`, `windows-31j`, `utf8`), not all of which Python's codecs know, so `CHARSETS` maps each
label seen to the IANA name (what a stored object's Content-Type says; IANA "Character Sets" registry,
https://www.iana.org/assignments/character-sets/character-sets.xhtml) and the Python codec that reads it.
A download that names no charset gets its marketplace's documented default (`MARKETPLACE_DEFAULTS`),
recorded as an assumption; a label nobody documented is never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sp_reports.spapi.regions import REGIONS


@dataclass(frozen=True)
class Charset:
    iana_name: str  # as the IANA registry spells it: what a Content-Type header should carry
    codec: str  # the Python codec that decodes it


WINDOWS_1252 = Charset("windows-1252", "cp1252")
# IANA registers Windows-31J apart from Shift_JIS: it is Microsoft's superset (NEC and IBM extensions such as
# U+338F "㎏" at 0x8773), Python's cp932. SP-API's Japanese documents hold those extensions: Python's
# `shift_jis` codec fails on them where `cp932` reads them (python-amazon-sp-api#552, #769, #244).
WINDOWS_31J = Charset("Windows-31J", "cp932")
UTF_8 = Charset("UTF-8", "utf-8")

# Charset labels (lower-cased) -> what the bytes are. Sources:
# - `Cp1252`, `utf8`, `UTF-8` on SP-API downloads: jrl84/amazon-sp-api#144, selling-partner-api-models#2748,
#   #4031 (docs/spapi-notes.md#charsets); `windows-1252` is the IANA name of the same set.
# - `windows-31j` / `Shift_JIS` (JP): docs/spapi-notes.md#charsets, python-amazon-sp-api#244, #552, #769,
#   #1981; `MS932` and `cp932` are Java's and Python's names of Windows-31J. A document labelled Shift_JIS is
#   read (and stored) as Windows-31J, its superset, so that the extensions it may hold are not lost.
# - `ISO-8859-1`: what older clients assumed (selling-partner-api-docs#21); the WHATWG Encoding Standard maps
#   the label to windows-1252 (https://encoding.spec.whatwg.org/#names-and-labels), and reading Amazon's
#   Cp1252 bytes as ISO-8859-1 turns „ and “ into C1 controls (jlevers/selling-partner-api#512).
CHARSETS: dict[str, Charset] = {
    "cp1252": WINDOWS_1252,
    "windows-1252": WINDOWS_1252,
    "iso-8859-1": WINDOWS_1252,
    "windows-31j": WINDOWS_31J,
    "shift_jis": WINDOWS_31J,
    "ms932": WINDOWS_31J,
    "cp932": WINDOWS_31J,
    "utf8": UTF_8,
    "utf-8": UTF_8,
}


def _marketplace_ids(region_code: str, *country_codes: str) -> dict[str, str]:
    marketplaces = REGIONS[region_code].marketplaces
    return {marketplaces[country]: country for country in country_codes}


# What a document that names no charset is assumed to be in, per marketplace id (docs/spapi-notes.md#charsets:
# windows-1252 for US, EU and BR, Windows-31J for JP, UTF-8 for AU and SG; marketplace ids from
# sp_reports.spapi.regions,
# docs/spapi-notes.md#endpoints). "EU" is taken as the European marketplaces whose languages windows-1252
# covers; Poland is left out (Polish needs letters such as ł and ś that windows-1252 lacks, so assuming it
# would be a guess no source supports), and so are CA, MX, TR, EG, SA, AE, IN and ZA: no source names their
# charset, and a wrong assumption corrupts a transcoded document, while "unknown" keeps it as served.
MARKETPLACE_DEFAULTS: dict[str, Charset] = {
    **dict.fromkeys(_marketplace_ids("NA", "US", "BR"), WINDOWS_1252),
    **dict.fromkeys(
        _marketplace_ids("EU", "UK", "IE", "DE", "FR", "IT", "ES", "NL", "BE", "SE"), WINDOWS_1252
    ),
    **dict.fromkeys(_marketplace_ids("FE", "JP"), WINDOWS_31J),
    **dict.fromkeys(_marketplace_ids("FE", "AU", "SG"), UTF_8),
}

# A charset parameter is an RFC 9110 token (section 8.3.1, 5.6.2), possibly quoted; anything else is not
# recorded as given. IANA's names are at most 40 characters.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$")
_CHARSET_PARAMETER = re.compile(r";\s*charset\s*=\s*(\"[^\"]*\"|[^;\s]*)", re.IGNORECASE)


@dataclass(frozen=True)
class DocumentCharset:
    """What a document's bytes are, and how we know.

    `label` is the charset parameter as served (None: there was none); `charset` what the bytes are read as
    (None: unknown); `assumed` says it is a marketplace's default, not the host's word; `note` says why when
    the charset was assumed or is unknown."""

    label: str | None
    charset: Charset | None
    assumed: bool = False
    note: str | None = None


def charset_label(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, unquoted; None when there is none. A parameter that
    is not a token comes back as the empty string (it was there, but is not a name we can record)."""
    match = _CHARSET_PARAMETER.search(content_type or "")
    if match is None:
        return None
    value = match.group(1).strip('"').strip()
    if not value:
        return None
    return value if _TOKEN.match(value) else ""


def marketplace_default(marketplace_ids: Iterable[str]) -> Charset | None:
    """The documented default of the marketplaces, when they all have the same one; else None."""
    defaults = {MARKETPLACE_DEFAULTS.get(marketplace_id) for marketplace_id in marketplace_ids}
    if len(defaults) != 1:
        return None
    return defaults.pop()


def document_charset(content_type: str | None, marketplace_ids: Iterable[str]) -> DocumentCharset:
    """The charset of a document served with `content_type`, for a report of `marketplace_ids`. Never raises:
    an unknown or malformed label gives an unknown charset with a note saying so."""
    label = charset_label(content_type)
    if label == "":
        return DocumentCharset(
            None, None, note="the download's charset parameter is not a valid name: charset unknown"
        )
    if label is not None:
        charset = CHARSETS.get(label.lower())
        if charset is None:
            return DocumentCharset(
                label, None, note=f"charset {label!r} is not one SP-API is known to use: charset unknown"
            )
        return DocumentCharset(label, charset)
    marketplaces = sorted(set(marketplace_ids))
    charset = marketplace_default(marketplaces)
    if charset is None:
        named = ", ".join(marketplaces) or "none recorded"
        return DocumentCharset(
            None,
            None,
            note=(
                f"the download names no charset and no single default is documented for marketplaces {named}"
            ),
        )
    return DocumentCharset(
        None,
        charset,
        assumed=True,
        note=(
            f"the download names no charset; {charset.iana_name} is the documented default of "
            f"marketplace {', '.join(marketplaces)}"
        ),
    )
