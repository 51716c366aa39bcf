"""The Order aggregate: registrations bought together, the payment that activates them, and
every payment and refund Stripe reports for it (money is accounted per payment intent)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.payment import PaymentReceipt, RefundEffect
from domain.period import Period
from domain.shared import Cause, DomainError

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
    """Raised when a payment cannot be recorded on the order."""


class PaymentAlreadyRecorded(OrderNotPayable):
    """Raised when a payment's intent is recorded on the order already (the same money, told
    by another Stripe event: a session's completion and its intent's success)."""


class OrderNotRefundable(DomainError):
    """Raised when a refund cannot be recorded on the order."""


class RefundOfUnknownPayment(OrderNotRefundable):
    """Raised when a refund names no payment intent the order recorded, or another currency."""


@dataclass(frozen=True)
class Registration:
    registration_id: UUID
    person_id: UUID
    track_code: str
    role: str | None
    price_cents: int


@dataclass(frozen=True)
class RecordedPayment:
    """Money Stripe reported received for the order, as the event recorded it."""

    stripe_event_id: str
    payment_intent_id: str | None
    amount_cents: int
    currency: str


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
            aggregate.payments.append(
                RecordedPayment(
                    self.stripe_event_id, self.payment_intent_id, self.amount_cents, self.currency
                )
            )

    class ExtraPaymentReceived(Event):
        """Money for an order that was not waiting for it (paid already, refunded, cancelled):
        recorded so that it is accounted for and refunded; it activates nothing."""

        TOPIC = "tickets:Order.ExtraPaymentReceived"
        stripe_event_id: str
        payment_intent_id: str | None
        amount_cents: int
        currency: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payments.append(
                RecordedPayment(
                    self.stripe_event_id, self.payment_intent_id, self.amount_cents, self.currency
                )
            )

    class RegistrationsActivated(Event):
        TOPIC = "tickets:Order.RegistrationsActivated"
        registration_ids: tuple[UUID, ...]

        def apply(self, aggregate: Any) -> None:
            for registration_id in self.registration_ids:
                aggregate.registration_status[registration_id] = RegistrationStatus.ACTIVE

    class PaymentRefunded(Event):
        """A refund of one of the order's payments that leaves the order as it is."""

        TOPIC = "tickets:Order.PaymentRefunded"
        stripe_event_id: str
        payment_intent_id: str
        amount_refunded_cents: int  # of this payment intent, in all (Stripe's amount_refunded)
        currency: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_refunded(self.payment_intent_id, self.amount_refunded_cents)

    class Refunded(Event):
        """The refund that gave back what was kept of the order's payments: it is REFUNDED."""

        TOPIC = "tickets:Order.Refunded"
        stripe_event_id: str
        payment_intent_id: str | None
        amount_refunded_cents: int  # of this payment intent, in all (Stripe's amount_refunded)
        currency: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = OrderStatus.REFUNDED
            aggregate.note_refunded(self.payment_intent_id, self.amount_refunded_cents)
            aggregate.payments_at_refund = len(aggregate.payments)

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
        self.payment_intent_id: str | None = None  # the intent that paid it
        self.payments: list[RecordedPayment] = []  # every payment recorded, the first first
        # What is refunded of each payment intent, in all: Stripe reports a charge's refunded
        # total, so the highest figure seen is the truth whatever order events arrive in.
        self.refunded: dict[str | None, int] = {}
        # How many payments there were when the order was refunded: the ones the refund gave
        # back; any later one is extra money, refunded (or not yet) on its own.
        self.payments_at_refund: int | None = None

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

    def check_payment(self, amount_cents: int, currency: str) -> None:
        if amount_cents != self.total_cents or currency.upper() != self.currency:
            raise PaymentMismatch(
                f"paid {amount_cents} {currency.upper()}, "
                f"order total is {self.total_cents} {self.currency}"
            )

    def payment_of(self, payment_intent_id: str | None) -> RecordedPayment | None:
        """The recorded payment of an intent; an unknown intent (None) matches none."""
        if payment_intent_id is None:
            return None
        return next((p for p in self.payments if p.payment_intent_id == payment_intent_id), None)

    def kept_cents(self) -> int:
        """What is paid and not refunded, in the order's currency, over all its payments."""
        paid = sum(p.amount_cents for p in self.payments if p.currency == self.currency)
        refunded = sum(
            cents
            for intent, cents in self.refunded.items()
            if (payment := self.payment_of(intent)) is None or payment.currency == self.currency
        )
        return paid - refunded

    def note_refunded(self, payment_intent_id: str | None, amount_refunded_cents: int) -> None:
        """Applies a refund figure (a running total: an older, lower one changes nothing)."""
        before = self.refunded.get(payment_intent_id, 0)
        self.refunded[payment_intent_id] = max(before, amount_refunded_cents)

    def receive_payment(
        self,
        *,
        stripe_event_id: str,
        payment_intent_id: str | None,
        amount_cents: int,
        currency: str,
        cause: Cause,
    ) -> PaymentReceipt:
        """Records money Stripe received for this order.

        The payment of a pending order pays it (when it is the total). Any other money, for an
        order paid, refunded or cancelled, is recorded as extra: no registration stands for it.
        """
        if self.payment_of(payment_intent_id) is not None:
            raise PaymentAlreadyRecorded(f"payment intent {payment_intent_id} is recorded already")
        if self.status is not OrderStatus.PENDING:
            self.trigger_event(
                self.ExtraPaymentReceived,
                stripe_event_id=stripe_event_id,
                payment_intent_id=payment_intent_id,
                amount_cents=amount_cents,
                currency=currency.upper(),
                cause=cause,
            )
            return PaymentReceipt.EXTRA
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
        return PaymentReceipt.PAID

    def record_refund(
        self,
        *,
        stripe_event_id: str,
        payment_intent_id: str | None,
        amount_refunded_cents: int,
        currency: str,
        cause: Cause,
    ) -> RefundEffect:
        """Records a refund of one of the order's payments; the registrations are cancelled
        separately, and only when this says REFUNDED.

        ``amount_refunded_cents`` is what is refunded of that payment in all (Stripe's
        ``amount_refunded`` of the charge). The order is refunded when nothing of what was paid
        for it is kept any more: the refund of an extra payment leaves it paid.
        """
        payment = self.payment_of(payment_intent_id)
        if payment is None or payment.currency != currency.upper():
            raise RefundOfUnknownPayment(
                f"payment intent {payment_intent_id} ({currency.upper()}) is no payment "
                "recorded on the order"
            )
        fields: dict[str, Any] = {
            "stripe_event_id": stripe_event_id,
            "payment_intent_id": payment.payment_intent_id,
            "amount_refunded_cents": amount_refunded_cents,
            "currency": payment.currency,
            "cause": cause,
        }
        more = max(0, amount_refunded_cents - self.refunded.get(payment_intent_id, 0))
        if self.status is not OrderStatus.PAID:
            if more:
                self.trigger_event(self.PaymentRefunded, **fields)
            if self.status is OrderStatus.REFUNDED:
                return RefundEffect.ALREADY_REFUNDED
            return RefundEffect.COVERED  # nothing was activated by this money
        kept = self.kept_cents() - (more if payment.currency == self.currency else 0)
        if kept <= 0:
            self.trigger_event(self.Refunded, **fields)
            return RefundEffect.REFUNDED
        if more:
            self.trigger_event(self.PaymentRefunded, **fields)
        return RefundEffect.COVERED if kept >= self.total_cents else RefundEffect.PARTIAL

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
