"""The door's and admins' pages: in the device's chosen language, else the browser's, else
DEFAULT_LOCALE; their scripts' words from the same catalogue, as data under the strict CSP."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from uuid import UUID

import pytest

from adapters.brand import Brand
from adapters.email.content import EmailContentConfig, JinjaEmailContent
from adapters.page_locale import accepted_languages, choose_locale
from adapters.pages import JinjaPages, PagesConfig
from application.alerts.ports import AlertNotice
from entrypoints.bootstrap import PAGE_SCRIPTS

pytestmark = pytest.mark.unit

SUPPORTED = frozenset({"nb", "en"})
# Lines of the English pages (templates and scripts) that must not show on a Norwegian page.
ENGLISH = [
    "Point the camera at the ticket's QR code",
    "Tap to scan the next one",
    "Start scanning",
    "Find by name",
    "Name of the participant",
    "No active ticket with that name.",
    "in today",
    "Sync: the service disagreed",
    "Admin sign-in",
    "Kept in this tab only",
    "Pair a new phone",
    "Create pairing link",
    "Scan this with the door phone",
    "Whole period as CSV",
    "Updates every 10 seconds",
    "Last seen",
    "checked in",
]


@pytest.mark.parametrize(
    ("asked", "remembered", "header", "chosen"),
    [
        (None, None, None, "nb"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "nb-NO,nb;q=0.9,en;q=0.8", "nb"),
        (None, None, "de-DE,de;q=0.9,en;q=0.5,nb;q=0.7", "nb"),  # by q-value, not by order
        (None, None, "en;q=0,nb;q=0.1", "nb"),  # q=0: not acceptable
        (None, None, "no", "nb"),  # "Norwegian" reads bokmål
        (None, None, "fr, *;q=0.5", "nb"),
        (None, None, "EN", "en"),
        (None, "en", "nb", "en"),  # the device's own choice wins over its browser's
        ("nb", "en", "en", "nb"),  # and the switch over that
        ("de", "xx", "en", "en"),  # unsupported choices are passed over
    ],
)
def test_the_language_chosen(
    asked: str | None, remembered: str | None, header: str | None, chosen: str
) -> None:
    locale = choose_locale(
        asked=asked,
        remembered=remembered,
        accept_language=header,
        supported=SUPPORTED,
        default="nb",
    )
    assert locale == chosen


def test_accept_language_by_quality_and_order() -> None:
    assert accepted_languages("da, en-GB;q=0.8, en;q=0.7, nb;q=0.8, x;q=abc") == [
        "da",
        "en-GB",
        "nb",
        "en",
    ]


@pytest.fixture(scope="module")
def pages() -> JinjaPages:
    config = PagesConfig(
        Brand(school_name="SalsaNor Oslo"),
        "https://tickets.example",
        locales=SUPPORTED,
        default_locale="nb",
        scripts=PAGE_SCRIPTS,
    )
    return JinjaPages(config)


def _text(html: str) -> str:
    """What the page shows: not its tags, nor the JSON block (keyed by the English)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))


def test_the_door_page_in_norwegian_has_no_english_and_its_scripts_words(
    pages: JinjaPages,
) -> None:
    html = pages.door("nb").html
    strings = json.loads(re.search(r'id="strings">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]

    assert '<html lang="nb">' in html
    assert [line for line in ENGLISH if line in _text(html)] == []
    assert "Hold kameraet mot QR-koden på billetten" in html
    assert strings["lang"] == "nb"
    assert strings["messages"]["Already checked in"] == "Allerede sjekket inn i dag"
    assert strings["messages"]["Not a valid ticket"] == "Billetten er ikke gyldig"
    assert strings["messages"]["{count} scan waiting to sync"] == [
        "{count} skann er ikke sendt ennå",
        "{count} skann er ikke sendt ennå",
    ]
    assert '<a href="?lang=en" hreflang="en" lang="en">English</a>' in html
    # The words are data (not run): the CSP still allows scripts from this service only.
    assert '<script type="application/json" id="strings">' in html
    assert "script-src 'self';" in pages.door("nb").headers["Content-Security-Policy"]
    assert pages.door("nb").headers["Vary"] == "Accept-Language, Cookie"


def test_the_pages_in_english_and_the_default(pages: JinjaPages) -> None:
    html = pages.door("en").html

    assert '<html lang="en">' in html and "Point the camera at the ticket's QR code" in html
    assert (
        json.loads(re.search(r'id="strings">(.*?)</script>', html, re.S).group(1))[  # type: ignore[union-attr]
            "messages"
        ]["Welcome!"]
        == "Welcome!"
    )
    assert '<a href="?lang=nb" hreflang="nb" lang="nb">Norsk</a>' in html
    assert pages.door() is pages.door("nb")  # rendered once a language


@pytest.mark.parametrize("page", ["device_admin", "attendance_admin"])
def test_the_admin_pages_in_norwegian(pages: JinjaPages, page: str) -> None:
    html = getattr(pages, page)("nb").html

    assert '<html lang="nb">' in html
    assert "Innlogging for administrator" in html
    assert [line for line in ENGLISH if line in _text(html)] == []


def test_the_alert_email_is_in_the_default_locale() -> None:
    alert = AlertNotice(
        alert_id=UUID(int=7),
        created_at=datetime(2026, 9, 1, tzinfo=UTC),
        severity="critical",
        kind="email_failed",
        subject="ticket 7",
        message="it <failed>",
    )

    def email(locale: str) -> tuple[str, str, str]:
        config = EmailContentConfig(Brand(school_name="SalsaNor Oslo"), None, alert_locale=locale)
        message = JinjaEmailContent(config, lambda _: b"").alert_email(alert, "a@salsanor.no")
        return message.subject, message.text, message.html

    subject, text, html = email("nb")
    assert subject == "[SalsaNor Oslo \u2013 billettsystemet] kritisk varsel: email_failed"
    assert text.startswith("KRITISK VARSEL: email_failed\n\nit <failed>\n\nGjelder: ticket 7\n")
    assert '<html lang="nb">' in html and "Varsel-ID" in html and "it &lt;failed&gt;" in html
    subject, text, html = email("en")
    assert subject == "[SalsaNor Oslo tickets] critical alert: email_failed"
    assert "Alert id: 00000000-0000-0000-0000-000000000007" in text
    assert '<html lang="en">' in html
