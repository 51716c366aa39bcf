"""The emails' ports: their content, the mailer that sends them and the meter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from application.alerts.ports import AlertNotice
from application.tickets.ports import TicketDocument


@dataclass(frozen=True)
class InlineImage:
    content_id: str
    data: bytes
    mime_type: str = "image/png"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class WireForm:
    """An email as the RFC 5322 bytes a mailer sends, made beforehand for ``sender``."""

    sender: str
    message_id: str
    data: bytes


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str
    inline_images: tuple[InlineImage, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    language: str | None = None  # its Content-Language (``nb``, ``en``)
    # Made ahead where the email was rendered (a render process), so that the sending process
    # does not make it again; a mailer with another sender makes its own.
    wire: WireForm | None = None


class TemporaryEmailError(Exception):
    """Raised when the provider may accept the message later (throttling, outage)."""


class PermanentEmailError(Exception):
    """Raised when the provider will never accept this message (rejected address...)."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Sends the message; returns the provider's message id."""
        ...


class EmailKind(StrEnum):
    """What a ticket email says: a first ticket, a new token, or the same ticket again."""

    ISSUED = "issued"
    ROTATED = "rotated"
    RESEND = "resend"
    REVOKED = "revoked"  # the ticket no longer works: no QR code, no PDF


@dataclass(frozen=True)
class RevocationNotice:
    """What the holder of a revoked ticket is told: which ticket, why, in their language."""

    ticket_id: UUID
    person_name: str
    period_name: str
    locale: str
    refunded: bool  # else cancelled by the school
    reason: str | None  # the admin's, when the school cancelled it


@dataclass(frozen=True)
class EmailReason:
    """Why a ticket email goes out; with the ticket and token version, its idempotency key.

    A resend names the request (the ticket's version when it was asked for): each request is
    its own email. Recorded events keep the reason as its text (``issued``, ``resend-7``):
    ``str()`` and ``parse`` convert at the edges.
    """

    kind: EmailKind
    # A resend's: the ticket version of the request; a revocation's: of the revocation.
    request_version: int | None = None

    @classmethod
    def resend(cls, request_version: int) -> EmailReason:
        return cls(EmailKind.RESEND, request_version)

    @classmethod
    def revoked(cls, revocation_version: int) -> EmailReason:
        return cls(EmailKind.REVOKED, revocation_version)

    @classmethod
    def parse(cls, text: str) -> EmailReason:
        kind, _, version = text.partition("-")
        return cls(EmailKind(kind), int(version) if version else None)

    def __str__(self) -> str:
        if self.request_version is None:
            return self.kind.value
        return f"{self.kind.value}-{self.request_version}"


@dataclass(frozen=True)
class TicketEmail:
    """A ticket email as rendered, and the ticket's PDF it attaches: the PDF it was given, or
    one rendered with it, which the caller keeps for the downloads (the same bytes)."""

    message: EmailMessage
    pdf: bytes


class EmailContent(Protocol):
    """Writes the emails: templates, the inline QR code, the attached PDF.

    It renders what it is given and asks nothing back: ``pdf`` is the document's PDF when the
    caller has it (rendered before, for a download or an earlier email); without it the PDF
    is rendered with the email, where the email is rendered.
    """

    def ticket_email(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> TicketEmail:
        """The ticket email for ``document`` (its current token), saying why it is sent."""
        ...

    def ticket_email_soon(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> Callable[[], TicketEmail]:
        """The same email, rendered meanwhile where it can be (other processes): calling the
        result waits for it. The worker asks for the next emails while it sends this one."""
        ...

    def alert_email(self, alert: AlertNotice, to: str) -> EmailMessage:
        """An admin alert as an email."""
        ...

    def revocation_email(self, notice: RevocationNotice, to: str) -> EmailMessage:
        """Tells the holder their ticket no longer works, and why."""
        ...


class EmailMeter(Protocol):
    """Counts ticket emails for operators: sent by kind, failed by reason."""

    def sent(self, kind: str) -> None:
        """One email went out; ``kind`` is issued, rotated, resend or revoked."""
        ...

    def failed(self, reason: str) -> None:
        """One attempt failed: provider_unavailable, rejected, no_address or error."""
        ...
