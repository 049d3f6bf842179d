"""A line chart written as a PNG with the standard library only (zlib + struct).

matplotlib would pull numpy, Pillow and a font stack into the dev environment for one chart; a line chart
needs only lines, a few labels and a PNG encoder. Text uses a built-in 5x7 pixel font (upper case, digits
and a little punctuation), drawn at twice its size.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)
GRID: Colour = (225, 225, 225)
GREY: Colour = (120, 120, 120)

# 5x7 glyphs, one 5-bit row per entry, most significant bit on the left.
_FONT: dict[str, tuple[int, ...]] = {
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E),
    "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F),
    "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02),
    "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E),
    "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E),
    "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    "A": (0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E),
    "D": (0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F),
    "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11),
    "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D),
    "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E),
    "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A),
    "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04),
    "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    " ": (0, 0, 0, 0, 0, 0, 0),
    ".": (0, 0, 0, 0, 0, 0x0C, 0x0C),
    ",": (0, 0, 0, 0, 0x0C, 0x04, 0x08),
    "-": (0, 0, 0, 0x1F, 0, 0, 0),
    "(": (0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02),
    ")": (0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08),
    "/": (0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10),
    ":": (0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0),
    "%": (0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03),
    "=": (0, 0, 0x1F, 0, 0x1F, 0, 0),
    ">": (0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08),
    "<": (0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02),
}
GLYPH_WIDTH, GLYPH_HEIGHT = 5, 7


class Canvas:
    """An RGB raster with the few drawing operations a line chart needs."""

    def __init__(self, width: int, height: int, background: Colour = WHITE) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x: int, y: int, colour: Colour) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            offset = 3 * (y * self.width + x)
            self.pixels[offset : offset + 3] = bytes(colour)

    def get(self, x: int, y: int) -> Colour:
        offset = 3 * (y * self.width + x)
        red, green, blue = self.pixels[offset : offset + 3]
        return red, green, blue

    def rectangle(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        for y in range(max(0, y0), min(self.height, y1 + 1)):
            for x in range(max(0, x0), min(self.width, x1 + 1)):
                self.set(x, y, colour)

    def line(
        self, x0: int, y0: int, x1: int, y1: int, colour: Colour, thickness: int = 1, dash: int = 0
    ) -> None:
        """Bresenham's line, each point stamped as a `thickness`-wide square; `dash` > 0 draws dashes."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        step_x, step_y = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        error = dx + dy
        half = thickness // 2
        count = 0
        while True:
            if not dash or (count // dash) % 2 == 0:
                self.rectangle(
                    x0 - half, y0 - half, x0 - half + thickness - 1, y0 - half + thickness - 1, colour
                )
            count += 1
            if x0 == x1 and y0 == y1:
                return
            doubled = 2 * error
            if doubled >= dy:
                error += dy
                x0 += step_x
            if doubled <= dx:
                error += dx
                y0 += step_y

    def text(self, x: int, y: int, text: str, colour: Colour = BLACK, scale: int = 2) -> None:
        for index, character in enumerate(text.upper()):
            rows = _FONT.get(character, _FONT[" "])
            left = x + index * (GLYPH_WIDTH + 1) * scale
            for row, bits in enumerate(rows):
                for column in range(GLYPH_WIDTH):
                    if bits & (1 << (GLYPH_WIDTH - 1 - column)):
                        self.rectangle(
                            left + column * scale,
                            y + row * scale,
                            left + column * scale + scale - 1,
                            y + row * scale + scale - 1,
                            colour,
                        )

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[3 * self.width * y : 3 * self.width * (y + 1)])
            for y in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def text_width(text: str, scale: int = 2) -> int:
    return len(text) * (GLYPH_WIDTH + 1) * scale


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    colour: Colour


@dataclass(frozen=True)
class Guide:
    """A dashed horizontal line (a target)."""

    label: str
    value: float
    colour: Colour


def nice_step(span: float, ticks: int = 6) -> float:
    """A 1-2-5 step that divides `span` into about `ticks` intervals."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    guides: Sequence[Guide] = (),
    width: int = 900,
    height: int = 520,
) -> bytes:
    canvas = Canvas(width, height)
    left, right, top, bottom = 90, width - 30, 60, height - 70
    x_max = max((x for item in series for x, _ in item.points), default=1.0) or 1.0
    y_max = max([y for item in series for _, y in item.points] + [guide.value for guide in guides] + [1.0])
    x_step, y_step = nice_step(x_max), nice_step(y_max)
    x_max, y_max = math.ceil(x_max / x_step) * x_step, math.ceil(y_max / y_step) * y_step

    def to_pixel(x: float, y: float) -> tuple[int, int]:
        return (
            round(left + (right - left) * x / x_max),
            round(bottom - (bottom - top) * y / y_max),
        )

    for index in range(round(y_max / y_step) + 1):
        value = index * y_step
        _, y = to_pixel(0, value)
        canvas.line(left, y, right, y, GRID)
        label = f"{value:g}"
        canvas.text(left - 10 - text_width(label), y - 7, label, GREY)
    for index in range(round(x_max / x_step) + 1):
        value = index * x_step
        x, _ = to_pixel(value, 0)
        canvas.line(x, top, x, bottom, GRID)
        label = f"{value:g}"
        canvas.text(x - text_width(label) // 2, bottom + 10, label, GREY)
    canvas.line(left, top, left, bottom, BLACK, 2)
    canvas.line(left, bottom, right, bottom, BLACK, 2)

    for guide in guides:
        _, y = to_pixel(0, guide.value)
        canvas.line(left, y, right, y, guide.colour, 2, dash=8)
        canvas.text(right - text_width(guide.label), y - 20, guide.label, guide.colour)
    for item in series:
        pixels = [to_pixel(x, y) for x, y in item.points]
        for (x0, y0), (x1, y1) in itertools.pairwise(pixels):
            canvas.line(x0, y0, x1, y1, item.colour, 3)

    canvas.text((width - text_width(title)) // 2, 18, title)
    canvas.text((width - text_width(x_label)) // 2, height - 30, x_label, GREY)
    canvas.text(10, top - 28, y_label, GREY)
    legend_y = top + 12
    for item in series:
        canvas.rectangle(left + 20, legend_y + 4, left + 44, legend_y + 9, item.colour)
        canvas.text(left + 54, legend_y, item.label)
        legend_y += 26
    return canvas.png()


def write_line_chart(path: Path, series: Sequence[Series], **options: object) -> None:
    path.write_bytes(line_chart(series, **options))  # type: ignore[arg-type]
