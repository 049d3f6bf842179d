"""The character set of a stored report: named on the S3 object, kept in the record, optionally UTF-8.

By default a document is stored byte for byte as SP-API served it, and the object's Content-Type names its
charset by its IANA name (`text/tab-separated-values; charset=windows-1252`; RFC 6838 section 4.2.1 and the
IANA "Character Sets" registry), so no consumer has to guess. With transcoding on (Terraform variable
`transcode_reports_to_utf8`), a document in a known charset is streamed through an incremental decoder
into UTF-8 (`codecs.getincrementaldecoder`, which keeps a multi-byte character split across two chunks
until its second byte arrives), one chunk at a time, so memory stays as bounded as the byte copy's.

Errors policy when transcoding: `replace`. A byte the source charset cannot decode (cp1252 leaves 0x81,
0x8D, 0x8F, 0x90 and 0x9D undefined; a document mislabelled upstream holds many) becomes U+FFFD. `strict`
would fail the whole report over one byte, and no retry would ever store it; `surrogateescape` would yield
text that is not valid UTF-8, which is what the option promises. How many U+FFFD the stored text holds is
counted into the record, so a lossy transcoding is visible; the untranscoded default is always lossless.
A document whose charset is unknown is never transcoded: it is stored as served, with a note saying why.

What was decided is also written into the object's metadata, so that a re-run that finds the object
already stored records the same facts without fetching the document again.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sp_reports.spapi.charsets import CHARSETS, UTF_8, DocumentCharset, charset_label, document_charset

TRANSCODING_ERRORS = "replace"  # see the module docstring for why
_REPLACEMENT = "\ufffd"

# Object metadata keys (S3 user metadata: ASCII values).
_SOURCE_CHARSET = "source-charset"
_CHARSET_LABEL = "charset-label"
_CHARSET_ASSUMED = "charset-assumed"
_CHARSET_NOTE = "charset-note"
_TRANSCODED = "transcoded"


class DocumentStream(Protocol):
    """What sp_reports.spapi.documents.iter_report_document returns: chunks, and the download's Content-Type
    once the
    first chunk was asked for."""

    content_type: str | None

    def __iter__(self) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class StoredCharset:
    """What the record says about a stored document's characters.

    `stored` is the charset of the stored bytes (IANA name; None: unknown), `source` the charset SP-API
    served them in, `label` the charset parameter as served, `assumed` whether `source` is a marketplace's
    default rather than the host's word, `note` why, `transcoded` whether the bytes went through the
    decoder into UTF-8 (a UTF-8 source too: it comes out valid), `replacements` how many U+FFFD the
    transcoded text holds (None: not transcoded, or not counted because an earlier run stored the object)."""

    stored: str | None
    source: str | None
    label: str | None
    assumed: bool
    note: str | None = None
    transcoded: bool = False
    replacements: int | None = None

    def content_type(self, media_type: str) -> str:
        return f"{media_type}; charset={self.stored}" if self.stored else media_type

    def metadata(self) -> dict[str, str]:
        values = {
            _SOURCE_CHARSET: self.source,
            _CHARSET_LABEL: self.label,
            _CHARSET_ASSUMED: "true" if self.assumed else "false",
            _CHARSET_NOTE: _ascii(self.note) if self.note else None,
            _TRANSCODED: "true" if self.transcoded else None,
        }
        return {key: value for key, value in values.items() if value is not None}

    def describe(self) -> dict[str, object]:
        """The record's (and `GET /reports/{reportId}`'s) form: camelCase, absent values left out."""
        values = {
            "stored": self.stored,
            "source": self.source,
            "label": self.label,
            "assumed": self.assumed,
            "transcoded": self.transcoded,
            "note": self.note,
            "replacements": self.replacements,
        }
        return {key: value for key, value in values.items() if value is not None}

    @classmethod
    def from_description(cls, values: Mapping[str, object]) -> StoredCharset:
        replacements = values.get("replacements")
        return cls(
            stored=_text(values.get("stored")),
            source=_text(values.get("source")),
            label=_text(values.get("label")),
            assumed=values.get("assumed") is True,
            note=_text(values.get("note")),
            transcoded=values.get("transcoded") is True,
            replacements=int(replacements) if isinstance(replacements, int | float | Decimal) else None,
        )

    @classmethod
    def from_object(cls, content_type: str | None, metadata: Mapping[str, str]) -> StoredCharset:
        """What an object stored by this module says about itself (its Content-Type and metadata)."""
        stored = charset_label(content_type)
        charset = CHARSETS.get(stored.lower()) if stored else None
        note = metadata.get(_CHARSET_NOTE) or None
        if charset is None and note is None and _CHARSET_ASSUMED not in metadata:
            note = "the object names no charset: it was stored before charsets were recorded"
        return cls(
            stored=charset.iana_name if charset else None,
            source=metadata.get(_SOURCE_CHARSET) or None,
            label=metadata.get(_CHARSET_LABEL) or None,
            assumed=metadata.get(_CHARSET_ASSUMED) == "true",
            note=note,
            transcoded=metadata.get(_TRANSCODED) == "true",
        )


class DocumentForStorage:
    """A report document on its way into S3: the bytes to store, and, once reading has begun, their
    charset (`charset`). Opening the download is left to the first chunk, so an already-stored report
    costs no SP-API call."""

    def __init__(
        self,
        open_document: Callable[[], DocumentStream],
        marketplace_ids: Iterable[str],
        *,
        transcode: bool,
        text: bool = True,
    ) -> None:
        self._open_document = open_document
        self._marketplace_ids = tuple(marketplace_ids)
        self._transcode = transcode
        self._text = text  # False: a binary format (PDF, XLSX), to which no charset applies
        self._charset: StoredCharset | None = None
        self._replacements = 0
        self._served_bytes: int | None = None

    @property
    def charset(self) -> StoredCharset:
        """The charset decided when the download opened; with the U+FFFD count once the document was read."""
        if self._charset is None:
            raise RuntimeError("the document's charset is known only once its download has opened")
        if not self._charset.transcoded:
            return self._charset
        return StoredCharset(**{**self._charset.__dict__, "replacements": self._replacements})

    @property
    def served_bytes(self) -> int | None:
        """The download's Content-Length once it has opened (None: not said, or not open yet): the bytes
        served, compressed when the document is."""
        return self._served_bytes

    def __iter__(self) -> Iterator[bytes]:
        document = self._open_document()
        chunks = iter(document)
        first = next(chunks, None)  # opens the download: its Content-Type is known from here on
        self._served_bytes = getattr(document, "content_length", None)
        source = document_charset(document.content_type, self._marketplace_ids)
        self._charset = self._decide(source)
        rest = chunks if first is None else _prepend(first, chunks)
        if self._charset.transcoded and source.charset is not None:
            yield from self._to_utf8(rest, source.charset.codec)
        else:
            yield from rest

    def _decide(self, source: DocumentCharset) -> StoredCharset:
        if not self._text:
            return StoredCharset(
                stored=None,
                source=None,
                label=source.label,
                assumed=False,
                note="a binary format: no charset applies; stored as served",
            )
        iana = source.charset.iana_name if source.charset else None
        note = source.note
        stored = iana
        transcoded = self._transcode and source.charset is not None
        if transcoded:
            stored = UTF_8.iana_name
        elif self._transcode:
            note = f"{note}; stored as served, not transcoded to UTF-8"
        return StoredCharset(
            stored=stored,
            source=iana,
            label=source.label,
            assumed=source.assumed,
            note=note,
            transcoded=transcoded,
        )

    def _to_utf8(self, chunks: Iterator[bytes], codec: str) -> Iterator[bytes]:
        decoder = codecs.getincrementaldecoder(codec)(errors=TRANSCODING_ERRORS)
        for chunk in chunks:
            text = decoder.decode(chunk)
            if text:
                self._replacements += text.count(_REPLACEMENT)
                yield text.encode("utf-8")
        tail = decoder.decode(b"", final=True)  # a character cut off by the end of the document: U+FFFD
        if tail:
            self._replacements += tail.count(_REPLACEMENT)
            yield tail.encode("utf-8")


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")[:512]
