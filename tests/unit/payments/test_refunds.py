"""Refunds on fakes: a refund acts only on the payment it refunds; the order is refunded when
nothing paid for it is kept, once; a partial refund or an unknown payment asks a person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from uuid import uuid4

import pytest

from application.payments.ports import PaymentConfirmed, RefundReported
from domain.alert import Alert
from domain.order import Order, OrderStatus, RegistrationStatus
from domain.payment import DeliveryOutcome, OrderPaymentIntent, StripeDelivery
from domain.period import Period
from domain.person import Person
from domain.ticket import Ticket, TicketStatus
from tests.support.fakes import ADMIN_CAUSE, Wired, paid, place, put_profile, schedule, wire

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> Iterator[Wired]:
    wired = wire()
    schedule(wired)
    yield wired
    wired.services.close()


def pay(
    world: Wired, order: Order, expected: DeliveryOutcome = DeliveryOutcome.FULFILLED
) -> PaymentConfirmed:
    notice = replace(paid(order), payment_intent_id=f"pi_{uuid4().hex[:12]}")
    assert world.services.stripe_events.handle(notice) is expected
    return notice


def refund_of(
    payment: PaymentConfirmed,
    refunded: int | None = None,
    *,
    event_id: str | None = None,
    order_ref: str | None = None,
) -> RefundReported:
    return RefundReported(
        event_id=event_id or f"evt_{uuid4().hex}",
        event_type="charge.refunded",
        order_ref=order_ref,  # Checkout does not copy metadata to the charge
        payment_intent_id=payment.payment_intent_id,
        charge_amount_cents=payment.amount_cents,
        amount_refunded_cents=payment.amount_cents if refunded is None else refunded,
        currency=payment.currency,
    )


def ticket_of(world: Wired, user_id: str) -> Ticket:
    period = world.services.periods.by_code("2026-fall")
    return world.store.get(Ticket, Ticket.id_for(period.id, Person.id_for_user(user_id)))


def order_of(world: Wired, order: Order) -> Order:
    return world.store.get(Order, order.id)


def test_the_payment_records_an_index_from_its_payment_intent_to_the_order(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")

    payment = pay(world, order)

    assert payment.payment_intent_id is not None
    link = world.store.get(OrderPaymentIntent, OrderPaymentIntent.id_for(payment.payment_intent_id))
    assert link.order_id == order.id


def test_a_full_refund_cancels_the_order_and_revokes_a_ticket_left_empty(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1", "bachata1")
    payment = pay(world, order)

    outcome = world.services.stripe_events.handle(refund_of(payment))

    assert outcome is DeliveryOutcome.REFUNDED
    refunded = order_of(world, order)
    assert refunded.status is OrderStatus.REFUNDED
    assert set(refunded.registration_status.values()) == {RegistrationStatus.CANCELLED}
    ticket = ticket_of(world, "dancer-1")
    assert ticket.registrations == ()
    assert ticket.status is TicketStatus.REVOKED
    assert ticket.revoked_reason == "refunded: no active registration left"
    events = list(world.store.events.get(ticket.id))
    assert [type(e).__name__ for e in events][-2:] == ["RegistrationsRemoved", "Revoked"]
    assert all(e.cause.actor == "stripe" for e in events[-2:])


def test_a_ticket_that_still_covers_another_order_stays_active(world: Wired) -> None:
    put_profile(world, "dancer-1")
    first = place(world, "dancer-1", "salsa1")
    second = place(world, "dancer-1", "bachata1")
    pay(world, first)
    second_payment = pay(world, second)

    world.services.stripe_events.handle(refund_of(second_payment))

    ticket = ticket_of(world, "dancer-1")
    assert ticket.status is TicketStatus.ACTIVE
    assert ticket.track_codes() == ("salsa1",)
    assert order_of(world, first).status is OrderStatus.PAID


def test_a_refund_of_a_couple_takes_both_persons_registrations_back(world: Wired) -> None:
    put_profile(world, "dancer-1")
    partner = world.services.people.add_partner(
        name="Partner", email="partner@example.no", user_id=None, cause=ADMIN_CAUSE
    )
    order = place(world, "dancer-1", "salsa1", partner=partner.id)
    payment = pay(world, order)

    world.services.stripe_events.handle(refund_of(payment))

    period = world.store.get(Period, order.period_id)
    for person_id in (Person.id_for_user("dancer-1"), partner.id):
        ticket = world.store.get(Ticket, Ticket.id_for(period.id, person_id))
        assert ticket.status is TicketStatus.REVOKED


def test_a_partial_refund_changes_nothing_and_asks_a_person(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    payment = pay(world, order)

    outcome = world.services.stripe_events.handle(refund_of(payment, refunded=50_000))

    assert outcome is DeliveryOutcome.PARTIAL_REFUND
    assert order_of(world, order).status is OrderStatus.PAID
    assert ticket_of(world, "dancer-1").status is TicketStatus.ACTIVE
    assert world.sink.kinds == ["partial_refund"]
    [notice] = world.sink.notices
    assert notice.subject == str(order.id)
    assert "100000 of the 150000 NOK it costs are still paid" in notice.message


def test_the_same_refund_event_twice_has_one_effect(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    notice = refund_of(pay(world, order))

    assert world.services.stripe_events.handle(notice) is DeliveryOutcome.REFUNDED
    before = world.notification_count()
    assert world.services.stripe_events.handle(notice) is None

    assert world.notification_count() == before
    order_events = world.store.events.get(order.id)
    assert sum(isinstance(e, Order.Refunded) for e in order_events) == 1


def test_another_refund_event_of_a_refunded_order_changes_nothing(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    payment = pay(world, order)
    world.services.stripe_events.handle(refund_of(payment))

    outcome = world.services.stripe_events.handle(refund_of(payment))

    assert outcome is DeliveryOutcome.ALREADY_REFUNDED
    assert sum(isinstance(e, Order.Refunded) for e in world.store.events.get(order.id)) == 1
    assert world.sink.kinds == []


def test_a_refund_of_an_unknown_payment_is_recorded_and_alerted(world: Wired) -> None:
    notice = RefundReported("evt_r", "charge.refunded", None, "pi_nobody", 100, 100, "NOK")

    outcome = world.services.stripe_events.handle(notice)

    assert outcome is DeliveryOutcome.UNKNOWN_PAYMENT_REFUND
    delivery = world.store.get(StripeDelivery, StripeDelivery.id_for("evt_r"))
    assert (delivery.outcome, delivery.order_id) == (outcome, None)
    assert world.sink.kinds == ["unknown_payment_refund"]
    assert "pi_nobody" in world.sink.notices[0].message


def test_a_refund_naming_the_order_but_not_its_payment_changes_nothing(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    payment = pay(world, order)
    # The charge names the order in its metadata, but the money of another payment intent.
    notice = replace(refund_of(payment), payment_intent_id="pi_other", order_ref=str(order.id))
    version = order_of(world, order).version

    outcome = world.services.stripe_events.handle(notice)

    assert outcome is DeliveryOutcome.UNKNOWN_PAYMENT_REFUND
    assert order_of(world, order).version == version  # not even a figure recorded
    assert ticket_of(world, "dancer-1").status is TicketStatus.ACTIVE
    assert world.sink.kinds == ["unknown_payment_refund"]
    assert world.sink.notices[0].subject == str(order.id)


def test_a_refund_without_a_payment_intent_acts_on_nothing(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    payment = pay(world, order)
    notice = replace(refund_of(payment), payment_intent_id=None, order_ref=str(order.id))

    assert world.services.stripe_events.handle(notice) is DeliveryOutcome.UNKNOWN_PAYMENT_REFUND
    assert order_of(world, order).status is OrderStatus.PAID


def test_a_refund_of_an_unpaid_order_changes_nothing_and_is_alerted(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    notice = RefundReported(
        "evt_r", "charge.refunded", str(order.id), None, order.total_cents, 1, "NOK"
    )

    assert world.services.stripe_events.handle(notice) is DeliveryOutcome.UNKNOWN_PAYMENT_REFUND
    assert order_of(world, order).status is OrderStatus.PENDING
    assert world.sink.kinds == ["unknown_payment_refund"]
    alerts = [n for n in world.store.notifications() if n.topic == Alert.Raised.TOPIC]
    assert len(alerts) == 1


def test_a_refund_in_another_currency_than_the_payment_is_no_refund_of_it(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    notice = replace(refund_of(pay(world, order)), currency="EUR")

    assert world.services.stripe_events.handle(notice) is DeliveryOutcome.UNKNOWN_PAYMENT_REFUND
    assert order_of(world, order).status is OrderStatus.PAID


def test_a_second_payment_refunded_in_full_leaves_the_paid_order_and_its_ticket(
    world: Wired,
) -> None:
    """The customer paid twice; the admin gives the second payment back: the ticket stays."""
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    pay(world, order)
    second = pay(world, order, DeliveryOutcome.DUPLICATE_PAYMENT)

    outcome = world.services.stripe_events.handle(refund_of(second))

    assert outcome is DeliveryOutcome.EXTRA_PAYMENT_REFUNDED
    kept = order_of(world, order)
    assert kept.status is OrderStatus.PAID
    assert set(kept.registration_status.values()) == {RegistrationStatus.ACTIVE}
    assert kept.refunded == {second.payment_intent_id: 150_000}
    assert ticket_of(world, "dancer-1").status is TicketStatus.ACTIVE
    assert world.sink.kinds == ["duplicate_payment"]  # the refund itself needs no one


def test_the_first_payment_refunded_leaves_the_order_paid_by_the_second(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    first = pay(world, order)
    second = pay(world, order, DeliveryOutcome.DUPLICATE_PAYMENT)

    first_back = world.services.stripe_events.handle(refund_of(first))
    assert first_back is DeliveryOutcome.EXTRA_PAYMENT_REFUNDED
    assert order_of(world, order).status is OrderStatus.PAID

    assert world.services.stripe_events.handle(refund_of(second)) is DeliveryOutcome.REFUNDED
    assert order_of(world, order).status is OrderStatus.REFUNDED
    assert ticket_of(world, "dancer-1").status is TicketStatus.REVOKED


def test_a_charge_refunded_in_full_is_partial_when_it_is_less_than_the_order(
    world: Wired,
) -> None:
    """A 1-cent charge of the order's payment intent, refunded in full, refunds 1 cent."""
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    payment = pay(world, order)
    notice = replace(refund_of(payment), charge_amount_cents=1, amount_refunded_cents=1)

    assert world.services.stripe_events.handle(notice) is DeliveryOutcome.PARTIAL_REFUND

    assert order_of(world, order).status is OrderStatus.PAID
    assert ticket_of(world, "dancer-1").status is TicketStatus.ACTIVE
    assert world.sink.kinds == ["partial_refund"]


def test_partial_refunds_that_reach_what_was_paid_refund_the_order(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    payment = pay(world, order)

    first = world.services.stripe_events.handle(refund_of(payment, refunded=100_000))
    # Stripe's figure is what is refunded of the charge in all: 100,000 then 150,000.
    rest = world.services.stripe_events.handle(refund_of(payment, refunded=150_000))

    assert (first, rest) == (DeliveryOutcome.PARTIAL_REFUND, DeliveryOutcome.REFUNDED)
    assert order_of(world, order).status is OrderStatus.REFUNDED
    assert ticket_of(world, "dancer-1").status is TicketStatus.REVOKED


def test_an_older_lower_figure_arriving_late_undoes_nothing(world: Wired) -> None:
    put_profile(world, "dancer-1")
    order = place(world, "dancer-1", "salsa1")
    payment = pay(world, order)
    world.services.stripe_events.handle(refund_of(payment, refunded=150_000))

    late = world.services.stripe_events.handle(refund_of(payment, refunded=50_000))

    assert late is DeliveryOutcome.ALREADY_REFUNDED
    refunded = order_of(world, order)
    assert refunded.status is OrderStatus.REFUNDED
    assert refunded.refunded == {payment.payment_intent_id: 150_000}


def test_a_paid_registration_without_a_profile_is_cancelled_without_a_ticket(world: Wired) -> None:
    order = place(world, "dancer-1", "salsa1")  # no profile: the ticket waits
    payment = pay(world, order)

    assert world.services.stripe_events.handle(refund_of(payment)) is DeliveryOutcome.REFUNDED
    put_profile(world, "dancer-1")  # the profile comes after the refund: nothing to issue

    assert order_of(world, order).status is OrderStatus.REFUNDED
    period = world.services.periods.by_code("2026-fall")
    ticket_id = Ticket.id_for(period.id, Person.id_for_user("dancer-1"))
    assert world.store.find(Ticket, ticket_id) is None
