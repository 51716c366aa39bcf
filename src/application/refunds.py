"""Refunds: an order refunded in full loses its registrations and the tickets left empty.

A refund acts only on the payment it refunds (its payment intent, recorded on the order), and
the order is refunded only when nothing of what was paid for it is kept: a partial refund, or
the refund of a payment the order never recorded, changes no registration and alerts.

Like fulfilment, everything one refund changes is saved in ONE transaction with the record of
the Stripe event, so a refund is applied completely or not at all, and applied once.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from application.alerts import Alerts, new_alert
from application.deliveries import Applied, apply_once, order_by_ref, record
from application.ports import RefundReported
from application.store import TicketStore
from domain.alert import AlertKind, Severity
from domain.order import Order, OrderPaymentIntent, RefundEffect, RefundOfUnknownPayment
from domain.payment import DeliveryOutcome
from domain.shared import Cause
from domain.ticket import Ticket

REVOKED_BY_REFUND = "refunded: no active registration left"


class Refunds:
    def __init__(self, store: TicketStore, alerts: Alerts) -> None:
        self._store = store
        self._alerts = alerts

    def handle(
        self, notice: RefundReported, request_id: str | None = None
    ) -> DeliveryOutcome | None:
        """Applies a verified ``charge.refunded``; None when it was applied before."""
        return apply_once(
            self._store,
            self._alerts,
            notice,
            "refund",
            lambda cause: self._refund(notice, cause),
            subject=notice.payment_intent_id or notice.order_ref,
            request_id=request_id,
        )

    def _refund(self, notice: RefundReported, cause: Cause) -> Applied:
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
            alert = new_alert(
                AlertKind.PARTIAL_REFUND,
                f"order {order.id}: {notice.amount_refunded_cents} "
                f"{notice.currency.upper()} of payment intent {notice.payment_intent_id} "
                f"refunded in all (Stripe event {notice.event_id}): {order.kept_cents()} of "
                f"the {order.total_cents} {order.currency} it costs are still paid; "
                "registrations and tickets are unchanged: decide what the refund covers",
                subject=str(order.id),
                key=notice.event_id,
                cause=cause,
            )
            return record(
                self._store, notice, order.id, DeliveryOutcome.PARTIAL_REFUND, cause, order, alert
            )
        if effect is RefundEffect.ALREADY_REFUNDED:
            result = record(
                self._store, notice, order.id, DeliveryOutcome.ALREADY_REFUNDED, cause, order
            )
            result.steps.insert(0, ("duplicate", {"reason": "order is refunded already"}))
            return result
        # What is kept still pays the order: extra money (a duplicate payment) was given back.
        result = record(
            self._store, notice, order.id, DeliveryOutcome.EXTRA_PAYMENT_REFUNDED, cause, order
        )
        result.steps.insert(0, ("extra payment refunded", {"kept_cents": order.kept_cents()}))
        return result

    def _unknown_payment(
        self, notice: RefundReported, order: Order | None, cause: Cause
    ) -> Applied:
        """A refund of money the service never recorded: nothing to take back, a person looks."""
        which = "no known order" if order is None else f"order {order.id}, which never recorded it"
        alert = new_alert(
            AlertKind.UNKNOWN_PAYMENT_REFUND,
            f"Stripe event {notice.event_id} refunded {notice.amount_refunded_cents} of "
            f"{notice.charge_amount_cents} {notice.currency.upper()} of payment intent "
            f"{notice.payment_intent_id or 'unknown'}, a payment of {which}: nothing was changed",
            subject=str(order.id) if order else notice.payment_intent_id or notice.order_ref,
            key=notice.event_id,
            cause=cause,
            severity=Severity.CRITICAL,
        )
        order_id = order.id if order else None
        return record(
            self._store, notice, order_id, DeliveryOutcome.UNKNOWN_PAYMENT_REFUND, cause, alert
        )

    def _refund_fully(self, notice: RefundReported, order: Order, cause: Cause) -> Applied:
        """The order was just recorded REFUNDED: its registrations and tickets follow."""
        cancelled = order.cancel_registrations(reason="refunded", cause=cause)
        steps: list[tuple[str, dict[str, Any]]] = [
            ("order refunded", {"amount_refunded_cents": notice.amount_refunded_cents}),
            ("registrations cancelled", {"count": len(cancelled)}),
        ]
        changed: list[Aggregate] = [order]
        for person_id in order.persons():
            ticket = self._store.find(Ticket, Ticket.id_for(order.period_id, person_id))
            if ticket is None:
                continue  # deferred for a missing profile: nothing issued to take back
            paid_for = tuple(r.registration_id for r in order.registrations_of(person_id))
            if not ticket.remove_registrations(
                paid_for, reason=f"order {order.id} refunded", cause=cause
            ):
                continue
            changed.append(ticket)
            steps.append(("registrations removed", {"ticket_id": str(ticket.id)}))
            if not ticket.registrations and ticket.revoke(reason=REVOKED_BY_REFUND, cause=cause):
                steps.append(("ticket revoked", {"ticket_id": str(ticket.id)}))
        result = record(self._store, notice, order.id, DeliveryOutcome.REFUNDED, cause, *changed)
        result.steps[:0] = steps
        return result

    def _find_order(self, notice: RefundReported) -> Order | None:
        """Through the payment intent (what a charge names), else the charge's metadata."""
        if notice.payment_intent_id:
            link = self._store.find(
                OrderPaymentIntent, OrderPaymentIntent.id_for(notice.payment_intent_id)
            )
            if link is not None:
                return self._store.find(Order, link.order_id)
        return order_by_ref(self._store, notice.order_ref)
