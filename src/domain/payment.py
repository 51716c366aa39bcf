"""Payments as the domain records them: the StripeDelivery aggregate (a Stripe event applied
once, whatever the order's state says), the OrderPaymentIntent index (which order a payment
intent paid), and what a payment or a refund did to an order."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.shared import Cause, stable_id


class DeliveryOutcome(StrEnum):
    FULFILLED = "fulfilled"
    ALREADY_PAID = "already_paid"  # another event of a payment recorded already
    DUPLICATE_PAYMENT = "duplicate_payment"  # more money for an order not waiting for it
    PAYMENT_MISMATCH = "payment_mismatch"
    UNKNOWN_ORDER = "unknown_order"
    REFUNDED = "refunded"
    PARTIAL_REFUND = "partial_refund"
    EXTRA_PAYMENT_REFUNDED = "extra_payment_refunded"  # the order stays paid by what is kept
    ALREADY_REFUNDED = "already_refunded"
    UNKNOWN_PAYMENT_REFUND = "unknown_payment_refund"  # of no payment the order recorded
    NOT_REFUNDABLE = "not_refundable"  # no longer recorded; kept so that old records decode


class StripeDelivery(Aggregate):
    TOPIC = "tickets:StripeDelivery"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:StripeDelivery.Created"

    class Recorded(Created):
        TOPIC = "tickets:StripeDelivery.Recorded"
        stripe_event_id: str
        event_type: str
        order_id: UUID | None
        outcome: DeliveryOutcome

    def __init__(
        self,
        cause: Cause,
        stripe_event_id: str,
        event_type: str,
        order_id: UUID | None,
        outcome: DeliveryOutcome,
    ) -> None:
        self.stripe_event_id = stripe_event_id
        self.event_type = event_type
        self.order_id = order_id
        self.outcome = outcome

    @staticmethod
    def id_for(stripe_event_id: str) -> UUID:
        return stable_id("stripe-event", stripe_event_id)

    @classmethod
    def record(
        cls,
        *,
        stripe_event_id: str,
        event_type: str,
        order_id: UUID | None,
        outcome: DeliveryOutcome,
        cause: Cause,
    ) -> StripeDelivery:
        return cls._create(
            cls.Recorded,
            id=cls.id_for(stripe_event_id),
            cause=cause,
            stripe_event_id=stripe_event_id,
            event_type=event_type,
            order_id=order_id,
            outcome=outcome,
        )


class PaymentReceipt(StrEnum):
    """What a payment did to the order."""

    PAID = "paid"  # the order's payment: the order is paid, its registrations active
    EXTRA = "extra"  # money no registration stands for (the order was paid, refunded...)


class RefundEffect(StrEnum):
    """What a refund of one of the order's payments did to the order."""

    REFUNDED = "refunded"  # nothing of what was paid is kept: the order is REFUNDED now
    PARTIAL = "partial"  # less than the order's total is kept: a person decides
    COVERED = "covered"  # what is kept still pays the order: extra money was given back
    ALREADY_REFUNDED = "already_refunded"  # the order was refunded before


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
