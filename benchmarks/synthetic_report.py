"""Synthetic listings reports (tab-separated, like GET_MERCHANT_LISTINGS_ALL_DATA), gzipped, of any size.

Producing a 1 GiB report row by row and compressing it would cost the benchmark a minute before it measured
anything. Instead a few distinct blocks of rows are compressed once, each ending with a deflate full flush
(which empties the compressor's history, so the block's compressed bytes decode without anything before
them); the document is the gzip header, the compressed blocks in a cycle, an empty final deflate block and the
trailer (CRC-32 and length of the whole). The result is one ordinary gzip member that `gzip -t` accepts,
decompressing at the speed of real text, written at disk speed.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

COLUMNS = (
    "item-name",
    "item-description",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "image-url",
    "item-is-marketplace",
    "product-id-type",
    "item-note",
    "item-condition",
    "asin1",
    "will-ship-internationally",
    "product-id",
    "add-delete",
    "pending-quantity",
    "fulfillment-channel",
    "merchant-shipping-group",
    "status",
)
_VOCABULARY = (
    "organic cotton stainless steel bamboo ceramic silicone leather wooden glass kids adult women men "
    "travel kitchen garden outdoor indoor portable wireless rechargeable waterproof compact deluxe premium "
    "classic vintage modern set pack pair bundle large small medium extra black white blue red green grey "
    "navy pink gold silver bottle mug towel blanket pillow lamp charger cable case cover bag backpack shoe "
    "sock shirt hoodie jacket scarf hat glove watch ring necklace bracelet toy puzzle game book notebook pen "
    "brush comb mirror candle soap shampoo lotion vitamin protein snack coffee tea spice oil sauce"
)
_WORDS = _VOCABULARY.split()
_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_HEX = "0123456789abcdef"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"  # deflate, no flags, mtime 0, Unix
_FINAL_EMPTY_BLOCK = b"\x03\x00"  # BFINAL=1, fixed Huffman, end-of-block: ends the deflate stream

GENERATOR_VERSION = 1  # bump when the content changes, so cached files are rebuilt
MIB = 1024 * 1024


def header_line() -> bytes:
    return ("\t".join(COLUMNS) + "\n").encode()


def listing_rows(seed: int, approx_bytes: int) -> bytes:
    """Rows of a listings report, at least `approx_bytes` long and ending at a row boundary."""
    rng = random.Random(seed)
    choice, randint = rng.choice, rng.randint
    lines: list[str] = []
    size = 0
    while size < approx_bytes:
        name = " ".join(choice(_WORDS) for _ in range(randint(3, 9))).title()
        description = (
            " ".join(choice(_WORDS) for _ in range(randint(8, 30))).capitalize() + "."
            if rng.random() < 0.3
            else ""
        )
        asin = "B0" + "".join(choice(_ALPHANUMERIC) for _ in range(8))
        channel = "AMAZON_NA" if rng.random() < 0.4 else "DEFAULT"
        line = "\t".join(
            (
                name,
                description,
                f"{randint(1, 12):02d}{randint(10**8, 10**9 - 1)}",
                "SKU-" + "".join(choice(_HEX) for _ in range(8)).upper(),
                f"{randint(99, 99999) / 100:.2f}",
                "" if channel == "AMAZON_NA" else str(randint(0, 500)),
                f"2024-{randint(1, 12):02d}-{randint(1, 28):02d} "
                f"{randint(0, 23):02d}:{randint(0, 59):02d}:{randint(0, 59):02d} PST",
                "https://m.media-amazon.com/images/I/"
                + "".join(choice(_ALPHANUMERIC) for _ in range(11))
                + ".jpg",
                "y",
                "1",
                "",
                "11",
                asin,
                "1",
                asin,
                "",
                "0",
                channel,
                "Migrated Template",
                "Active" if rng.random() < 0.9 else "Inactive",
            )
        )
        lines.append(line)
        size += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class ReportPlan:
    """The document as a header and a cycle of distinct blocks of rows."""

    target_size: int
    block_size: int = MIB
    distinct_blocks: int = 8
    seed: int = 20240601

    def blocks(self) -> list[bytes]:
        return [listing_rows(self.seed + index, self.block_size) for index in range(self.distinct_blocks)]

    def sequence(self, blocks: list[bytes]) -> Iterator[int]:
        """Indices of the blocks that follow the header, until the document reaches `target_size`."""
        size = len(header_line())
        index = 0
        while size < self.target_size:
            yield index % len(blocks)
            size += len(blocks[index % len(blocks)])
            index += 1

    def plain_chunks(self) -> Iterator[bytes]:
        """The uncompressed document, in order (what a reader of the gzip file must get back)."""
        blocks = self.blocks()
        yield header_line()
        for index in self.sequence(blocks):
            yield blocks[index]


@dataclass(frozen=True)
class SyntheticReport:
    path: Path
    uncompressed_size: int
    compressed_size: int
    crc32: int


def _full_flush_segment(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def write_gzip_report(path: Path, plan: ReportPlan) -> SyntheticReport:
    """Write the plan's document as one gzip member to `path`."""
    blocks = plan.blocks()
    header = header_line()
    segments = [_full_flush_segment(block) for block in blocks]
    crc = zlib.crc32(header)
    size = len(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        out.write(_GZIP_HEADER)
        out.write(_full_flush_segment(header))
        for index in plan.sequence(blocks):
            out.write(segments[index])
            crc = zlib.crc32(blocks[index], crc)
            size += len(blocks[index])
        out.write(_FINAL_EMPTY_BLOCK)
        out.write(struct.pack("<II", crc, size & 0xFFFFFFFF))
    partial.replace(path)
    return SyntheticReport(path, size, path.stat().st_size, crc)


def cached_gzip_report(directory: Path, plan: ReportPlan) -> SyntheticReport:
    """The plan's report under `directory`, written once and reused by later runs (a JSON note beside it
    records what was written, so a partial or foreign file is never reused)."""
    name = (
        f"listings-v{GENERATOR_VERSION}-{plan.target_size}-{plan.block_size}-"
        f"{plan.distinct_blocks}-{plan.seed}.tsv.gz"
    )
    path = directory / name
    note = path.with_name(name + ".json")
    if path.is_file() and note.is_file():
        recorded = json.loads(note.read_text())
        if recorded.get("compressed_size") == path.stat().st_size:
            return SyntheticReport(
                path, recorded["uncompressed_size"], path.stat().st_size, recorded["crc32"]
            )
    report = write_gzip_report(path, plan)
    note.write_text(
        json.dumps(
            {
                "uncompressed_size": report.uncompressed_size,
                "compressed_size": report.compressed_size,
                "crc32": report.crc32,
            }
        )
    )
    return report
