"""Email content and mailers in isolation: templates, MIME tree, outbox files, error mapping."""

from __future__ import annotations

import email
import email.policy
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from botocore.stub import Stubber
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

from adapters.alert_channels import WebhookAlertChannel, WebhookConfig
from adapters.brand import Brand
from adapters.email.content import EmailContentConfig, JinjaEmailContent
from adapters.email.mime import message_bytes, mime_message, wire_form
from adapters.email.outbox import FileMailer, FileMailerConfig
from adapters.email.ses import SesConfig, SesMailer
from adapters.email.smtp import SmtpConfig, SmtpMailer, _error_of
from application.alerts.ports import AlertNotice
from application.emails.ports import (
    EmailKind,
    EmailMessage,
    EmailReason,
    PermanentEmailError,
    TemporaryEmailError,
)
from application.tickets.ports import TicketDocument
from entrypoints.settings import EmailSettings, Settings, SettingsError
from tests.support.fakes import SETTINGS_ENV

pytestmark = pytest.mark.unit

TICKET = UUID("6f1c2b1e-3a47-4c1f-9d6e-2b7a8f4e5d10")
TOKEN = "eyJhbGciOiJIUzI1NiJ9." + "a" * 200 + ".sig"
ISSUED = EmailReason(EmailKind.ISSUED)


def document(**changes: object) -> TicketDocument:
    fields: dict[str, object] = {
        "ticket_id": TICKET,
        "token": TOKEN,
        "token_version": 2,
        "person_name": "Tom & <Jerry>",
        "period_code": "2026-fall",
        "period_name": "Fall 2026",
        "start_date": date(2026, 9, 1),
        "end_date": date(2026, 12, 15),
        "timezone": "Europe/Oslo",
        "location": "Dansestudio, Oslo",
        "tracks": ("Salsa 1", "Bachata 1"),
        "view_url": "https://tickets.example/tickets/x?key=a&b",
        "pdf_url": "https://tickets.example/api/tickets/download/x?key=a",
        "locale": "en",
    }
    return TicketDocument(**(fields | changes))  # type: ignore[arg-type]


def content() -> JinjaEmailContent:
    config = EmailContentConfig(Brand(school_name="SalsaNor Oslo"), reply_to="kurs@salsanor.no")
    return JinjaEmailContent(config, lambda doc: b"%PDF-1.4 " + doc.token.encode())


def test_the_ticket_email_shows_the_ticket_escaped_in_html_and_plain_in_text() -> None:
    message = content().ticket_email(document(), "tom@example.no", ISSUED, pdf=None).message

    assert message.subject == "Your ticket for Fall 2026"
    assert message.reply_to == "kurs@salsanor.no"
    assert "Tom &amp; &lt;Jerry&gt;" in message.html and "<Jerry>" not in message.html
    assert "Hi Tom & <Jerry>," in message.text  # text is not HTML: nothing escaped
    assert "https://tickets.example/tickets/x?key=a&amp;b" in message.html
    assert "https://tickets.example/tickets/x?key=a&b" in message.text
    for shown in ("September 1, 2026", "December 15, 2026", "Salsa 1, Bachata 1", "SalsaNor Oslo"):
        assert shown in message.text and shown in message.html
    assert "<style" not in message.html and "background: #B3123B" in message.html


def test_the_inline_qr_is_referenced_by_cid_and_scans_to_the_token_and_the_pdf_is_attached() -> (
    None
):
    message = content().ticket_email(document(), "tom@example.no", ISSUED, pdf=None).message

    [image] = message.inline_images
    assert f'src="cid:{image.content_id}"' in message.html
    [code] = decode(Image.open(io.BytesIO(image.data)), symbols=[ZBarSymbol.QRCODE])
    assert code.data.decode() == TOKEN
    [pdf] = message.attachments
    assert (pdf.filename, pdf.mime_type) == ("ticket-2026-fall.pdf", "application/pdf")
    assert pdf.data.endswith(TOKEN.encode())


def test_a_pdf_rendered_before_is_attached_as_it_is_and_one_rendered_here_comes_back() -> None:
    def render_pdf(_: TicketDocument) -> bytes:
        raise AssertionError("a PDF was given: nothing to render")

    config = EmailContentConfig(Brand(school_name="SalsaNor Oslo"), reply_to=None)
    given = JinjaEmailContent(config, render_pdf).ticket_email(
        document(), "tom@example.no", ISSUED, pdf=b"%PDF-kept"
    )
    rendered = content().ticket_email(document(), "tom@example.no", ISSUED, pdf=None)

    assert [a.data for a in given.message.attachments] == [b"%PDF-kept"] == [given.pdf]
    assert [a.data for a in rendered.message.attachments] == [rendered.pdf]
    assert rendered.pdf == b"%PDF-1.4 " + TOKEN.encode()


@pytest.mark.parametrize(
    ("reason", "subject", "says"),
    [
        ("rotated", "Your new ticket for Fall 2026", "no longer"),
        ("resend-7", "Your ticket for Fall 2026 (sent again)", "again"),
    ],
)
def test_rotations_and_resends_say_why(reason: str, subject: str, says: str) -> None:
    message = (
        content()
        .ticket_email(document(), "tom@example.no", EmailReason.parse(reason), pdf=None)
        .message
    )
    assert message.subject == subject
    assert says in message.text and says in message.html


def test_the_mime_tree_is_what_mail_clients_expect() -> None:
    message = content().ticket_email(document(), "Åse <ase@example.no>", ISSUED, pdf=None).message
    raw = message_bytes(mime_message(message, "SalsaNor <tickets@salsanor.no>"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)

    assert b"\r\n" in raw and raw.isascii()  # SMTP-ready: CRLF, 7-bit headers (RFC 2047)
    assert parsed["From"] == "SalsaNor <tickets@salsanor.no>"
    assert parsed["Reply-To"] == "kurs@salsanor.no"
    assert parsed["Message-ID"].endswith("@salsanor.no>")
    tree = [(p.get_content_type(), p.get_content_disposition()) for p in parsed.walk()]
    assert tree == [
        ("multipart/mixed", None),
        ("multipart/alternative", None),
        ("text/plain", None),
        ("multipart/related", None),
        ("text/html", None),
        ("image/png", "inline"),
        ("application/pdf", "attachment"),
    ]


def test_the_file_mailer_writes_one_complete_eml_per_email(tmp_path: Path) -> None:
    mailer = FileMailer(FileMailerConfig(tmp_path / "outbox", "tickets@salsanor.no"))
    message = EmailMessage(to="a@example.no", subject="Hei", text="Hei på deg", html="<p>Hei</p>")

    ids = [mailer.send(message), mailer.send(message)]

    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no partial file left behind
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"].strip("<>") == ids[0] and ids[0] != ids[1]
    assert parsed.get_body(("plain",)).get_content().strip() == "Hei på deg"  # type: ignore[union-attr]


def test_an_email_made_ahead_for_the_sender_is_sent_as_it_was_made(tmp_path: Path) -> None:
    sender = "SalsaNor <tickets@salsanor.no>"
    message = content().ticket_email(document(), "ase@example.no", ISSUED, pdf=None).message
    wire = wire_form(message, sender)
    parsed = email.message_from_bytes(wire.data, policy=email.policy.default)
    assert parsed["Message-ID"].strip("<>") == wire.message_id
    for part in parsed.walk():  # chosen boundaries: each only where it separates parts
        if part.is_multipart():
            boundary = part.get_boundary()
            assert boundary is not None
            parts = len(part.get_payload())  # type: ignore[arg-type]
            # In its Content-Type, before each part, and at the end.
            assert wire.data.count(boundary.encode()) == parts + 2

    ahead = replace(message, wire=wire)
    sent_id = FileMailer(FileMailerConfig(tmp_path / "a", sender)).send(ahead)
    other_id = FileMailer(FileMailerConfig(tmp_path / "b", "Other <x@example.no>")).send(ahead)

    [same] = (tmp_path / "a").iterdir()
    assert same.read_bytes() == wire.data and sent_id == wire.message_id
    [made] = (tmp_path / "b").iterdir()  # another sender: made again, with its From
    redone = email.message_from_bytes(made.read_bytes(), policy=email.policy.default)
    assert redone["From"] == "Other <x@example.no>" and other_id != sent_id


def test_an_unwritable_outbox_is_a_temporary_error(tmp_path: Path) -> None:
    (tmp_path / "outbox").write_text("a file where the folder should be")
    mailer = FileMailer(FileMailerConfig(tmp_path / "outbox", "tickets@salsanor.no"))
    with pytest.raises(TemporaryEmailError):
        mailer.send(EmailMessage(to="a@example.no", subject="s", text="t", html="h"))


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (421, TemporaryEmailError),
        (451, TemporaryEmailError),
        (535, TemporaryEmailError),  # our credentials: fixed by an operator, then it goes
        (550, PermanentEmailError),
        (554, PermanentEmailError),
    ],
)
def test_smtp_replies_map_to_temporary_or_permanent(code: int, error: type[Exception]) -> None:
    assert isinstance(_error_of(code, "refused"), error)


def test_an_unreachable_smtp_server_is_temporary() -> None:
    mailer = SmtpMailer(SmtpConfig("smtp://127.0.0.1:9", "t@salsanor.no", timeout_seconds=2))
    with pytest.raises(TemporaryEmailError):
        mailer.send(EmailMessage(to="a@example.no", subject="s", text="t", html="h"))


def test_the_smtp_password_is_not_in_the_config_repr() -> None:
    config = SmtpConfig("smtps://user:hunter2@mail.example:465", "t@salsanor.no")
    assert "hunter2" not in repr(config) and "***" in config.redacted_url


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("MessageRejected", 400, PermanentEmailError),
        ("SendingPaused", 400, PermanentEmailError),
        ("AccountSuspended", 400, PermanentEmailError),
        ("TooManyRequestsException", 429, TemporaryEmailError),
        ("InternalFailure", 500, TemporaryEmailError),
    ],
)
def test_ses_errors_map_to_temporary_or_permanent(
    code: str, status: int, error: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mailer = SesMailer(SesConfig("t@salsanor.no", "eu-north-1"))
    with Stubber(mailer._client) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
        with pytest.raises(error):
            mailer.send(EmailMessage(to="a@example.no", subject="s", text="t", html="h"))


def test_the_alert_email_and_webhook_refuse_bad_configuration() -> None:
    alert = AlertNotice(
        alert_id=TICKET,
        kind="email_failed",
        severity="critical",
        message="it <failed>",
        subject="x",
        created_at=datetime(2026, 9, 1, tzinfo=UTC),
    )
    message = content().alert_email(alert, "admin@salsanor.no")
    assert message.subject == "[SalsaNor Oslo \u2013 billettsystemet] kritisk varsel: email_failed"
    assert "it &lt;failed&gt;" in message.html and "it <failed>" in message.text
    with pytest.raises(ValueError, match="http"):
        WebhookAlertChannel(WebhookConfig("file:///etc/passwd"))
    assert "hooks.slack" not in repr(WebhookConfig("https://hooks.slack.com/services/T/B/X"))


def test_email_settings_come_from_the_environment_and_fail_naming_the_variable() -> None:
    settings = EmailSettings.from_env(
        {"EMAIL_BACKEND": "SMTP", "SMTP_URL": "smtps://u:p@mail:465", "EMAIL_MAX_ATTEMPTS": "3"}
    )
    assert (settings.backend, settings.max_attempts) == ("smtp", 3)
    assert "u:p" not in repr(settings)
    assert EmailSettings.from_env({}).outbox_dir == Path("var/outbox")
    for env, named in [
        ({"EMAIL_BACKEND": "pigeon"}, "EMAIL_BACKEND"),
        ({"EMAIL_BACKEND": "smtp"}, "SMTP_URL"),
        ({"EMAIL_MAX_ATTEMPTS": "many"}, "EMAIL_MAX_ATTEMPTS"),
        ({"EMAIL_RETRY_SECONDS": "-1"}, "EMAIL_RETRY_SECONDS"),
        ({"ALERT_WEBHOOK_URL": "ftp://x"}, "ALERT_WEBHOOK_URL"),
    ]:
        with pytest.raises(SettingsError, match=named):
            EmailSettings.from_env(env)
    with pytest.raises(SettingsError, match="EMAIL_BACKEND"):
        Settings.from_env({**SETTINGS_ENV, "EMAIL_BACKEND": "fax"})
