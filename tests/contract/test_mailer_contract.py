"""Mailer contract: the fake, the file outbox, SMTP (aiosmtpd) and SES (moto) keep one promise."""

from __future__ import annotations

import email.message
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from adapters.email.outbox import FileMailer, FileMailerConfig
from adapters.email.ses import SesConfig, SesMailer
from adapters.email.smtp import SmtpConfig, SmtpMailer
from application.emails.ports import (
    Attachment,
    EmailMessage,
    InlineImage,
    Mailer,
    PermanentEmailError,
    TemporaryEmailError,
)
from tests.support.email_fakes import FakeMailer
from tests.support.email_support import (
    SES_SENDER,
    SesServer,
    SmtpServer,
    outbox,
    parse,
    running_ses_server,
    running_smtp_server,
)
from tests.support.service import free_port

SENDER = "SalsaNor <tickets@salsanor.no>"
MESSAGE = EmailMessage(
    to="aase@example.no",
    subject="Billetten din: Høst 2026, Salsa 1",
    text="Hei Åse!\nBilletten din er vedlagt.",
    html='<p>Hei Åse!</p><img src="cid:qr-1@tickets">',
    inline_images=(InlineImage("qr-1@tickets", b"\x89PNG\r\n\x1a\n-qr-image"),),
    attachments=(Attachment("billett-aase.pdf", b"%PDF-1.7\n-the-ticket\n%%EOF"),),
    reply_to="kurs@salsanor.no",
)


@dataclass(frozen=True)
class Delivered:
    """An email as its recipient's side got it, in the port's terms."""

    message_id: str  # the id the provider knows it by
    recipients: tuple[str, ...]
    message: EmailMessage


class Outlet(Protocol):
    """A mailer and what is on the far side of it."""

    mailer: Mailer

    def delivered(self) -> list[Delivered]: ...

    def break_down(self) -> None:
        """Makes the provider unavailable for the next send (an outage)."""
        ...


def _from_mime(mime: email.message.EmailMessage) -> EmailMessage:
    """Reads a delivered MIME email back into the port's message."""
    text = html = ""
    images: list[InlineImage] = []
    attachments: list[Attachment] = []
    for part in mime.walk():
        if part.is_multipart():
            continue
        assert isinstance(part, email.message.EmailMessage)
        kind = part.get_content_type()
        if part.get_content_disposition() == "attachment":
            attachments.append(Attachment(str(part.get_filename()), part.get_content(), kind))
        elif kind == "text/plain":
            text = part.get_content()
        elif kind == "text/html":
            html = part.get_content()
        else:
            images.append(
                InlineImage(str(part["Content-ID"]).strip("<>"), part.get_content(), kind)
            )
    return EmailMessage(
        to=str(mime["To"]),
        subject=str(mime["Subject"]),
        # MIME text parts end with a line break and travel with CRLF: not the sender's doing.
        text=text.replace("\r\n", "\n").removesuffix("\n"),
        html=html.replace("\r\n", "\n").removesuffix("\n"),
        inline_images=tuple(images),
        attachments=tuple(attachments),
        reply_to=str(mime["Reply-To"]) if mime["Reply-To"] else None,
    )


def _id_of(mime: email.message.EmailMessage) -> str:
    return str(mime["Message-ID"]).strip("<>")


@dataclass
class FakeOutlet:
    mailer: FakeMailer = field(default_factory=FakeMailer)

    def delivered(self) -> list[Delivered]:
        # The fake's ids are its count of sent emails: msg-1, msg-2...
        return [
            Delivered(f"msg-{number}", (message.to,), message)
            for number, message in enumerate(self.mailer.sent, start=1)
        ]

    def break_down(self) -> None:
        self.mailer.temporary_failures = 1


@dataclass
class FileOutlet:
    folder: Path
    mailer: FileMailer = field(init=False)

    def __post_init__(self) -> None:
        self.mailer = FileMailer(FileMailerConfig(self.folder / "outbox", SENDER))

    def delivered(self) -> list[Delivered]:
        emails = outbox(self.folder / "outbox") if (self.folder / "outbox").exists() else []
        return [Delivered(_id_of(mime), (str(mime["To"]),), _from_mime(mime)) for mime in emails]

    def break_down(self) -> None:
        # The outbox path taken by a file: the disk refuses the write, as when it is full.
        self.mailer = FileMailer(FileMailerConfig(self.folder / "not-a-folder", SENDER))
        (self.folder / "not-a-folder").write_text("in the way")


@dataclass
class SmtpOutlet:
    server: SmtpServer
    mailer: SmtpMailer = field(init=False)

    def __post_init__(self) -> None:
        self.mailer = SmtpMailer(SmtpConfig(self.server.url, SENDER, timeout_seconds=5))

    def delivered(self) -> list[Delivered]:
        return [
            Delivered(_id_of(mime), tuple(envelope.rcpt_tos), _from_mime(mime))
            for envelope, mime in self.server.received
        ]

    def break_down(self) -> None:
        self.server.refuse = self.server.refused + 1  # 451 to the next DATA


@dataclass
class SesOutlet:
    server: SesServer
    mailer: SesMailer = field(init=False)
    already: int = 0  # moto keeps the messages of earlier tests: those are not ours

    def __post_init__(self) -> None:
        self.mailer = SesMailer(SesConfig(SES_SENDER, "eu-north-1", self.server.url))
        self.already = len(self.server.raw_messages())

    def delivered(self) -> list[Delivered]:
        return [
            Delivered(
                str(sent["id"]),
                # moto lists the To header's addresses besides the envelope's: one recipient.
                tuple(dict.fromkeys(sent["destinations"])),
                _from_mime(parse(str(sent["raw_data"]).encode())),
            )
            for sent in self.server.raw_messages()[self.already :]
        ]

    def break_down(self) -> None:
        # Nothing listens at the endpoint: SES is unreachable.
        self.mailer = SesMailer(
            SesConfig(SES_SENDER, "eu-north-1", f"http://127.0.0.1:{free_port()}")
        )


@pytest.fixture(scope="module")
def ses_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SesServer]:
    # One moto server for the module: it takes seconds to start.
    folder = tmp_path_factory.mktemp("moto")
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        running_ses_server(monkeypatch, folder) as server,
    ):
        yield server


@pytest.fixture(
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("file", marks=pytest.mark.unit),
        pytest.param("smtp", marks=pytest.mark.integration),
        pytest.param("ses", marks=pytest.mark.integration),
    ]
)
def outlet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outlet]:
    if request.param == "fake":
        yield FakeOutlet()
    elif request.param == "file":
        yield FileOutlet(tmp_path)
    elif request.param == "smtp":
        with running_smtp_server() as server:
            yield SmtpOutlet(server)
    else:
        yield SesOutlet(request.getfixturevalue("ses_server"))


# --- what a sent email carries -----------------------------------------------------------


def test_a_sent_email_reaches_its_recipient_as_written(outlet: Outlet) -> None:
    outlet.mailer.send(MESSAGE)

    [delivered] = outlet.delivered()
    assert delivered.recipients == ("aase@example.no",)
    assert delivered.message == MESSAGE


def test_the_message_id_returned_is_the_one_the_provider_knows(outlet: Outlet) -> None:
    returned = outlet.mailer.send(MESSAGE)

    # Recorded on the ticket: support finds the email in the provider's log by it.
    [delivered] = outlet.delivered()
    assert returned and returned == delivered.message_id


def test_each_email_gets_its_own_message_id(outlet: Outlet) -> None:
    other = EmailMessage(to="kim@example.org", subject="Alert", text="disk full", html="")
    ids = [outlet.mailer.send(MESSAGE), outlet.mailer.send(other), outlet.mailer.send(MESSAGE)]

    assert len(set(ids)) == 3
    assert [d.message_id for d in outlet.delivered()] == ids
    assert [d.recipients for d in outlet.delivered()] == [
        ("aase@example.no",),
        ("kim@example.org",),
        ("aase@example.no",),
    ]


def test_an_email_without_attachments_images_or_reply_to_has_none(outlet: Outlet) -> None:
    plain = EmailMessage(to="kim@example.org", subject="Alert: 3 emails failed", text="x", html="y")
    outlet.mailer.send(plain)

    [delivered] = outlet.delivered()
    assert delivered.message == plain


# --- failures ------------------------------------------------------------------------------


def test_a_provider_outage_is_a_temporary_error_and_delivers_nothing(outlet: Outlet) -> None:
    outlet.break_down()

    # The worker keeps the job and tries again later: nothing may be half sent.
    with pytest.raises(TemporaryEmailError):
        outlet.mailer.send(MESSAGE)
    assert outlet.delivered() == []


@dataclass
class RefusingSmtp(SmtpServer):
    """An SMTP server that has no such mailbox."""

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return "550 5.1.1 No such user here"


@pytest.fixture(
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("smtp", marks=pytest.mark.integration),
        pytest.param("ses", marks=pytest.mark.integration),
    ]
)
def refusing(request: pytest.FixtureRequest) -> Iterator[Mailer]:
    """A mailer whose provider will never take this email (the file outbox takes any)."""
    if request.param == "fake":
        yield FakeMailer(permanent=True)
    elif request.param == "smtp":
        from aiosmtpd.controller import Controller

        server = RefusingSmtp(port=free_port())
        controller = Controller(server, hostname="127.0.0.1", port=server.port)
        controller.start()
        yield SmtpMailer(SmtpConfig(server.url, SENDER, timeout_seconds=5))
        controller.stop()
    else:
        server = request.getfixturevalue("ses_server")
        # SES refuses to send from an address nobody verified.
        yield SesMailer(SesConfig("nobody@unverified.example", "eu-north-1", server.url))


def test_an_email_the_provider_will_never_take_is_a_permanent_error(refusing: Mailer) -> None:
    with pytest.raises(PermanentEmailError):
        refusing.send(MESSAGE)
