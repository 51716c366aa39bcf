"""The outbound ports of the application: what it needs from the world, as Protocols."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain.period import TrackNames


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


# --- QR tokens ---------------------------------------------------------------------------


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


# --- Payments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutLine:
    name: str
    amount_cents: int


@dataclass(frozen=True)
class CheckoutRequest:
    order_id: UUID
    currency: str
    lines: tuple[CheckoutLine, ...]
    customer_email: str | None
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str


@dataclass(frozen=True)
class PaymentConfirmed:
    """A Stripe event saying that an order's money has arrived."""

    event_id: str
    event_type: str
    order_ref: str | None  # metadata.orderId, else client_reference_id: unchecked text
    payment_intent_id: str | None
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class RefundReported:
    """A Stripe ``charge.refunded`` event: a refund of the payment (intent) the charge took."""

    event_id: str
    event_type: str
    order_ref: str | None  # the charge's metadata.orderId: unchecked text, rarely there
    payment_intent_id: str | None  # the payment refunded: the only thing a refund acts on
    charge_amount_cents: int  # what the charge took: says nothing of what the order cost
    amount_refunded_cents: int  # refunded of that charge in all, this refund and earlier ones
    currency: str


@dataclass(frozen=True)
class IgnoredNotice:
    """A well-signed Stripe event that needs nothing from us (or not yet: unpaid sessions)."""

    event_id: str
    event_type: str


StripeNotice = PaymentConfirmed | RefundReported | IgnoredNotice


class InvalidWebhook(Exception):
    """Raised when a webhook's signature is missing, wrong or stale, or its body no event."""


class PaymentGatewayError(Exception):
    """Raised when the payment provider cannot be reached or refuses a request."""


@runtime_checkable  # the HTTP routes receive it by dependency injection, which checks types
class PaymentGateway(Protocol):
    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession | None:
        """A hosted checkout for the order, or None when online payment is not configured."""
        ...

    def parse_webhook(self, payload: bytes, signature: str | None) -> StripeNotice:
        """The verified notice in a webhook's raw body; raises InvalidWebhook."""
        ...


# --- Identity ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as the identity provider describes them."""

    user_id: str
    email: str | None = None
    name: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class Unauthenticated(Exception):
    """Raised when a bearer token is missing, malformed, expired or not from our provider."""


@runtime_checkable  # the HTTP routes receive it by dependency injection, which checks types
class IdentityVerifier(Protocol):
    # True when a verification may wait on I/O (an identity provider's keys to fetch): then it
    # is called off the event loop.
    blocks: bool

    def verify(self, bearer_token: str) -> Principal:
        """The principal a bearer token speaks for; raises Unauthenticated."""
        ...


# --- Alerts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertNotice:
    alert_id: UUID
    kind: str
    severity: str
    message: str
    subject: str | None
    created_at: datetime
    state: str = "open"  # or "acknowledged"


class AlertDeliveryError(Exception):
    """Raised when an alert could not be delivered to a channel now (it is tried again)."""


class AlertChannel(Protocol):
    """Somewhere admins hear about alerts: the log at once, an inbox or a chat webhook later."""

    name: str  # stable: it keys the record that the alert went there

    def deliver(self, alert: AlertNotice) -> None:
        """Delivers one alert; raises AlertDeliveryError (the log channel never raises)."""
        ...


@dataclass(frozen=True)
class AlertQuery:
    """A page of the alert list: newest first, after ``before`` (a position) when given."""

    limit: int
    kind: str | None = None
    state: str | None = None
    since: datetime | None = None  # created at or after
    before: int | None = None  # only alerts recorded before this position (the cursor)


@dataclass(frozen=True)
class ListedAlert:
    alert: AlertNotice
    position: int  # the notification id of its Raised event: orders the list, makes cursors


class AlertListing(Protocol):
    """The alert list read model's query side (kept by the worker; may lag a moment)."""

    def page(self, query: AlertQuery) -> list[ListedAlert]:
        """Up to ``query.limit`` alerts matching the query, newest (highest position) first."""
        ...


# --- Ticket documents and links ------------------------------------------------------------


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


# --- Email ---------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class EmailReason:
    """Why a ticket email goes out; with the ticket and token version, its idempotency key.

    A resend names the request (the ticket's version when it was asked for): each request is
    its own email. Recorded events keep the reason as its text (``issued``, ``resend-7``):
    ``str()`` and ``parse`` convert at the edges.
    """

    kind: EmailKind
    request_version: int | None = None  # a resend's: the ticket version of the request

    @classmethod
    def resend(cls, request_version: int) -> EmailReason:
        return cls(EmailKind.RESEND, request_version)

    @classmethod
    def parse(cls, text: str) -> EmailReason:
        kind, _, version = text.partition("-")
        return cls(EmailKind(kind), int(version) if version else None)

    def __str__(self) -> str:
        if self.request_version is None:
            return self.kind.value
        return f"{self.kind.value}-{self.request_version}"


class EmailContent(Protocol):
    """Writes the emails: templates, the inline QR code, the attached PDF."""

    def ticket_email(self, document: TicketDocument, to: str, reason: EmailReason) -> EmailMessage:
        """The ticket email for ``document`` (its current token), saying why it is sent."""
        ...

    def ticket_email_soon(
        self, document: TicketDocument, to: str, reason: EmailReason
    ) -> Callable[[], EmailMessage]:
        """The same email, rendered meanwhile where it can be (other processes): calling the
        result waits for it. The worker asks for the next emails while it sends this one."""
        ...

    def alert_email(self, alert: AlertNotice, to: str) -> EmailMessage:
        """An admin alert as an email."""
        ...


# --- The worker's storage and wake-ups ------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """Work a follower queued (an email to send...), kept until done, so a crash loses none."""

    key: str  # unique per follower: queuing the same key again changes nothing
    data: dict[str, str]
    attempts: int  # failed attempts so far


class FollowerStore(Protocol):
    """Followers' positions in the log and their pending jobs, in the event store's database."""

    def position(self, follower: str) -> int:
        """The last notification id the follower has handled; 0 if none."""
        ...

    def advance(
        self, follower: str, position: int, jobs: Sequence[tuple[str, dict[str, str]]] = ()
    ) -> None:
        """Queues the jobs (keys already queued or done are ignored) and records the position,
        in one transaction."""
        ...

    def due(self, follower: str, now: datetime, limit: int) -> list[Job]:
        """Pending jobs whose time has come, oldest first."""
        ...

    def claim(self, follower: str, key: str) -> bool:
        """Marks a pending job as being done (for at-most-once work); False if it is not pending."""
        ...

    def retry_at(self, follower: str, key: str, when: datetime) -> None:
        """Counts a failed attempt and puts the job back as pending until ``when``."""
        ...

    def done(self, follower: str, *keys: str) -> None:
        """Finishes jobs, in one transaction: never run again, and queuing a key again does
        nothing."""
        ...

    def abandon_claimed(self, follower: str) -> list[str]:
        """Finishes jobs claimed by a run that died; returns their keys (for the log)."""
        ...

    def pending_count(self, follower: str) -> int:
        """Jobs not done yet: due now, or waiting for a retry."""
        ...

    def close(self) -> None: ...


class Wakeup(Protocol):
    """Wakes the worker when events may have been recorded."""

    def wait(self, timeout: float) -> bool:
        """True on a notification from the store; False after ``timeout`` seconds without."""
        ...

    def close(self) -> None: ...


class FollowerLocks(Protocol):
    """One worker at a time runs each follower, however many workers share the database."""

    def try_acquire(self, follower: str) -> bool:
        """True if this process holds (or now took) the follower's lock."""
        ...

    def release_all(self) -> None: ...


# --- Door scans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanEntry:
    """What the scan index knows of a ticket: enough to answer most scans without the store.

    It may lag behind the event store, never run ahead of it.
    """

    ticket_id: UUID
    active: bool
    token_version: int
    token_hash: str
    period_code: str
    timezone: str
    person_name: str
    tracks: TrackNames  # of the covered registrations
    last_check_in_date: date | None  # in the period's timezone
    last_check_in_at: datetime | None  # the first check-in of that date


@dataclass(frozen=True)
class TicketChange:
    """A ticket revoked or rotated: what an offline door must know to refuse its old tokens."""

    ticket_id: UUID
    active: bool
    token_version: int  # the current one: older versions are superseded
    changed_at: datetime | None
    position: int  # in the log: the cursor of the incremental feed


@dataclass(frozen=True)
class Attendee:
    """A ticket checked in on a class day: who, when, by which door."""

    ticket_id: UUID
    person_id: UUID
    name: str
    local_date: date  # the class day, in the period's timezone
    checked_in_at: datetime
    device_id: str | None
    tracks: TrackNames  # the ticket covered that day
    manual: bool


class ScanIndex(Protocol):
    def lookup(self, ticket_id: UUID) -> ScanEntry | None:
        """The ticket as far as the index has followed the log; None if not (yet) known."""
        ...

    def period_entries(self, period_code: str) -> list[ScanEntry]:
        """Every ticket of the period the index knows (a period holds hundreds, not millions)."""
        ...

    def changes(self, period_code: str, since: int, limit: int) -> list[TicketChange]:
        """The period's tickets revoked or rotated after position ``since``, oldest first."""
        ...

    def attendance(self, period_code: str, day: date | None = None) -> list[Attendee]:
        """The period's check-ins, one per ticket and class day (on ``day`` only, if given)."""
        ...


class ScanMeter(Protocol):
    def count(self, result: str) -> None:
        """Counts one scan by its result word (operators watch the failures)."""
        ...


class EmailMeter(Protocol):
    """Counts ticket emails for operators: sent by kind, failed by reason."""

    def sent(self, kind: str) -> None:
        """One email went out; ``kind`` is issued, rotated or resend."""
        ...

    def failed(self, reason: str) -> None:
        """One attempt failed: provider_unavailable, rejected, no_address or error."""
        ...


# --- Door devices --------------------------------------------------------------------------


class DeviceActivity(Protocol):
    """When each door device was last seen: not an event (a scan a second would flood the log)."""

    def seen(self, device_id: UUID, at: datetime) -> None:
        """Records that the device made a request at ``at`` (a later time wins)."""
        ...

    def last_seen(self) -> dict[UUID, datetime]:
        """The last time each device was seen."""
        ...

    def close(self) -> None: ...
