"""The payment provider's port: Checkout sessions out, verified webhook notices in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain.payment import DeliveryOutcome


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


class WebhookMeter(Protocol):
    """Counts each Stripe delivery by what became of it (the webhook's one use case reports)."""

    def refused(self) -> None:
        """A delivery whose signature or body did not verify."""
        ...

    def handling_failed(self, event_type: str) -> None:
        """A verified event whose handling failed (Stripe retries it)."""
        ...

    def applied(self, notice: StripeNotice, outcome: DeliveryOutcome | None) -> None:
        """A verified event and what it did (None: nothing new, or a type not handled)."""
        ...
