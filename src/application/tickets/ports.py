"""The tickets' ports: signing QR tokens, rendering and caching the PDF, signed links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from domain.schedule import ClassSlot


@dataclass(frozen=True)
class TokenClaims:
    """The recorded fields a QR token is derived from: the same fields give the same token."""

    ticket_id: UUID
    period_id: UUID
    person_id: UUID
    version: int
    issued_at: datetime
    expires_at: datetime


class InvalidToken(Exception):
    """Raised when a token is malformed, badly signed, of another issuer or algorithm."""


class ExpiredToken(InvalidToken):
    """Raised when a well-signed token is past its expiry."""

    def __init__(self, message: str, claims: TokenClaims | None = None) -> None:
        super().__init__(message)
        self.claims = claims  # the signature held: the door may say whose ticket it was


class TokenSigner(Protocol):
    def sign(self, claims: TokenClaims) -> str:
        """The signed QR token for these claims; deterministic for equal claims and keys."""
        ...

    def verify(self, token: str) -> TokenClaims:
        """The claims of a token this service signed; raises InvalidToken or ExpiredToken."""
        ...

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys door devices verify tokens with offline; ``{"keys": []}`` when
        tokens are signed with a shared secret (HS256) that must not leave the service."""
        ...


@dataclass(frozen=True)
class TrackClasses:
    """A track of the ticket with its weekly classes (none when the period has no timetable)."""

    code: str
    name: str
    slots: tuple[ClassSlot, ...]


@dataclass(frozen=True)
class TicketDocument:
    """Everything a rendered ticket (PDF, email, web page) shows; the token is the current one."""

    ticket_id: UUID
    token: str
    token_version: int
    person_name: str
    period_code: str
    period_name: str
    start_date: date
    end_date: date
    timezone: str
    location: str | None
    tracks: tuple[str, ...]  # track names, in the order they were registered
    view_url: str
    pdf_url: str
    # The holder's language (``nb``, ``en``): the email's, the PDF's and the web page's. Part
    # of the PDF's cache key with every other field, so two languages' PDFs never mix.
    locale: str
    # The timetable of the ticket's tracks, the days without classes, and how often it changed
    # (the calendar's SEQUENCE): empty for a period without one.
    schedule: tuple[TrackClasses, ...] = ()
    skip_dates: tuple[date, ...] = ()
    schedule_sequence: int = 0

    @property
    def has_schedule(self) -> bool:
        return any(track.slots for track in self.schedule)


class TicketRenderer(Protocol):
    # What besides the document shapes the PDF (branding, layout revision): part of the cache key.
    style: str

    def render_pdf(self, document: TicketDocument) -> bytes:
        """The printable ticket as a PDF, its QR code that of ``document.token``."""
        ...


class PdfCache(Protocol):
    """Rendered ticket PDFs by a digest of what they show: rendered once (usually by the worker
    for the email), then served from here by every API process."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, ticket_id: UUID, key: str, pdf: bytes) -> None:
        """Keeps ``pdf`` under ``key``, forgetting the ticket's older renderings."""
        ...


class TicketLinks(Protocol):
    """Signed links to a ticket that work without a bearer token (emailed, opened at the door)."""

    def view_url(self, ticket_id: UUID, token_version: int) -> str: ...

    def pdf_url(self, ticket_id: UUID, token_version: int) -> str: ...

    def check_view_key(self, ticket_id: UUID, token_version: int, key: str) -> bool: ...
