"""Lines of the English templates (the ticket email, the PDF, the web ticket) that a Norwegian
rendering must not show: a string left out of the catalogue, or written outside ``_()``, shows
up here as English in a Norwegian email, PDF or page.

A fixed list, kept by hand on purpose: it is what a reader would notice, not what the code
happens to extract (a sentence nobody marked for translation is exactly what it must catch).
"""

from __future__ import annotations

from typing import Final

ENGLISH_LINES: Final = (
    # The email (subject, HTML and text)
    "Your ticket for",
    "Your new ticket",
    "(sent again)",
    "Hi Åse",
    "Thank you for registering",
    "Here is your ticket",
    "As you asked",
    "new QR code",
    "no longer works at the door",
    "QR code is personal",
    "do not share it",
    "Do not share it",
    "Period",
    "Dates",
    "Location",
    "Courses",
    "At the door",
    "Open your ticket",
    "attached as a PDF",
    "open it in your browser",
    "Questions?",
    "reply to this email",
    "See you on the dance floor",
    # The PDF and the web ticket
    "TICKET",
    "Ticket",
    "Course ticket",
    "Show this QR code",
    "on your phone or printed",
    "checks you in once a day",
    "please do not share",
    "valid until",
    "Download the",
    "PDF ticket",
    # Dates the English way (CLDR's or the old hand-written table's)
    "January",
    "September",
    "December",
    "Sep ",
    "Dec ",
)


def english_in(text: str) -> list[str]:
    """The English lines ``text`` shows (none, in a Norwegian rendering)."""
    return [line for line in ENGLISH_LINES if line in text]
