"""QR codes of tokens: one fixed encoding, and each form (PNG, vector path) decodes to the token."""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode
from reportlab.pdfgen.canvas import Canvas

from adapters.qr_code import QR_MASK, dark_rectangles, draw_qr, qr_code, qr_png, qr_svg
from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from application.tickets.ports import TokenClaims

pytestmark = pytest.mark.unit

# A token as the service signs it (a JWT of about 380 characters).
TOKEN = JwtTokenSigner(QrTokenConfig(secret=secrets.token_bytes(32))).sign(
    TokenClaims(
        ticket_id=uuid4(),
        period_id=uuid4(),
        person_id=uuid4(),
        version=1,
        issued_at=datetime(2026, 8, 1, 12, tzinfo=UTC),
        expires_at=datetime(2026, 12, 15, 23, tzinfo=UTC),
    )
)


def test_the_code_is_level_m_unboosted_with_the_fixed_mask() -> None:
    code = qr_code(TOKEN)

    assert (code.error, code.mask) == ("M", QR_MASK)
    assert int(code.version) <= 17  # ~420 characters: small enough to scan from a phone
    assert qr_code(TOKEN).matrix == code.matrix  # the same token, the same picture


def test_the_png_decodes_to_the_token() -> None:
    png = qr_png(TOKEN)

    assert png.startswith(b"\x89PNG")
    assert [
        s.data.decode() for s in decode(Image.open(io.BytesIO(png)), symbols=[ZBarSymbol.QRCODE])
    ] == [TOKEN]


def test_the_svg_is_inline_markup_that_scales() -> None:
    svg = qr_svg(TOKEN, scale=5)
    modules = qr_code(TOKEN).symbol_size(border=4)[0]

    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<?xml" not in svg
    assert f'width="{modules * 5}"' in svg
    assert re.search(r'viewBox="0 0 \d+ \d+"', svg)
    assert "<title>" in svg  # screen readers say what it is
    assert "<script" not in svg and "style=" not in svg  # nothing a strict CSP would block


def test_the_rectangles_cover_exactly_the_dark_modules() -> None:
    code = qr_code(TOKEN)
    size = code.symbol_size(border=0)[0]
    covered = [[0] * size for _ in range(size)]

    rectangles = list(dark_rectangles(code))
    for column, row, width, height in rectangles:
        for r in range(row, row + height):
            for c in range(column, column + width):
                covered[r][c] += 1

    assert covered == [[int(bool(m)) for m in row] for row in code.matrix]
    dark_modules = sum(map(sum, covered))
    assert len(rectangles) < dark_modules / 2  # merged: far fewer shapes than modules


def test_the_drawing_is_vector_rectangles_filled_at_once() -> None:
    # test_pdf_ticket rasterizes whole tickets and decodes them; here: the shape of the drawing.
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=0)
    draw_qr(canvas, qr_code(TOKEN), 100, 300, 250)
    canvas.save()
    pdf = buffer.getvalue()

    rectangles = len(list(dark_rectangles(qr_code(TOKEN))))
    assert len(re.findall(rb" re\b", pdf)) == rectangles + 1  # the quiet zone, then the dark
    assert b"/Subtype /Image" not in pdf  # vector, not a picture
