"""The Order aggregate: registrations bought together, and the payment that activates them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.period import Period
from domain.shared import Cause, DomainError, stable_id

ROLES = ("leader", "follower")


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


class RegistrationStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"


class InvalidOrder(DomainError):
    """Raised when an order has no registrations, a duplicate one, or an unknown role."""


class PaymentMismatch(DomainError):
    """Raised when a payment's amount or currency differs from the order's total."""


class OrderNotPayable(DomainError):
    """Raised when a payment arrives for an order that is not pending (paid, refunded...)."""


class OrderNotRefundable(DomainError):
    """Raised when a refund is recorded for an order that is not paid (or refunded already)."""


@dataclass(frozen=True)
class Registration:
    registration_id: UUID
    person_id: UUID
    track_code: str
    role: str | None
    price_cents: int


@dataclass(frozen=True)
class RequestedRegistration:
    """What a purchaser asks for; the price is the period's, never the client's."""

    person_id: UUID
    track_code: str
    role: str | None


class Order(Aggregate):
    TOPIC = "tickets:Order"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Order.Created"

    class Placed(Created):
        TOPIC = "tickets:Order.Placed"
        purchaser_person_id: UUID
        period_id: UUID
        period_code: str
        registrations: tuple[Registration, ...]
        total_cents: int
        currency: str

    class CheckoutStarted(Event):
        TOPIC = "tickets:Order.CheckoutStarted"
        session_id: str
        checkout_url: str

        def apply(self, aggregate: Any) -> None:
            aggregate.checkout_session_id = self.session_id
            aggregate.checkout_url = self.checkout_url

    class PaymentReceived(Event):
        TOPIC = "tickets:Order.PaymentReceived"
        stripe_event_id: str
        payment_intent_id: str | None
        amount_cents: int
        currency: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = OrderStatus.PAID
            aggregate.payment_intent_id = self.payment_intent_id

    class RegistrationsActivated(Event):
        TOPIC = "tickets:Order.RegistrationsActivated"
        registration_ids: tuple[UUID, ...]

        def apply(self, aggregate: Any) -> None:
            for registration_id in self.registration_ids:
                aggregate.registration_status[registration_id] = RegistrationStatus.ACTIVE

    class Refunded(Event):
        TOPIC = "tickets:Order.Refunded"
        stripe_event_id: str
        payment_intent_id: str | None
        amount_refunded_cents: int
        currency: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = OrderStatus.REFUNDED

    class RegistrationsCancelled(Event):
        TOPIC = "tickets:Order.RegistrationsCancelled"
        registration_ids: tuple[UUID, ...]
        reason: str

        def apply(self, aggregate: Any) -> None:
            for registration_id in self.registration_ids:
                aggregate.registration_status[registration_id] = RegistrationStatus.CANCELLED

    def __init__(
        self,
        cause: Cause,
        purchaser_person_id: UUID,
        period_id: UUID,
        period_code: str,
        registrations: tuple[Registration, ...],
        total_cents: int,
        currency: str,
    ) -> None:
        self.purchaser_person_id = purchaser_person_id
        self.period_id = period_id
        self.period_code = period_code
        self.registrations = registrations
        self.total_cents = total_cents
        self.currency = currency
        self.status = OrderStatus.PENDING
        self.registration_status = {
            r.registration_id: RegistrationStatus.PENDING for r in registrations
        }
        self.checkout_session_id: str | None = None
        self.checkout_url: str | None = None
        self.payment_intent_id: str | None = None

    @classmethod
    def place(
        cls,
        *,
        period: Period,
        purchaser_person_id: UUID,
        requested: tuple[RequestedRegistration, ...],
        cause: Cause,
    ) -> Order:
        if not requested:
            raise InvalidOrder("an order needs at least one registration")
        seen: set[tuple[UUID, str]] = set()
        registrations = []
        for wish in requested:
            if wish.role is not None and wish.role not in ROLES:
                raise InvalidOrder(f"role must be one of {', '.join(ROLES)} or null")
            if (wish.person_id, wish.track_code) in seen:
                raise InvalidOrder(f"track {wish.track_code} is registered twice for one person")
            seen.add((wish.person_id, wish.track_code))
            track = period.track(wish.track_code)
            registrations.append(
                Registration(uuid4(), wish.person_id, track.code, wish.role, track.price_cents)
            )
        return cls._create(
            cls.Placed,
            id=uuid4(),
            cause=cause,
            purchaser_person_id=purchaser_person_id,
            period_id=period.id,
            period_code=period.code,
            registrations=tuple(registrations),
            total_cents=sum(r.price_cents for r in registrations),
            currency=period.currency,
        )

    def start_checkout(self, *, session_id: str, checkout_url: str, cause: Cause) -> None:
        self.trigger_event(
            self.CheckoutStarted, session_id=session_id, checkout_url=checkout_url, cause=cause
        )

    @property
    def is_paid(self) -> bool:
        return self.status is not OrderStatus.PENDING

    def check_payment(self, amount_cents: int, currency: str) -> None:
        if amount_cents != self.total_cents or currency.upper() != self.currency:
            raise PaymentMismatch(
                f"paid {amount_cents} {currency.upper()}, "
                f"order total is {self.total_cents} {self.currency}"
            )

    def receive_payment(
        self,
        *,
        stripe_event_id: str,
        payment_intent_id: str | None,
        amount_cents: int,
        currency: str,
        cause: Cause,
    ) -> None:
        if self.status is not OrderStatus.PENDING:
            raise OrderNotPayable(f"order is {self.status}")
        self.check_payment(amount_cents, currency)
        self.trigger_event(
            self.PaymentReceived,
            stripe_event_id=stripe_event_id,
            payment_intent_id=payment_intent_id,
            amount_cents=amount_cents,
            currency=currency.upper(),
            cause=cause,
        )
        self.trigger_event(
            self.RegistrationsActivated,
            registration_ids=tuple(r.registration_id for r in self.registrations),
            cause=cause,
        )

    def record_refund(
        self,
        *,
        stripe_event_id: str,
        payment_intent_id: str | None,
        amount_refunded_cents: int,
        currency: str,
        cause: Cause,
    ) -> None:
        """Records a full refund of the payment; the registrations are cancelled separately."""
        if self.status is not OrderStatus.PAID:
            raise OrderNotRefundable(f"order is {self.status}")
        self.trigger_event(
            self.Refunded,
            stripe_event_id=stripe_event_id,
            payment_intent_id=payment_intent_id,
            amount_refunded_cents=amount_refunded_cents,
            currency=currency.upper(),
            cause=cause,
        )

    def cancel_registrations(self, *, reason: str, cause: Cause) -> tuple[UUID, ...]:
        """Cancels every registration not cancelled yet; returns their ids."""
        ids = tuple(
            r.registration_id
            for r in self.registrations
            if self.registration_status[r.registration_id] is not RegistrationStatus.CANCELLED
        )
        if ids:
            self.trigger_event(
                self.RegistrationsCancelled, registration_ids=ids, reason=reason, cause=cause
            )
        return ids

    def registrations_of(self, person_id: UUID) -> tuple[Registration, ...]:
        return tuple(r for r in self.registrations if r.person_id == person_id)

    def persons(self) -> tuple[UUID, ...]:
        """The distinct persons of the order, in the order they were registered."""
        return tuple(dict.fromkeys(r.person_id for r in self.registrations))


class OrderPaymentIntent(Aggregate):
    """Index aggregate: finds the order a Stripe payment intent paid (refunds name only that)."""

    TOPIC = "tickets:OrderPaymentIntent"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:OrderPaymentIntent.Created"

    class Linked(Created):
        TOPIC = "tickets:OrderPaymentIntent.Linked"
        payment_intent_id: str
        order_id: UUID

    def __init__(self, cause: Cause, payment_intent_id: str, order_id: UUID) -> None:
        self.payment_intent_id = payment_intent_id
        self.order_id = order_id

    @staticmethod
    def id_for(payment_intent_id: str) -> UUID:
        return stable_id("payment-intent", payment_intent_id)

    @classmethod
    def link(cls, payment_intent_id: str, order_id: UUID, cause: Cause) -> OrderPaymentIntent:
        return cls._create(
            cls.Linked,
            id=cls.id_for(payment_intent_id),
            cause=cause,
            payment_intent_id=payment_intent_id,
            order_id=order_id,
        )
