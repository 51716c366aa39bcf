"""The outbound ports of the application: what it needs from the world, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID


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


class TokenSigner(Protocol):
    def sign(self, claims: TokenClaims) -> str:
        """The signed QR token for these claims; deterministic for equal claims and keys."""
        ...

    def verify(self, token: str) -> TokenClaims:
        """The claims of a token this service signed; raises InvalidToken or ExpiredToken."""
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
    """A Stripe ``charge.refunded`` event."""

    event_id: str
    event_type: str
    order_ref: str | None
    payment_intent_id: str | None
    amount_cents: int
    amount_refunded_cents: int
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


class IdentityVerifier(Protocol):
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


class AlertSink(Protocol):
    def notify(self, alerts: Sequence[AlertNotice]) -> None:
        """Tells admins about recorded alerts; must not raise (alerts never block work)."""
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
    def render_pdf(self, document: TicketDocument) -> bytes:
        """The printable ticket as a PDF, its QR code that of ``document.token``."""
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
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str
    inline_images: tuple[InlineImage, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None


class TemporaryEmailError(Exception):
    """Raised when the provider may accept the message later (throttling, outage)."""


class PermanentEmailError(Exception):
    """Raised when the provider will never accept this message (rejected address...)."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Sends the message; returns the provider's message id."""
        ...
