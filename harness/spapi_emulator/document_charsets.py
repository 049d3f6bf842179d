"""How the emulator's document host labels and encodes report documents, per marketplace, as SP-API does.

SP-API names a document's charset in the download's Content-Type, with Java's labels, and which one depends
on the marketplace (docs/spapi-notes.md#charsets). Each rule below cites where it was seen; a
marketplace no source describes is served without a charset (what selling-partner-api-docs#2338 shows
SP-API doing), so clients meet that case too. The first marketplace of a report decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sp_reports.spapi.regions import REGIONS

MEDIA_TYPE = "text/plain"  # every download header quoted in the threads docs/spapi-notes.md#charsets cites
SETTLEMENT_PREFIX = "GET_V2_SETTLEMENT_REPORT_DATA_"


@dataclass(frozen=True)
class ServedCharset:
    label: str | None  # the charset parameter of the download's Content-Type; None: no charset at all
    codec: str  # what the emulator's own (synthetic) documents are encoded in
    sample: str  # an item name typical of the marketplace, in the charset's repertoire
    source: str


# `Cp1252` for the European (and Brazilian) marketplaces: jrl84/amazon-sp-api#144 ("Europe - Spain":
# text/plain; charset=Cp1252), selling-partner-api-models#2748, jlevers/selling-partner-api#512 (DE);
# docs/spapi-notes.md#charsets (windows-1252 for US, EU and BR).
_CP1252 = ServedCharset("Cp1252", "cp1252", "Piña „Qualität“ \u2013 5 €", "jrl84#144; models#2748")
# `utf8` for the US and Canada: jrl84/amazon-sp-api#144 ("USA - Canada": text/plain; charset=utf8).
_UTF8_NA = ServedCharset("utf8", "utf-8", "Café crème \u2013 5 €", "jrl84/amazon-sp-api#144")
# `windows-31j` for Japan: docs/spapi-notes.md#charsets; python-amazon-sp-api#244 (the documents are cp932),
# #552 (Python's shift_jis codec fails on them). ㎏ (0x8773) is a Windows-31J extension Shift_JIS lacks.
_WINDOWS_31J = ServedCharset("windows-31j", "cp932", "白いペン ホワイト ㎏", "python-amazon-sp-api#244")
# `UTF-8` for Australia and Singapore: docs/spapi-notes.md#charsets.
_UTF8_FE = ServedCharset("UTF-8", "utf-8", "Café \u2013 5 $", "docs/spapi-notes.md#charsets")
# No source names a charset: none is sent (selling-partner-api-docs#2338: downloads without one happen).
_UNDOCUMENTED = ServedCharset(None, "utf-8", "Item", "no source; selling-partner-api-docs#2338")


def _by_country(region_code: str, rule: ServedCharset, *countries: str) -> dict[str, ServedCharset]:
    marketplaces = REGIONS[region_code].marketplaces
    return {marketplaces[country]: rule for country in countries}


RULES: dict[str, ServedCharset] = {
    **_by_country("NA", _UTF8_NA, "US", "CA"),
    **_by_country("NA", _CP1252, "BR"),
    **_by_country("EU", _CP1252, "UK", "IE", "DE", "FR", "IT", "ES", "NL", "BE", "SE"),
    **_by_country("FE", _WINDOWS_31J, "JP"),
    **_by_country("FE", _UTF8_FE, "AU", "SG"),
}

# Documents flagged compressionAlgorithm GZIP whose bytes are not gzip: Turkey (docs/spapi-notes.md#documents,
# from hotglue's tap-amazon-seller, which sniffs the bytes because of it).
GZIP_LABEL_ON_PLAIN = frozenset(REGIONS["EU"].marketplaces[country] for country in ("TR",))


def served_charset(report_type: str, marketplace_ids: Sequence[str]) -> ServedCharset:
    """The charset a report's download is labelled and (for the emulator's own documents) encoded with."""
    rule = RULES.get(marketplace_ids[0], _UNDOCUMENTED) if marketplace_ids else _UNDOCUMENTED
    if report_type.startswith(SETTLEMENT_PREFIX):
        # Settlement downloads name no charset (docs/spapi-notes.md#charsets; selling-partner-api-docs#2338).
        return ServedCharset(None, rule.codec, rule.sample, "selling-partner-api-docs#2338")
    return rule


def content_type(label: str | None) -> str:
    return f"{MEDIA_TYPE}; charset={label}" if label else MEDIA_TYPE


def gzip_label_on_plain_bytes(marketplace_ids: Sequence[str]) -> bool:
    return bool(marketplace_ids) and marketplace_ids[0] in GZIP_LABEL_ON_PLAIN
