"""Payment handling: a confirmed Stripe payment becomes a paid order, registrations, tickets."""

from __future__ import annotations

from uuid import UUID

from application.alerts.alerts import new_alert
from application.payments.decision import PaymentDecision, alert_and_record
from application.payments.ports import PaymentConfirmed
from application.store import TicketStore
from application.tickets.issuing import Coverage, TicketIssuing
from domain.alert import AlertKind
from domain.order import Order, PaymentAlreadyRecorded, PaymentMismatch
from domain.payment import DeliveryOutcome, OrderPaymentIntent, PaymentReceipt
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import PendingTickets


class PaymentHandling:
    """Decides what a ``checkout.session.completed`` changes; StripeEvents saves it."""

    def __init__(self, store: TicketStore, issuing: TicketIssuing) -> None:
        self._store = store
        self._issuing = issuing

    def decide(self, notice: PaymentConfirmed, cause: Cause) -> PaymentDecision:
        order = order_by_ref(self._store, notice.order_ref)
        if order is None:
            return alert_and_record(
                notice,
                cause,
                DeliveryOutcome.UNKNOWN_ORDER,
                None,
                AlertKind.UNKNOWN_ORDER,
                f"Stripe event {notice.event_id} paid for an order that does not exist",
                subject=notice.order_ref,
            )
        try:
            receipt = order.receive_payment(
                stripe_event_id=notice.event_id,
                payment_intent_id=notice.payment_intent_id,
                amount_cents=notice.amount_cents,
                currency=notice.currency,
                cause=cause,
            )
        except PaymentAlreadyRecorded:
            decision = PaymentDecision(DeliveryOutcome.ALREADY_PAID, order.id)
            decision.step("duplicate", reason="payment recorded already")
            return decision
        except PaymentMismatch as mismatch:
            return alert_and_record(
                notice,
                cause,
                DeliveryOutcome.PAYMENT_MISMATCH,
                order.id,
                AlertKind.PAYMENT_MISMATCH,
                f"Stripe event {notice.event_id}: {mismatch}",
                subject=str(order.id),
            )
        if receipt is PaymentReceipt.EXTRA:
            return self._extra_payment(notice, order, cause)
        return self._fulfil(notice, order, cause)

    def _fulfil(self, notice: PaymentConfirmed, order: Order, cause: Cause) -> PaymentDecision:
        """The order was just paid: each person's ticket is issued or extended (or deferred)."""
        period = self._store.get(Period, order.period_id)
        decision = PaymentDecision(
            DeliveryOutcome.FULFILLED, order.id, [order, *self._link(notice, order, cause)]
        )
        decision.step("order paid", amount_cents=notice.amount_cents)
        decision.step("registrations activated", count=len(order.registrations))
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
                decision.changed += [pending, alert]
                decision.step("ticket deferred", person_id=str(person_id))
                continue
            covered = self._issuing.cover(order, period, person_id, cause)
            if covered is None:  # cannot happen: the payment just activated them all
                continue
            if covered.coverage is not Coverage.UNCHANGED:
                decision.changed.append(covered.ticket)
            decision.step(f"ticket {covered.coverage.value}", ticket_id=str(covered.ticket.id))
        return decision

    def _extra_payment(
        self, notice: PaymentConfirmed, order: Order, cause: Cause
    ) -> PaymentDecision:
        """Money no registration stands for: recorded on the order, and an admin refunds it."""
        decision = alert_and_record(
            notice,
            cause,
            DeliveryOutcome.DUPLICATE_PAYMENT,
            order.id,
            AlertKind.DUPLICATE_PAYMENT,
            f"order {order.id} is {order.status}, yet Stripe event {notice.event_id} paid "
            f"{notice.amount_cents} {notice.currency.upper()} more (payment intent "
            f"{notice.payment_intent_id or 'unknown'}): no registration stands for this "
            "money; refund it",
            subject=str(order.id),
            changed=[order, *self._link(notice, order, cause)],
        )
        decision.step("extra payment", amount_cents=notice.amount_cents)
        return decision

    def _link(
        self, notice: PaymentConfirmed, order: Order, cause: Cause
    ) -> list[OrderPaymentIntent]:
        """Refunds name the payment intent only: this index finds the order without a scan."""
        intent = notice.payment_intent_id
        if not intent or self._store.find(OrderPaymentIntent, OrderPaymentIntent.id_for(intent)):
            return []
        return [OrderPaymentIntent.link(intent, order.id, cause)]


def order_by_ref(store: TicketStore, order_ref: str | None) -> Order | None:
    """The order a Stripe object names (unchecked text from Stripe: anything may be in it)."""
    try:
        order_id = UUID(order_ref or "")
    except ValueError:
        return None
    return store.find(Order, order_id)
