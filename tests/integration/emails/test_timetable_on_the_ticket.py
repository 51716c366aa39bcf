"""The course's timetable on what the participant receives, in their language: the email (with
its calendar file attached), the PDF and the web ticket with its calendar link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.integration.emails.test_ticket_emails import Mailing, mailing_for
from tests.integration.emails.test_ticket_languages import local, pdf_text
from tests.support.email_support import part, pdf_of_email
from tests.support.english_lines import english_in
from tests.support.service import ADMIN

pytestmark = pytest.mark.integration

TIMETABLE = {
    "tracks": [
        {
            "code": "salsa1",
            "schedule": [
                {"weekday": "tuesday", "startTime": "19:00", "endTime": "20:30", "room": "Sal A"}
            ],
        },
        {
            "code": "bachata1",
            "schedule": [{"weekday": "thursday", "startTime": "18:00", "endTime": "19:00"}],
        },
    ],
    "skipDates": ["2026-10-06"],
}


@pytest.fixture
def mailing(database_url: str, tmp_path: Path) -> Iterator[Mailing]:
    yield from mailing_for(database_url, tmp_path)


def with_timetable(mailing: Mailing) -> None:
    response = mailing.api.client.put(
        "/api/admin/periods/2026-fall/schedule", json=TIMETABLE, headers=ADMIN
    )
    assert response.status_code == 200, response.text


def attachment(message: object, filename: str) -> object:
    for item in message.iter_attachments():  # type: ignore[attr-defined]
        if item.get_filename() == filename:
            return item
    raise AssertionError(f"no attachment {filename}")


def test_the_norwegian_email_pdf_and_page_show_the_timetable(
    mailing: Mailing, tmp_path: Path
) -> None:
    with_timetable(mailing)
    ticket = mailing.paid_ticket("dancer-1")  # DEFAULT_LOCALE: nb
    mailing.drain(until=lambda: len(mailing.emails()) == 1)
    [message] = mailing.emails()

    text = part(message, "text/plain").get_content()
    html = part(message, "text/html").get_content()
    salsa = "Salsa 1 · tirsdag 19:00\u201320:30 · Sal A"
    bachata = "Bachata 1 · torsdag 18:00\u201319:00"
    for shown in ("Timeplan", salsa, bachata, "Ingen kurstimer: 6. okt.", "2026-fall.ics"):
        assert shown in text and shown in html, shown
    assert english_in(text) == [] and english_in(html) == []

    ics = attachment(message, "2026-fall.ics")
    assert ics.get_content_type() == "text/calendar"  # type: ignore[attr-defined]
    calendar = Calendar.from_ical(ics.get_content())  # type: ignore[attr-defined]
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["Bachata 1", "Salsa 1"]

    printed = pdf_text(pdf_of_email(message), tmp_path)
    assert salsa in printed and bachata in printed and "Ingen kurstimer: 6. okt." in printed
    assert english_in(printed) == []

    page = mailing.api.client.get(local(ticket["viewUrl"]))
    body = re.sub(r"<style.*?</style>", "", page.text, flags=re.DOTALL)
    assert salsa in body and "Legg kurstimene inn i kalenderen" in body
    link = re.search(r'class="calendar" href="([^"]+)"', page.text)
    assert link is not None
    subscribed = mailing.api.client.get(link.group(1).replace("&amp;", "&"))
    assert subscribed.status_code == 200 and b"BEGIN:VCALENDAR" in subscribed.content


def test_in_english_and_without_a_timetable(mailing: Mailing, tmp_path: Path) -> None:
    mailing.paid_ticket("dancer-1", locale="en")  # no timetable yet
    mailing.drain(until=lambda: len(mailing.emails()) == 1)
    with_timetable(mailing)
    mailing.paid_ticket("dancer-2", locale="en")
    mailing.drain(until=lambda: len(mailing.emails()) == 2)
    before, after = sorted(mailing.emails(), key=lambda m: "dancer-2" in str(m["To"]))

    assert "Timetable" not in part(before, "text/plain").get_content()
    assert [a.get_filename() for a in before.iter_attachments()] == ["ticket-2026-fall.pdf"]
    text = part(after, "text/plain").get_content()
    assert "Salsa 1 · Tuesday 7:00\u202fPM\u20138:30\u202fPM · Sal A" in text
    assert "No classes: Oct 6" in text
    assert "ticket-2026-fall.pdf" in [a.get_filename() for a in after.iter_attachments()]
