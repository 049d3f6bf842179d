"""Stored documents keep their bytes and name their charset; with transcoding on they become UTF-8, one chunk
at a time, with multi-byte characters split across chunks decoded whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sp_reports.pipeline.document_charsets import TRANSCODING_ERRORS, DocumentForStorage, StoredCharset
from sp_reports.spapi.regions import REGIONS

JP = REGIONS["FE"].marketplaces["JP"]
DE = REGIONS["EU"].marketplaces["DE"]
MX = REGIONS["NA"].marketplaces["MX"]
JAPANESE = "商品名\t価格\n白いペン ホワイト ㎏\t1,200円\nｶﾀｶﾅ 半角\t300円\n" * 50
GERMAN = "Artikel\tPreis\nPiña „Qualität“ \u2013 5 €\t9,99\n" * 50


class FakeDownload:
    def __init__(self, content_type: str | None, chunks: list[bytes]) -> None:
        self.content_type: str | None = None
        self._served = content_type
        self._chunks = chunks
        self.opened = 0

    def __iter__(self) -> Iterator[bytes]:
        self.opened += 1
        self.content_type = self._served  # known once the download opens, as with sp_reports.spapi.documents
        yield from self._chunks


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _store(content_type, chunks, marketplaces, transcode) -> tuple[bytes, StoredCharset]:
    document = DocumentForStorage(
        lambda: FakeDownload(content_type, chunks), marketplaces, transcode=transcode
    )
    return b"".join(document), document.charset


def test_by_default_the_bytes_are_stored_as_served_and_the_charset_named():
    source = JAPANESE.encode("cp932")
    stored, charset = _store("text/plain; charset=windows-31j", _split(source, 7), [JP], False)
    assert stored == source
    assert charset == StoredCharset(
        stored="Windows-31J", source="Windows-31J", label="windows-31j", assumed=False
    )
    assert (
        charset.content_type("text/tab-separated-values") == "text/tab-separated-values; charset=Windows-31J"
    )


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64, 4096])
def test_cp932_split_across_chunks_transcodes_to_the_same_utf8_whatever_the_chunking(chunk_size):
    source = JAPANESE.encode("cp932")
    stored, charset = _store("text/plain; charset=windows-31j", _split(source, chunk_size), [JP], True)
    assert stored.decode("utf-8") == JAPANESE
    assert charset.stored == "UTF-8" and charset.source == "Windows-31J" and charset.transcoded
    assert charset.replacements == 0
    assert charset.content_type("text/tab-separated-values") == "text/tab-separated-values; charset=UTF-8"


def test_every_two_way_split_of_a_multibyte_character_decodes_whole():
    source = "白㎏ｶ".encode("cp932")  # two-byte, two-byte (NEC extension), one-byte katakana
    for cut in range(len(source) + 1):
        stored, _ = _store("text/plain; charset=Shift_JIS", [source[:cut], source[cut:]], [JP], True)
        assert stored.decode("utf-8") == "白㎏ｶ", cut


def test_cp1252_transcodes_and_its_undefined_bytes_become_counted_replacements():
    assert TRANSCODING_ERRORS == "replace"
    source = GERMAN.encode("cp1252") + b"bad \x81 and \x9d\n"  # two bytes cp1252 leaves undefined
    stored, charset = _store("text/plain; charset=Cp1252", _split(source, 3), [DE], True)
    assert stored.decode("utf-8") == GERMAN + "bad \ufffd and \ufffd\n"
    assert charset.replacements == 2 and charset.source == "windows-1252"


def test_a_character_cut_off_by_the_end_of_the_document_is_replaced_not_lost_silently():
    source = "白".encode("cp932")[:1]
    stored, charset = _store("text/plain; charset=windows-31j", [source], [JP], True)
    assert stored == "\ufffd".encode() and charset.replacements == 1


def test_utf8_is_still_decoded_when_transcoding_so_the_stored_bytes_are_valid_utf8():
    stored, charset = _store("text/plain; charset=utf8", [b"caf\xc3", b"\xa9 \xff\n"], [DE], True)
    assert stored.decode("utf-8") == "café \ufffd\n"
    assert charset.transcoded and charset.replacements == 1 and charset.source == charset.stored == "UTF-8"


def test_a_missing_charset_is_the_marketplace_default_recorded_as_assumed():
    source = GERMAN.encode("cp1252")
    stored, charset = _store("text/plain", [source], [DE], True)
    assert stored.decode("utf-8") == GERMAN
    assert charset.assumed and charset.label is None and charset.source == "windows-1252"
    assert "names no charset" in charset.note and DE in charset.note


@pytest.mark.parametrize(
    ("content_type", "marketplaces"),
    [("text/plain; charset=KOI8-R", [DE]), ("text/plain", [MX]), (None, [])],
)
@pytest.mark.parametrize("transcode", [False, True])
def test_an_unknown_charset_is_stored_as_served_with_a_note_and_no_charset_on_the_object(
    content_type, marketplaces, transcode
):
    source = "Größe ✓\n".encode() * 3
    stored, charset = _store(content_type, _split(source, 4), marketplaces, transcode)
    assert stored == source
    assert charset.stored is None and charset.source is None and not charset.transcoded
    assert charset.content_type("text/tab-separated-values") == "text/tab-separated-values"
    assert "unknown" in charset.note or "no single default" in charset.note
    assert ("not transcoded" in charset.note) is transcode


@pytest.mark.parametrize("transcode", [False, True])
def test_a_binary_document_gets_no_charset_and_is_never_transcoded(transcode):
    source = b"%PDF-1.7\n\x82\xa0\xff binary"
    document = DocumentForStorage(
        lambda: FakeDownload("application/pdf; charset=Cp1252", [source]),
        [DE],
        transcode=transcode,
        text=False,
    )
    assert b"".join(document) == source
    charset = document.charset
    assert charset.stored is None and not charset.transcoded and "binary" in charset.note
    assert charset.content_type("application/pdf") == "application/pdf"


def test_an_empty_document_still_gets_its_charset():
    stored, charset = _store("text/plain; charset=Cp1252", [], [DE], True)
    assert stored == b"" and charset.stored == "UTF-8" and charset.replacements == 0


def test_nothing_is_opened_until_the_first_chunk_is_asked_for():
    download = FakeDownload("text/plain; charset=utf8", [b"x"])
    document = DocumentForStorage(lambda: download, [DE], transcode=False)
    assert download.opened == 0
    with pytest.raises(RuntimeError, match="known only once"):
        _ = document.charset
    assert list(document) == [b"x"] and download.opened == 1


@pytest.mark.parametrize(
    "charset",
    [
        StoredCharset("windows-1252", "windows-1252", "Cp1252", False),
        StoredCharset("UTF-8", "Windows-31J", "windows-31j", False, transcoded=True),
        StoredCharset("UTF-8", "windows-1252", None, True, "the download names no charset", transcoded=True),
        StoredCharset(None, None, "KOI8-R", False, "charset 'KOI8-R' is unknown"),
    ],
)
def test_what_the_object_says_about_itself_gives_back_the_same_charset(charset):
    content_type = charset.content_type("text/tab-separated-values")
    metadata = charset.metadata()
    assert all(value.isascii() for value in metadata.values())
    assert StoredCharset.from_object(content_type, metadata) == charset
    assert StoredCharset.from_description(charset.describe()) == charset


def test_an_object_stored_before_charsets_were_recorded_says_so():
    charset = StoredCharset.from_object("text/tab-separated-values", {"report-id": "R1"})
    assert charset.stored is None and charset.source is None and "before charsets" in charset.note


def test_the_description_leaves_out_what_is_not_known():
    charset = StoredCharset("UTF-8", "Windows-31J", "windows-31j", False, transcoded=True, replacements=0)
    assert charset.describe() == {
        "stored": "UTF-8",
        "source": "Windows-31J",
        "label": "windows-31j",
        "assumed": False,
        "transcoded": True,
        "replacements": 0,
    }
