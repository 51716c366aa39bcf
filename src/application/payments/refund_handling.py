"""Refund handling: an order refunded in full loses its registrations and the tickets left empty.

A refund acts only on the payment it refunds (its payment intent, recorded on the order), and
the order is refunded only when nothing of what was paid for it is kept: a partial refund, or
the refund of a payment the order never recorded, changes no registration and alerts.
"""

from __future__ import annotations

from application.payments.decision import PaymentDecision, alert_and_record
from application.payments.payment_handling import order_by_ref
from application.payments.ports import RefundReported
from application.store import TicketStore
from domain.alert import AlertKind, Severity
from domain.order import Order, RefundOfUnknownPayment
from domain.payment import DeliveryOutcome, OrderPaymentIntent, RefundEffect
from domain.shared import Cause
from domain.ticket import Ticket

REVOKED_BY_REFUND = "refunded: no active registration left"


class RefundHandling:
    """Decides what a ``charge.refunded`` changes; StripeEvents saves it."""

    def __init__(self, store: TicketStore) -> None:
        self._store = store

    def decide(self, notice: RefundReported, cause: Cause) -> PaymentDecision:
        order = self._find_order(notice)
        if order is None:
            return self._unknown_payment(notice, None, cause)
        try:
            effect = order.record_refund(
                stripe_event_id=notice.event_id,
                payment_intent_id=notice.payment_intent_id,
                amount_refunded_cents=notice.amount_refunded_cents,
                currency=notice.currency,
                cause=cause,
            )
        except RefundOfUnknownPayment:
            return self._unknown_payment(notice, order, cause)
        if effect is RefundEffect.REFUNDED:
            return self._refund_fully(notice, order, cause)
        if effect is RefundEffect.PARTIAL:
            # Which registration a part of the money was for is a person's call, not ours.
            return alert_and_record(
                notice,
                cause,
                DeliveryOutcome.PARTIAL_REFUND,
                order.id,
                AlertKind.PARTIAL_REFUND,
                f"order {order.id}: {notice.amount_refunded_cents} "
                f"{notice.currency.upper()} of payment intent {notice.payment_intent_id} "
                f"refunded in all (Stripe event {notice.event_id}): {order.kept_cents()} of "
                f"the {order.total_cents} {order.currency} it costs are still paid; "
                "registrations and tickets are unchanged: decide what the refund covers",
                subject=str(order.id),
                severity=Severity.WARNING,
                changed=[order],
            )
        if effect is RefundEffect.ALREADY_REFUNDED:
            decision = PaymentDecision(DeliveryOutcome.ALREADY_REFUNDED, order.id, [order])
            decision.step("duplicate", reason="order is refunded already")
            return decision
        # What is kept still pays the order: extra money (a duplicate payment) was given back.
        decision = PaymentDecision(DeliveryOutcome.EXTRA_PAYMENT_REFUNDED, order.id, [order])
        decision.step("extra payment refunded", kept_cents=order.kept_cents())
        return decision

    def _unknown_payment(
        self, notice: RefundReported, order: Order | None, cause: Cause
    ) -> PaymentDecision:
        """A refund of money the service never recorded: nothing to take back, a person looks."""
        which = "no known order" if order is None else f"order {order.id}, which never recorded it"
        return alert_and_record(
            notice,
            cause,
            DeliveryOutcome.UNKNOWN_PAYMENT_REFUND,
            order.id if order else None,
            AlertKind.UNKNOWN_PAYMENT_REFUND,
            f"Stripe event {notice.event_id} refunded {notice.amount_refunded_cents} of "
            f"{notice.charge_amount_cents} {notice.currency.upper()} of payment intent "
            f"{notice.payment_intent_id or 'unknown'}, a payment of {which}: nothing was changed",
            subject=str(order.id) if order else notice.payment_intent_id or notice.order_ref,
        )

    def _refund_fully(self, notice: RefundReported, order: Order, cause: Cause) -> PaymentDecision:
        """The order was just recorded REFUNDED: its registrations and tickets follow."""
        cancelled = order.cancel_registrations(reason="refunded", cause=cause)
        decision = PaymentDecision(DeliveryOutcome.REFUNDED, order.id, [order])
        decision.step("order refunded", amount_refunded_cents=notice.amount_refunded_cents)
        decision.step("registrations cancelled", count=len(cancelled))
        for person_id in order.persons():
            ticket = self._store.find(Ticket, Ticket.id_for(order.period_id, person_id))
            if ticket is None:
                continue  # deferred for a missing profile: nothing issued to take back
            paid_for = tuple(r.registration_id for r in order.registrations_of(person_id))
            if not ticket.remove_registrations(
                paid_for, reason=f"order {order.id} refunded", cause=cause
            ):
                continue
            decision.changed.append(ticket)
            decision.step("registrations removed", ticket_id=str(ticket.id))
            if not ticket.registrations and ticket.revoke(reason=REVOKED_BY_REFUND, cause=cause):
                decision.step("ticket revoked", ticket_id=str(ticket.id))
        return decision

    def _find_order(self, notice: RefundReported) -> Order | None:
        """Through the payment intent (what a charge names), else the charge's metadata."""
        if notice.payment_intent_id:
            link = self._store.find(
                OrderPaymentIntent, OrderPaymentIntent.id_for(notice.payment_intent_id)
            )
            if link is not None:
                return self._store.find(Order, link.order_id)
        return order_by_ref(self._store, notice.order_ref)
