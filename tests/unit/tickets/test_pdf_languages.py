"""The PDF ticket in its holder's language, read back as text the way a reader's viewer does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from adapters.pdf_ticket import PdfTicketRenderer
from application.tickets.documents import pdf_key
from tests.support.english_lines import english_in
from tests.unit.tickets.test_pdf_ticket import DOCUMENT, text_of

pytestmark = pytest.mark.unit

NORSK = replace(DOCUMENT, locale="nb", period_name="Høst 2026", location="Dansestudio, Tøyen")


@pytest.fixture(scope="module")
def renderer() -> PdfTicketRenderer:
    return PdfTicketRenderer()


def test_no_english_line_in_a_norwegian_pdf(renderer: PdfTicketRenderer, tmp_path: Path) -> None:
    text = text_of(renderer.render_pdf(NORSK), tmp_path)

    assert english_in(text) == []
    for shown in (
        "BILLETT",
        "1. september 2026 \N{EN DASH} 15. desember 2026",
        "Billett 6F1C-2B1E",
        "Vis denne QR-koden i døra",
    ):
        assert shown in text


def test_ae_oe_aa_are_extracted_back_as_text(renderer: PdfTicketRenderer, tmp_path: Path) -> None:
    """The embedded font maps Æ Ø Å to their characters: searchable, copyable, read aloud."""
    text = text_of(renderer.render_pdf(NORSK), tmp_path)

    for word in ("Åse Øvergård-Ærø", "Høst 2026", "Tøyen", "døra", "på"):
        assert word in text
    assert {"Æ", "Ø", "Å", "ø", "å"} <= set(text)


def test_the_english_pdf_is_english(renderer: PdfTicketRenderer, tmp_path: Path) -> None:
    text = text_of(renderer.render_pdf(replace(DOCUMENT, locale="en")), tmp_path)

    assert "TICKET" in text and "Show this QR code at the door" in text


def test_the_pdfs_of_two_languages_are_cached_apart(renderer: PdfTicketRenderer) -> None:
    english, norsk = replace(DOCUMENT, locale="en"), replace(DOCUMENT, locale="nb")

    assert pdf_key(english, renderer.style) != pdf_key(norsk, renderer.style)
