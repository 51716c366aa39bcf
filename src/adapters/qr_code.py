"""QR codes of ticket tokens (segno): one fixed encoding for the PDF, web page and email."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Final

import segno

# segno's automatic mask choice tries all eight masks per code; any fixed mask decodes as well and
# makes the same token give the same picture everywhere (PDF, web page, email).
QR_MASK: Final = 4
QR_ERROR: Final = "m"
# The quiet zone the QR specification asks for, in modules.
QUIET_ZONE: Final = 4


@lru_cache(maxsize=256)
def qr_code(token: str) -> segno.QRCode:
    """The QR code of a token: error level M, not boosted, fixed mask.

    Encoding is slow (segno is pure Python), and an email needs the code twice (its PNG and
    its PDF), a download or a web page once more: it is encoded once per token and kept (the
    codes are never changed after encoding).
    """
    return segno.make_qr(token, error=QR_ERROR, boost_error=False, mask=QR_MASK)


def qr_svg(token: str, *, scale: int = 4, title: str = "Ticket QR code") -> str:
    """Inline SVG markup of the token's QR code (no XML declaration), ``scale`` px per module;
    ``title`` is what a screen reader says of it (in the page's language).

    The element keeps a viewBox, so a stylesheet may scale it to the screen without blurring.
    """
    code = qr_code(token)
    size = (code.symbol_size(border=QUIET_ZONE)[0]) * scale
    svg: str = code.svg_inline(
        scale=scale,
        border=QUIET_ZONE,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        title=title,
        dark="#000",
        light="#fff",
    )
    return svg.replace("<svg ", f'<svg width="{size}" height="{size}" role="img" ', 1)


def qr_png(token: str, *, scale: int = 6) -> bytes:
    """The token's QR code as a black and white PNG, ``scale`` px per module, with its quiet zone.

    Written here rather than by segno, whose pure-Python writer is slow, visiting every
    pixel: a QR code has one distinct pixel row per module row, each packed at once (int
    parsing) and repeated ``scale`` times.
    """
    matrix = qr_code(token).matrix
    side = (len(matrix) + 2 * QUIET_ZONE) * scale
    padding = -side % 8  # a PNG row is whole bytes; the padding bits are not shown
    quiet = "1" * (QUIET_ZONE * scale)
    light_row = _png_row("1" * (side + padding))
    rows = [light_row] * (QUIET_ZONE * scale)
    for modules in matrix:
        # 1-bit greyscale: 0 is black. A dark module is 0x01 in segno's matrix.
        bits = bytes(modules).translate(_BITS).decode()
        pixels = "".join(bit * scale for bit in bits)
        rows += [_png_row(quiet + pixels + quiet + "1" * padding)] * scale
    rows += [light_row] * (QUIET_ZONE * scale)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            # zlib's default level: as small as level 9 here, in less than half its time.
            _png_chunk(b"IDAT", zlib.compress(b"".join(rows))),
            _png_chunk(b"IEND", b""),
        )
    )


_BITS: Final = bytes.maketrans(b"\x00\x01", b"10")


def _png_row(bits: str) -> bytes:
    return b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")  # filter type 0: none


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def dark_rectangles(code: segno.QRCode) -> Iterator[tuple[int, int, int, int]]:
    """The dark modules merged into rectangles ``(column, row, width, height)``, no quiet zone.

    Runs of dark modules in a row become one rectangle, grown downwards while the next rows have
    the same run: a few hundred rectangles instead of thousands of squares, and fewer seams.
    """
    open_runs: dict[tuple[int, int], tuple[int, int]] = {}  # (column, width) -> (row, height)
    for row, modules in enumerate(code.matrix):
        runs = {(m.start(), m.end() - m.start()) for m in _DARK_RUN.finditer(bytes(modules))}
        for key in [key for key in open_runs if key not in runs]:
            top, height = open_runs.pop(key)
            yield key[0], top, key[1], height
        for key in runs:
            top, height = open_runs.get(key, (row, 0))
            open_runs[key] = (top, height + 1)
    for (column, width), (top, height) in sorted(open_runs.items()):
        yield column, top, width, height


# segno's matrix rows hold 0x00 (light) and 0x01 (dark): a regular expression finds the runs in C.
_DARK_RUN: Final = re.compile(rb"\x01+")


def draw_qr(canvas: Any, code: segno.QRCode, x: float, y: float, size: float) -> None:
    """Draws the code on a reportlab canvas as one filled vector path, in the square of side
    ``size`` whose lower-left corner is (x, y). The quiet zone is inside the square, painted white.
    """
    modules = code.symbol_size(border=0)[0]
    module = size / (modules + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    # In module units with rows counting downwards, every rectangle is four small integers: the
    # path is written as PDF operators at once instead of ~1,500 reportlab calls formatting floats.
    canvas.transform(module, 0, 0, -module, x + QUIET_ZONE * module, y + size - QUIET_ZONE * module)
    canvas.addLiteral(
        "".join(f"{c} {r} {w} {h} re\n" for c, r, w, h in dark_rectangles(code)) + "f"
    )
    canvas.restoreState()
