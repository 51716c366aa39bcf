"""The ticket email in the holder's language: subject, HTML and text, its headers."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace

import pytest

from adapters.brand import Brand
from adapters.email.content import EmailContentConfig, JinjaEmailContent
from adapters.email.mime import message_bytes, mime_message
from application.emails.ports import EmailKind, EmailReason
from tests.support.english_lines import english_in
from tests.unit.emails.test_email_content import document

pytestmark = pytest.mark.unit

REASONS = (
    EmailReason(EmailKind.ISSUED),
    EmailReason(EmailKind.ROTATED),
    EmailReason(EmailKind.RESEND, 7),
)


def content(brand: Brand | None = None) -> JinjaEmailContent:
    config = EmailContentConfig(brand or Brand(school_name="SalsaNor"), reply_to="kurs@salsanor.no")
    return JinjaEmailContent(config, lambda doc: b"%PDF-1.4 " + doc.locale.encode())


def norwegian(reason: EmailReason = REASONS[0]) -> tuple[str, str, str]:
    message = (
        content()
        .ticket_email(document(locale="nb", person_name="Åse Øvergård"), "a@x.no", reason, pdf=None)
        .message
    )
    return message.subject, message.html, message.text


@pytest.mark.parametrize("reason", REASONS, ids=str)
def test_no_english_line_in_a_norwegian_email(reason: EmailReason) -> None:
    subject, html, text = norwegian(reason)

    assert english_in(subject) == []
    assert english_in(html) == []
    assert english_in(text) == []


def test_the_norwegian_email_reads_as_a_dance_school_writes() -> None:
    subject, html, text = norwegian()

    assert subject == "Billetten din til Fall 2026"
    assert text.startswith("Hei Åse Øvergård!\n\nTakk for påmeldingen! Her er billetten din")
    for shown in ("1. september 2026", "15. desember 2026", "Kursperiode", "Vis denne QR-koden"):
        assert shown in text and shown in html
    assert '<html lang="nb">' in html
    assert "Åpne billetten din" in html


def test_the_subjects_of_a_rotation_and_a_resend_in_norwegian() -> None:
    assert norwegian(REASONS[1])[0] == "Ny billett til Fall 2026"
    assert norwegian(REASONS[2])[0] == "Billetten din til Fall 2026 (sendt på nytt)"
    assert "ny QR-kode" in norwegian(REASONS[1])[2]


def test_the_english_email_is_english_with_english_dates() -> None:
    message = content().ticket_email(document(locale="en"), "a@x.no", REASONS[0], pdf=None).message

    assert message.subject == "Your ticket for Fall 2026"
    assert '<html lang="en">' in message.html
    assert "September 1, 2026" in message.text and "Show this QR code" in message.text


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_the_email_says_its_language_in_content_language(locale: str) -> None:
    message = content().ticket_email(document(locale=locale), "a@x.no", REASONS[0], pdf=None)

    sent = email.message_from_bytes(
        message_bytes(mime_message(message.message, "tickets@salsanor.no")),
        policy=email.policy.SMTP,
    )

    assert sent["Content-Language"] == locale
    assert message.message.language == locale


def test_a_schools_own_door_instructions_stay_as_written_in_every_language() -> None:
    brand = Brand(instructions="Show the code to Kari at the desk.")
    for locale in ("nb", "en"):
        text = content(brand).ticket_email(document(locale=locale), "a@x.no", REASONS[0], pdf=None)
        assert "Show the code to Kari at the desk." in text.message.text


def test_a_locale_without_a_catalogue_falls_back_to_the_source_language() -> None:
    gone = replace(document(), locale="sv")
    message = content().ticket_email(gone, "a@x.no", REASONS[0], pdf=None).message

    assert message.subject == "Your ticket for Fall 2026"
    assert message.language == "en"
