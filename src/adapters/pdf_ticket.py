"""The printable ticket: an A6 PDF drawn with reportlab, vector QR code, embedded DejaVu Sans."""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A6
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from adapters.brand import Brand
from adapters.languages import Language
from adapters.qr_code import draw_qr, qr_code
from adapters.ticket_text import short_id
from adapters.timetable import class_lines, no_classes_line
from application.tickets.ports import TicketDocument

FONTS: Final = Path(__file__).parent / "fonts"
# Shipped with the code (Bitstream Vera licence, fonts/LICENSE): every machine renders Æ Ø Å,
# accents and Cyrillic the same, whatever fonts it has installed.
REGULAR: Final = "DejaVuSans"
BOLD: Final = "DejaVuSans-Bold"
_fonts_lock = threading.Lock()

WIDTH, HEIGHT = A6  # 105 x 148 mm, portrait
MARGIN: Final = 16.0
HEADER: Final = 46.0
# The QR code shrinks to fit long names and many tracks, never below about 0.55 mm a module.
QR_LARGEST: Final = 212.0
QR_SMALLEST: Final = 150.0
QR_GAP: Final = 6.0
LEADING: Final = 1.3
# Lines allowed for (period name, location, participant, tracks, instructions), loosest first.
LINE_BUDGETS: Final = ((2, 2, 2, 3, 4), (2, 1, 2, 2, 3), (1, 1, 1, 2, 2), (1, 1, 1, 1, 1))
LOGO_MAX_ASPECT: Final = 3.0
MUTED: Final = Color(0.38, 0.40, 0.45)
DASH: Final = " \N{EN DASH} "
# Bump when the layout changes: cached PDFs of the old layout are then rendered again.
LAYOUT_REVISION: Final = 4


def register_fonts() -> None:
    """Registers the embedded fonts with reportlab (process-wide, once)."""
    with _fonts_lock:
        known = set(pdfmetrics.getRegisteredFontNames())
        for name, file in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
            if name not in known:
                pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))


class PdfTicketRenderer:
    """TicketRenderer: real text (searchable, selectable), the QR code as one vector path."""

    def __init__(self, brand: Brand | None = None) -> None:
        self._brand = brand or Brand()
        self._primary = HexColor(self._brand.primary_color)
        self._text = HexColor(self._brand.accent_color)
        self._logo = self._brand.logo_path.read_bytes() if self._brand.logo_path else None
        # Width over height, capped: a very wide logo is scaled down to leave room for the name.
        self._logo_aspect = 1.0
        if self._logo is not None:
            width, height = ImageReader(io.BytesIO(self._logo)).getSize()
            self._logo_aspect = min(width / height, LOGO_MAX_ASPECT)
        register_fonts()
        brand = self._brand
        shaped_by = (LAYOUT_REVISION, brand.school_name, brand.primary_color, brand.accent_color)
        logo = hashlib.sha256(self._logo or b"").hexdigest()
        self.style = repr((*shaped_by, brand.instructions, logo))

    def render_pdf(self, document: TicketDocument) -> bytes:
        buffer = io.BytesIO()
        # The embedded font from the first operator on: no reference to an unembedded Helvetica.
        canvas = Canvas(
            buffer,
            pagesize=A6,
            pageCompression=1,
            initialFontName=REGULAR,
            initialFontSize=9,
            lang=document.locale,  # the catalogue's /Lang: screen readers read it in its language
        )
        language = Language(document.locale)
        canvas.setTitle(
            language.gettext(
                "Ticket: %(period)s%(dash)s%(name)s",
                period=document.period_name,
                dash=DASH,
                name=document.person_name,
            )
        )
        canvas.setAuthor(self._brand.school_name)
        canvas.setSubject(
            language.gettext(
                "Course ticket %(id)s for %(period)s",
                id=short_id(document),
                period=document.period_name,
            )
        )
        canvas.setCreator("salsanor-tickets")
        self._draw(canvas, document, language)
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    def _draw(self, canvas: Canvas, document: TicketDocument, language: Language) -> None:
        self._header(canvas, language)
        # Generous line budgets first; long names, places and track lists get fewer lines (and
        # an ellipsis) until the QR code keeps the room it needs to scan.
        for budget in LINE_BUDGETS:
            top, bottom = self._blocks(document, language, budget)
            qr_top = HEIGHT - HEADER - 8 - _height(top) - QR_GAP
            room = qr_top - QR_GAP - _height(bottom) - MARGIN
            if room >= QR_SMALLEST:
                break
        size = min(room, QR_LARGEST)
        _lines(canvas, top, HEIGHT - HEADER - 8)
        draw_qr(canvas, qr_code(document.token), (WIDTH - size) / 2, qr_top - size, size)
        _lines(canvas, bottom, qr_top - size - QR_GAP)

    def _blocks(
        self, document: TicketDocument, language: Language, budget: tuple[int, ...]
    ) -> tuple[Block, Block]:
        """What goes above the QR code (period, dates, place, participant) and below it."""
        period_lines, place_lines, name_lines, track_lines, note_lines = budget
        width = WIDTH - 2 * MARGIN
        # The long format, as in the email and on the web page: "1. september 2026".
        dates = language.long_date(document.start_date) + DASH
        dates += language.long_date(document.end_date)
        top = _heading(document.period_name, 15, 12, width, period_lines, self._primary)
        top += _fit(dates, REGULAR, 9, 8, width, 1, self._text)
        if document.location:
            top += _fit(document.location, REGULAR, 9, 8, width, place_lines, self._text)
        top += [Line("", REGULAR, 4, self._text)]  # a gap before the name
        top += _heading(document.person_name, 14, 11, width, name_lines, self._text)
        timetable = class_lines(document, language)
        if timetable:  # each weekly class on a line of its own, as many as the budget allows
            bottom = []
            for line in timetable[:track_lines]:
                bottom += _fit(line, BOLD, 9, 7.5, width, 1, self._text)
            no_classes = no_classes_line(document, language)
            if no_classes:
                bottom += _fit(no_classes, REGULAR, 7.5, 6.5, width, 1, MUTED)
        else:
            tracks = " · ".join(document.tracks) or "—"
            bottom = _fit(tracks, BOLD, 10, 8, width, track_lines, self._text)
        ticket = language.gettext(
            "Ticket %(id)s · token v%(version)s",
            id=short_id(document),
            version=document.token_version,
        )
        bottom += _fit(ticket, REGULAR, 7.5, 7.5, width, 1, MUTED)
        instructions = self._brand.instructions_in(language)
        bottom += _fit(instructions, REGULAR, 7.5, 6.5, width, note_lines, MUTED)
        return top, bottom

    def _header(self, canvas: Canvas, language: Language) -> None:
        canvas.setFillColor(self._primary)
        canvas.rect(0, HEIGHT - HEADER, WIDTH, HEADER, stroke=0, fill=1)
        x = MARGIN
        if self._logo is not None:
            logo_height = HEADER - 16
            logo_width = logo_height * self._logo_aspect
            canvas.drawImage(
                ImageReader(io.BytesIO(self._logo)),
                x,
                HEIGHT - HEADER + 8,
                width=logo_width,
                height=logo_height,
                preserveAspectRatio=True,
                anchor="w",
                mask="auto",
            )
            x += logo_width + 8
        label = language.gettext("TICKET")
        label_width = pdfmetrics.stringWidth(label, BOLD, 8)
        room = WIDTH - MARGIN - label_width - 8 - x
        name = _fit(self._brand.school_name, BOLD, 13, 8, room, 1, white)[0]
        _text(canvas, name.text, BOLD, name.size, white, x, HEIGHT - HEADER / 2 - name.size * 0.35)
        _text(canvas, label, BOLD, 8, white, WIDTH - MARGIN - label_width, HEIGHT - HEADER / 2 - 3)


@dataclass(frozen=True)
class Line:
    text: str
    font: str
    size: float
    colour: Color

    @property
    def height(self) -> float:
        return self.size * LEADING


Block = list[Line]


def _height(block: Block) -> float:
    return sum(line.height for line in block)


def _lines(canvas: Canvas, block: Block, y: float) -> float:
    """Draws the lines from ``y`` down, at the left margin; returns where they end."""
    for line in block:
        y -= line.height
        _text(canvas, line.text, line.font, line.size, line.colour, MARGIN, y + line.size * 0.25)
    return y


def _text(
    canvas: Canvas, text: str, font: str, size: float, colour: Color, x: float, y: float
) -> None:
    canvas.setFillColor(colour)
    canvas.setFont(font, size)
    canvas.drawString(x, y, text)


def _fit(
    text: str,
    font: str,
    size: float,
    smallest: float,
    width: float,
    max_lines: int,
    colour: Color,
) -> Block:
    """``text`` in at most ``max_lines`` lines of ``width``: smaller type first, then "…"."""
    text = " ".join(text.split())
    current = size
    while True:
        lines = _wrap(text, font, current, width)
        if len(lines) <= max_lines or current <= smallest:
            break
        current = max(current - 0.5, smallest)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _ellipsize(lines[-1] + " …", font, current, width)
    return [Line(line, font, current, colour) for line in lines]


def _heading(
    text: str, size: float, one_line_size: float, width: float, max_lines: int, colour: Color
) -> Block:
    """A bold heading on one line if slightly smaller type allows it, else on several."""
    one_line = _fit(text, BOLD, size, one_line_size, width, 1, colour)
    if max_lines == 1 or one_line[0].text == " ".join(text.split()):
        return one_line
    return _fit(text, BOLD, size, one_line_size - 1, width, max_lines, colour)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for line in simpleSplit(text, font, size, width) or [""]:
        # simpleSplit leaves a word wider than the line as it is: cut it by characters.
        while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
            cut = len(line)
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines


def _ellipsize(line: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(line, font, size) <= width:
        return line
    while len(line) > 1 and pdfmetrics.stringWidth(line + "…", font, size) > width:
        line = line[:-1]
    return line.rstrip() + "…"
