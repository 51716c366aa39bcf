"""The PDF ticket: its QR code scans to the token, its text is real text, its fonts go with it."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import ZBarSymbol, decode

from adapters.brand import Brand
from adapters.pdf_ticket import PdfTicketRenderer
from adapters.ticket_text import short_id
from application.tickets.ports import TicketDocument
from entrypoints.settings import Settings, SettingsError
from tests.support.fakes import SETTINGS_ENV
from tests.unit.tickets.test_qr_code import TOKEN

pytestmark = pytest.mark.unit

A6_POINTS = (297.6, 419.5)
DASH = "\N{EN DASH}"
DOCUMENT = TicketDocument(
    ticket_id=UUID("6f1c2b1e-3a47-4c1f-9d6e-2b7a8f4e5d10"),
    token=TOKEN,
    token_version=2,
    person_name="Åse Øvergård-Ærø Émilie Ёлена",
    period_code="2026-fall",
    period_name="Fall 2026",
    start_date=date(2026, 9, 1),
    end_date=date(2026, 12, 15),
    timezone="Europe/Oslo",
    location="Dansestudio, Oslo",
    tracks=("Salsa 1", "Bachata 1"),
    view_url="https://tickets.example/tickets/x?key=k",
    pdf_url="https://tickets.example/api/tickets/download/x?key=k",
    locale="en",
)


def text_of(pdf: bytes, tmp_path: Path) -> str:
    file = tmp_path / "ticket.pdf"
    file.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(file), "-"], check=True, capture_output=True, text=True
    ).stdout


def decoded_qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    """The page rasterized at 150 dpi, as a phone camera would see a print, and decoded."""
    file = tmp_path / "scan.pdf"
    file.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(file), str(tmp_path / "page")],
        check=True,
    )
    return [
        s.data.decode()
        for s in decode(Image.open(tmp_path / "page.png"), symbols=[ZBarSymbol.QRCODE])
    ]


def bounding_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, float, str]]:
    file = tmp_path / "boxes.pdf"
    file.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(file), "-"], check=True, capture_output=True, text=True
    ).stdout
    word = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in word.findall(html)]


@pytest.fixture(scope="module")
def renderer() -> PdfTicketRenderer:
    return PdfTicketRenderer()


def test_one_a6_page_with_title_and_author(renderer: PdfTicketRenderer) -> None:
    reader = PdfReader(io.BytesIO(renderer.render_pdf(DOCUMENT)))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == A6_POINTS
    assert reader.metadata is not None
    assert reader.metadata.title == f"Ticket: Fall 2026 {DASH} Åse Øvergård-Ærø Émilie Ёлена"
    assert reader.metadata.author == "SalsaNor"


def test_the_qr_code_scans_to_the_token(renderer: PdfTicketRenderer, tmp_path: Path) -> None:
    assert decoded_qr_codes(renderer.render_pdf(DOCUMENT), tmp_path) == [TOKEN]


def test_the_qr_code_is_vector_graphics_not_a_picture(renderer: PdfTicketRenderer) -> None:
    reader = PdfReader(io.BytesIO(renderer.render_pdf(DOCUMENT)))
    resources = reader.pages[0]["/Resources"]

    assert "/XObject" not in resources  # no images at all without a logo


def test_the_text_is_real_text_in_every_alphabet(
    renderer: PdfTicketRenderer, tmp_path: Path
) -> None:
    text = text_of(renderer.render_pdf(DOCUMENT), tmp_path)

    for expected in (
        "Åse Øvergård-Ærø Émilie Ёлена",
        "Fall 2026",
        f"September 1, 2026 {DASH} December 15, 2026",
        "Dansestudio, Oslo",
        "Salsa 1 · Bachata 1",
        "Ticket 6F1C-2B1E",
        "Show this QR code at the door",
        "SalsaNor",
    ):
        assert expected in text


def test_the_fonts_are_embedded(renderer: PdfTicketRenderer, tmp_path: Path) -> None:
    file = tmp_path / "fonts.pdf"
    file.write_bytes(renderer.render_pdf(DOCUMENT))
    listing = subprocess.run(
        ["pdffonts", str(file)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]

    assert len(listing) == 2
    for line in listing:
        assert "DejaVuSans" in line
        assert line.split()[-5] == "yes"  # the "emb" column: it travels with the file


def test_long_names_and_many_tracks_stay_on_the_page_and_still_scan(
    renderer: PdfTicketRenderer, tmp_path: Path
) -> None:
    crowded = replace(
        DOCUMENT,
        person_name="Maximiliane Østergaard-Æbeltoft " * 4
        + "Supercalifragilisticexpialidocious" * 3,
        period_name="Fall semester 2026, with an extra long name for the whole autumn season",
        location="Kulturhuset, Youngstorget 3, 0181 Oslo, third floor, the big studio at the end",
        tracks=tuple(f"Track number {n} (intermediate)" for n in range(1, 25)),
    )
    pdf = renderer.render_pdf(crowded)

    assert decoded_qr_codes(pdf, tmp_path) == [TOKEN]
    width, height = A6_POINTS
    for x_min, y_min, x_max, y_max, word in bounding_boxes(pdf, tmp_path):
        assert x_min >= 0 and x_max <= width, word
        assert y_min >= 0 and y_max <= height, word
    assert "…" in text_of(pdf, tmp_path)  # cut, and saying so


def test_brand_colours_name_and_logo(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 60), (240, 200, 0)).save(logo)
    brand = Brand(
        school_name="Dansens Hus",
        primary_color="#004E89",
        accent_color="#222222",
        logo_path=logo,
        instructions="Vis QR-koden i døra.",
    )
    pdf = PdfTicketRenderer(brand).render_pdf(DOCUMENT)
    reader = PdfReader(io.BytesIO(pdf))

    assert reader.metadata is not None and reader.metadata.author == "Dansens Hus"
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    assert [xobjects[name]["/Subtype"] for name in xobjects] == ["/Image"]
    text = text_of(pdf, tmp_path)
    assert "Dansens Hus" in text and "Vis QR-koden i døra." in text
    assert decoded_qr_codes(pdf, tmp_path) == [TOKEN]
    # The brand colour fills the header band (an RGB fill operator in the page).
    assert b"0 .305882 .537255 rg" in reader.pages[0].get_contents().get_data()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"accent_color": "#12345"}, "accent_color"),
        ({"school_name": " "}, "school_name"),
        ({"logo_path": Path("/nonexistent/logo.png")}, "cannot be read"),
    ],
)
def test_an_unusable_brand_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Brand(**changes)  # type: ignore[arg-type]


def test_a_logo_that_is_no_image_is_refused(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text("<svg/>")

    with pytest.raises(ValueError, match="neither a PNG nor a JPEG"):
        Brand(logo_path=logo)


def test_the_short_id_is_what_door_staff_read_out() -> None:
    assert short_id(DOCUMENT) == "6F1C-2B1E"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BRAND_PRIMARY_COLOR", "crimson"),
        ("BRAND_ACCENT_COLOR", "#12"),
        ("BRAND_LOGO_PATH", "/nonexistent/logo.png"),
    ],
)
def test_an_unusable_brand_stops_the_start_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(SETTINGS_ENV | {name: value})


def test_the_brand_defaults_without_configuration() -> None:
    assert Settings.from_env(SETTINGS_ENV).brand == Brand()
