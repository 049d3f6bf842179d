"""The chart is a valid PNG that shows each series and the target line."""

from __future__ import annotations

import struct
import zlib

import pytest
from benchmarks.png_chart import Guide, Series, line_chart, nice_step


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB PNG whose rows use filter 0 (as ours do)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour_type, *_ = header
    assert (depth, colour_type) == (8, 2)
    raw = zlib.decompress(idat)
    stride = 1 + 3 * width
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def count_colour(rows: list[bytes], colour: tuple[int, int, int]) -> int:
    needle = bytes(colour)
    return sum(1 for row in rows for x in range(0, len(row), 3) if row[x : x + 3] == needle)


def test_chart_shows_both_series_and_the_target():
    blue, red, green = (31, 119, 180), (214, 39, 40), (44, 160, 44)
    png = line_chart(
        [
            Series("streaming", [(t / 10, 90.0) for t in range(100)], blue),
            Series("naive", [(t / 10, 50.0 + 25 * t) for t in range(100)], red),
        ],
        title="rss over time",
        x_label="seconds",
        y_label="MIB",
        guides=[Guide("target 128", 128, green)],
        width=400,
        height=300,
    )
    width, height, rows = decode_png(png)

    assert (width, height) == (400, 300)
    assert count_colour(rows, blue) > 300
    assert count_colour(rows, red) > 300
    assert count_colour(rows, green) > 100
    # The flat series sits low on the chart, below the rising one's end.
    blue_rows = [y for y, row in enumerate(rows) if bytes(blue) in row[3 * 200 :]]
    assert min(blue_rows) > height // 2


@pytest.mark.parametrize(("span", "step"), [(2717, 500), (28.4, 5), (0.9, 0.2), (100, 20)])
def test_axis_steps_are_round_numbers(span, step):
    assert nice_step(span) == pytest.approx(step)
