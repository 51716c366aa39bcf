"""Refunds: a fully refunded payment cancels what it paid for and revokes tickets left empty.

Like fulfilment, everything one refund changes is saved in ONE transaction with the record of
the Stripe event, so a refund is applied completely or not at all, and applied once.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.domain import Aggregate

from application.alerts import Alerts, new_alert
from application.deliveries import Applied, apply_once, order_by_ref, record
from application.ports import RefundReported
from application.store import TicketStore
from domain.alert import AlertKind, Severity
from domain.order import Order, OrderPaymentIntent, OrderStatus
from domain.payment import DeliveryOutcome
from domain.shared import Cause
from domain.ticket import Ticket

log = logging.getLogger(__name__)

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
            alert = new_alert(
                AlertKind.REFUND_UNMATCHED,
                f"Stripe event {notice.event_id} refunded a payment of no known order",
                subject=notice.payment_intent_id or notice.order_ref,
                key=notice.event_id,
                cause=cause,
                severity=Severity.CRITICAL,
            )
            return record(self._store, notice, None, DeliveryOutcome.UNKNOWN_ORDER, cause, alert)
        if order.status is OrderStatus.REFUNDED:
            result = record(self._store, notice, order.id, DeliveryOutcome.ALREADY_REFUNDED, cause)
            result.steps.insert(0, ("duplicate", {"reason": "order is refunded already"}))
            return result
        if order.status is not OrderStatus.PAID or notice.currency.upper() != order.currency:
            alert = new_alert(
                AlertKind.REFUND_UNMATCHED,
                f"Stripe event {notice.event_id} refunded {notice.amount_refunded_cents} "
                f"{notice.currency.upper()} of order {order.id}, which is {order.status} "
                f"in {order.currency}: nothing was changed",
                subject=str(order.id),
                key=notice.event_id,
                cause=cause,
                severity=Severity.CRITICAL,
            )
            return record(
                self._store, notice, order.id, DeliveryOutcome.NOT_REFUNDABLE, cause, alert
            )
        if notice.amount_refunded_cents < notice.amount_cents:
            # Which registration a part of the money was for is a person's call, not ours.
            alert = new_alert(
                AlertKind.PARTIAL_REFUND,
                f"order {order.id}: {notice.amount_refunded_cents} of {notice.amount_cents} "
                f"{notice.currency.upper()} refunded (Stripe event {notice.event_id}); "
                "registrations and tickets are unchanged: decide what the refund covers",
                subject=str(order.id),
                key=notice.event_id,
                cause=cause,
            )
            return record(
                self._store, notice, order.id, DeliveryOutcome.PARTIAL_REFUND, cause, alert
            )
        return self._refund_fully(notice, order, cause)

    def _refund_fully(self, notice: RefundReported, order: Order, cause: Cause) -> Applied:
        order.record_refund(
            stripe_event_id=notice.event_id,
            payment_intent_id=notice.payment_intent_id,
            amount_refunded_cents=notice.amount_refunded_cents,
            currency=notice.currency,
            cause=cause,
        )
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
