"""Fulfilment: a confirmed Stripe payment becomes a paid order, active registrations, tickets.

Everything one payment changes is saved in ONE transaction with the record of the Stripe event,
so a delivery is either applied completely or not at all, and applied once.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from application.alerts import Alerts, new_alert
from application.deliveries import Applied, apply_once, log_step, order_by_ref, record
from application.issuing import Coverage, TicketIssuing
from application.ports import IgnoredNotice, PaymentConfirmed, RefundReported, StripeNotice
from application.refunds import Refunds
from application.store import TicketStore
from domain.alert import AlertKind, Severity
from domain.order import (
    Order,
    OrderPaymentIntent,
    PaymentAlreadyRecorded,
    PaymentMismatch,
    PaymentReceipt,
)
from domain.payment import DeliveryOutcome
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import PendingTickets


class Fulfilment:
    def __init__(
        self,
        store: TicketStore,
        issuing: TicketIssuing,
        alerts: Alerts,
        refunds: Refunds | None = None,
    ) -> None:
        self._store = store
        self._issuing = issuing
        self._alerts = alerts
        self._refunds = refunds

    def handle(self, notice: StripeNotice, request_id: str | None = None) -> DeliveryOutcome | None:
        """Applies a verified Stripe notice; None when there was nothing (more) to do.

        ``request_id`` is the webhook request's: recorded in the causes of what it changes.
        """
        if isinstance(notice, PaymentConfirmed):
            return self.fulfil_payment(notice, request_id)
        if isinstance(notice, RefundReported) and self._refunds is not None:
            return self._refunds.handle(notice, request_id)
        if isinstance(notice, RefundReported | IgnoredNotice):
            # Nothing to do (or no refund use case wired here): recorded nowhere, so Stripe's
            # copy is the only one. Logged so that it is not silent.
            log_step("fulfilment", "ignored", notice.event_id, event_type=notice.event_type)
        return None

    def fulfil_payment(
        self, notice: PaymentConfirmed, request_id: str | None = None
    ) -> DeliveryOutcome | None:
        return apply_once(
            self._store,
            self._alerts,
            notice,
            "fulfilment",
            lambda cause: self._fulfil(notice, cause),
            subject=notice.order_ref,
            request_id=request_id,
        )

    def _fulfil(self, notice: PaymentConfirmed, cause: Cause) -> Applied:
        order = order_by_ref(self._store, notice.order_ref)
        if order is None:
            alert = new_alert(
                AlertKind.UNKNOWN_ORDER,
                f"Stripe event {notice.event_id} paid for an order that does not exist",
                subject=notice.order_ref,
                key=notice.event_id,
                cause=cause,
                severity=Severity.CRITICAL,
            )
            return record(self._store, notice, None, DeliveryOutcome.UNKNOWN_ORDER, cause, alert)

        try:
            receipt = order.receive_payment(
                stripe_event_id=notice.event_id,
                payment_intent_id=notice.payment_intent_id,
                amount_cents=notice.amount_cents,
                currency=notice.currency,
                cause=cause,
            )
        except PaymentAlreadyRecorded:
            result = record(self._store, notice, order.id, DeliveryOutcome.ALREADY_PAID, cause)
            result.steps.insert(0, ("duplicate", {"reason": "payment recorded already"}))
            return result
        except PaymentMismatch as mismatch:
            alert = new_alert(
                AlertKind.PAYMENT_MISMATCH,
                f"Stripe event {notice.event_id}: {mismatch}",
                subject=str(order.id),
                key=notice.event_id,
                cause=cause,
                severity=Severity.CRITICAL,
            )
            return record(
                self._store, notice, order.id, DeliveryOutcome.PAYMENT_MISMATCH, cause, alert
            )
        if receipt is PaymentReceipt.EXTRA:
            return self._extra_payment(notice, order, cause)

        period = self._store.get(Period, order.period_id)
        steps: list[tuple[str, dict[str, Any]]] = [
            ("order paid", {"amount_cents": notice.amount_cents}),
            ("registrations activated", {"count": len(order.registrations)}),
        ]
        changed: list[Aggregate] = [order, *self._link(notice, order, cause)]
        for person_id in order.persons():
            if self._store.find(Person, person_id) is None:
                pending = self._store.find(
                    PendingTickets, PendingTickets.id_for(person_id)
                ) or PendingTickets.open(person_id, cause)
                pending.defer(period_id=period.id, order_id=order.id, cause=cause)
                alert = new_alert(
                    AlertKind.PROFILE_MISSING,
                    f"order {order.id} is paid but person {person_id} has no profile yet: "
                    "their ticket is issued when the profile is created",
                    subject=str(person_id),
                    key=f"{order.id}:{person_id}",
                    cause=cause,
                )
                changed += [pending, alert]
                steps.append(("ticket deferred", {"person_id": str(person_id)}))
                continue
            covered = self._issuing.cover(order, period, person_id, cause)
            if covered is None:  # cannot happen: the payment just activated them all
                continue
            if covered.coverage is not Coverage.UNCHANGED:
                changed.append(covered.ticket)
            steps.append(
                (f"ticket {covered.coverage.value}", {"ticket_id": str(covered.ticket.id)})
            )
        result = record(self._store, notice, order.id, DeliveryOutcome.FULFILLED, cause, *changed)
        result.steps[:0] = steps
        return result

    def _extra_payment(self, notice: PaymentConfirmed, order: Order, cause: Cause) -> Applied:
        """Money no registration stands for: recorded on the order, and an admin refunds it."""
        alert = new_alert(
            AlertKind.DUPLICATE_PAYMENT,
            f"order {order.id} is {order.status}, yet Stripe event {notice.event_id} paid "
            f"{notice.amount_cents} {notice.currency.upper()} more (payment intent "
            f"{notice.payment_intent_id or 'unknown'}): no registration stands for this "
            "money; refund it",
            subject=str(order.id),
            key=notice.event_id,
            cause=cause,
            severity=Severity.CRITICAL,
        )
        changed = [order, *self._link(notice, order, cause), alert]
        result = record(
            self._store, notice, order.id, DeliveryOutcome.DUPLICATE_PAYMENT, cause, *changed
        )
        result.steps.insert(0, ("extra payment", {"amount_cents": notice.amount_cents}))
        return result

    def _link(
        self, notice: PaymentConfirmed, order: Order, cause: Cause
    ) -> list[OrderPaymentIntent]:
        """Refunds name the payment intent only: this index finds the order without a scan."""
        intent = notice.payment_intent_id
        if not intent or self._store.find(OrderPaymentIntent, OrderPaymentIntent.id_for(intent)):
            return []
        return [OrderPaymentIntent.link(intent, order.id, cause)]
