"""Both languages end to end over HTTP, on SQLite and PostgreSQL: a profile's locale, then the
signed webhook, the email in the outbox, the PDF and the web page in that language."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.emails.test_ticket_emails import Mailing, mailing_for
from tests.support.email_support import part, pdf_of_email
from tests.support.english_lines import english_in
from tests.support.service import ADMIN, bearer

pytestmark = pytest.mark.integration


@pytest.fixture
def mailing(database_url: str, tmp_path: Path) -> Iterator[Mailing]:
    yield from mailing_for(database_url, tmp_path)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "text.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "text.pdf", "-"], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout
    return " ".join(text.split())  # lines wrap where the page is narrow


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_profiles_carry_a_locale_the_default_norwegian(mailing: Mailing) -> None:
    client = mailing.api.client

    default = client.put(
        "/api/me/profile", json={"name": "Åse", "email": "a@x.no"}, headers=bearer("a")
    )
    english = client.put(
        "/api/me/profile",
        json={"name": "Ann", "email": "b@x.no", "locale": "en"},
        headers=bearer("b"),
    )
    partner = client.post(
        "/api/admin/people", json={"name": "Per", "email": "p@x.no", "locale": "en"}, headers=ADMIN
    )

    assert default.status_code == 200 and default.json()["locale"] == "nb"
    assert english.json()["locale"] == "en" and partner.json()["locale"] == "en"
    assert client.get("/api/me/profile", headers=bearer("b")).json()["locale"] == "en"
    # An update without a locale keeps the one chosen; with one, changes it.
    kept = client.put(
        "/api/me/profile", json={"name": "Ann B", "email": "b@x.no"}, headers=bearer("b")
    )
    assert kept.json()["locale"] == "en"
    changed = client.put(
        "/api/me/profile",
        json={"name": "Ann B", "email": "b@x.no", "locale": "nb"},
        headers=bearer("b"),
    )
    assert changed.json()["locale"] == "nb"


@pytest.mark.parametrize("locale", ["sv", "NB", "en_US"])
def test_a_locale_not_offered_is_422_unsupported_locale(mailing: Mailing, locale: str) -> None:
    client = mailing.api.client

    for response in (
        client.put(
            "/api/me/profile",
            json={"name": "Åse", "email": "a@x.no", "locale": locale},
            headers=bearer("a"),
        ),
        client.post(
            "/api/admin/people",
            json={"name": "Per", "email": "p@x.no", "locale": locale},
            headers=ADMIN,
        ),
    ):
        assert response.status_code == 422, response.text
        body: dict[str, Any] = response.json()
        assert body["code"] == "unsupported_locale"
    assert client.get("/api/me/profile", headers=bearer("a")).status_code == 404


def test_a_profile_without_locale_gets_a_norwegian_email_pdf_and_page(
    mailing: Mailing, tmp_path: Path
) -> None:
    ticket = mailing.paid_ticket("dancer-1")  # no locale: DEFAULT_LOCALE, nb
    mailing.drain(until=lambda: len(mailing.emails()) == 1)
    [message] = mailing.emails()

    text = part(message, "text/plain").get_content()
    html = part(message, "text/html").get_content()
    assert message["Subject"] == "Billetten din til Fall 2026"
    assert message["Content-Language"] == "nb"
    assert '<html lang="nb">' in html
    assert text.startswith("Hei Åse Øvergård!")
    for shown in ("1. september 2026", "15. juni 2027", "Vis denne QR-koden i døra"):
        assert shown in text and shown in html
    assert english_in(str(message["Subject"])) == []
    assert english_in(text) == [] and english_in(html) == []

    emailed_pdf = pdf_of_email(message)
    assert english_in(pdf_text(emailed_pdf, tmp_path)) == []
    assert "1. september 2026" in pdf_text(emailed_pdf, tmp_path)

    page = mailing.api.client.get(local(ticket["viewUrl"]))
    assert page.status_code == 200 and page.headers["content-language"] == "nb"
    assert '<html lang="nb">' in page.text and "Last ned billetten (PDF)" in page.text
    body = re.sub(r"<style.*?</style>", "", page.text, flags=re.DOTALL)
    assert english_in(body) == []


def test_a_profile_in_english_gets_an_english_email_pdf_and_page(
    mailing: Mailing, tmp_path: Path
) -> None:
    ticket = mailing.paid_ticket("dancer-2", locale="en")
    mailing.drain(until=lambda: len(mailing.emails()) == 1)
    [message] = mailing.emails()

    text = part(message, "text/plain").get_content()
    assert message["Subject"] == "Your ticket for Fall 2026"
    assert message["Content-Language"] == "en"
    assert '<html lang="en">' in part(message, "text/html").get_content()
    assert text.startswith("Hi Åse Øvergård,") and "September 1, 2026" in text
    assert "Show this QR code at the door" in pdf_text(pdf_of_email(message), tmp_path)

    page = mailing.api.client.get(local(ticket["viewUrl"]))
    assert '<html lang="en">' in page.text and "Download the ticket (PDF)" in page.text


def test_the_web_page_switches_language_with_lang_keeping_its_key(mailing: Mailing) -> None:
    ticket = mailing.paid_ticket("dancer-3")
    client, view = mailing.api.client, local(ticket["viewUrl"])

    norsk = client.get(view)
    [switch] = re.findall(r'<a href="([^"]+)" lang="en"', norsk.text)
    switch = switch.replace("&amp;", "&")
    english = client.get(switch)

    assert urlsplit(switch).query.startswith(urlsplit(view).query)
    assert switch.endswith("&lang=en") and ">English</a>" in norsk.text
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert ">Norsk bokmål</a>" in english.text
    # A language not offered: the holder's own; a wrong key stays a 404 whatever the language.
    assert '<html lang="nb">' in client.get(f"{view}&lang=xx").text
    assert client.get(f"{urlsplit(view).path}?key=wrong&lang=en").status_code == 404
