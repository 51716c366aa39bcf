"""Fulfilment: a confirmed payment becomes a paid order and tickets, once, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from application.errors import Busy, Conflict
from application.payments.ports import IgnoredNotice, InvalidWebhook, RefundReported
from application.store import CONFLICT_RETRIES, retry_on_conflict
from application.tickets.ports import TokenClaims
from domain.alert import Alert, AlertKind, Severity
from domain.order import Order, OrderStatus, RegistrationStatus
from domain.payment import DeliveryOutcome, OrderPaymentIntent, StripeDelivery
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import PendingTickets, Ticket, TicketStatus
from tests.support.fakes import (
    ADMIN_CAUSE,
    NOW,
    Wired,
    paid,
    place,
    put_profile,
    schedule,
    sha256_hex,
    wire,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> Iterator[Wired]:
    wired = wire()
    schedule(wired)
    yield wired
    wired.services.close()


@pytest.fixture
def period(world: Wired) -> Period:
    return world.services.periods.by_code("2026-fall")


def ticket_of(world: Wired, period: Period, user_id: str) -> Ticket | None:
    return world.store.find(Ticket, Ticket.id_for(period.id, Person.id_for_user(user_id)))


def the_ticket(world: Wired, period: Period, user_id: str) -> Ticket:
    ticket = ticket_of(world, period, user_id)
    assert ticket is not None, f"{user_id} has no ticket"
    return ticket


def reloaded(world: Wired, order: Order) -> Order:
    return world.store.get(Order, order.id)


def delivery(world: Wired, event_id: str) -> StripeDelivery:
    return world.store.get(StripeDelivery, StripeDelivery.id_for(event_id))


def alert(world: Wired, kind: AlertKind, key: str) -> Alert:
    return world.store.get(Alert, Alert.id_for(kind, key))


def test_a_paid_order_is_activated_and_its_person_gets_a_ticket_with_a_signed_token(
    world: Wired, period: Period
) -> None:
    person = put_profile(world, "ase")
    order = place(world, "ase", "salsa1", "bachata1")
    notice = paid(order)

    outcome = world.services.stripe_events.handle(notice)

    assert outcome is DeliveryOutcome.FULFILLED
    order = reloaded(world, order)
    assert order.status is OrderStatus.PAID
    assert order.payment_intent_id == "pi_test_1"
    assert set(order.registration_status.values()) == {RegistrationStatus.ACTIVE}
    ticket = the_ticket(world, period, "ase")
    assert ticket.person_id == person.id
    assert [(r.order_id, r.track_code) for r in ticket.registrations] == [
        (order.id, "salsa1"),
        (order.id, "bachata1"),
    ]
    assert ticket.token is not None
    assert ticket.token.version == 1
    assert ticket.token.issued_at == NOW.replace(microsecond=0)  # the frozen clock's, whole
    assert ticket.token.expires_at == period.ends_at()
    expected = world.signer.sign(
        TokenClaims(ticket.id, period.id, person.id, 1, ticket.token.issued_at, period.ends_at())
    )
    assert ticket.token.token_hash == sha256_hex(expected)
    recorded = delivery(world, notice.event_id)
    assert (recorded.order_id, recorded.outcome) == (order.id, DeliveryOutcome.FULFILLED)
    assert recorded.event_type == "checkout.session.completed"
    assert world.sink.notices == []


def test_the_same_notice_again_changes_nothing(world: Wired) -> None:
    put_profile(world, "ase")
    notice = paid(place(world, "ase", "salsa1"))
    world.services.stripe_events.handle(notice)
    recorded = world.notification_count()

    outcome = world.services.stripe_events.handle(notice)

    assert outcome is None
    assert world.notification_count() == recorded


def test_another_event_of_the_same_payment_is_recorded_and_changes_nothing(
    world: Wired, period: Period
) -> None:
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    world.services.stripe_events.handle(paid(order))
    versions = (reloaded(world, order).version, the_ticket(world, period, "ase").version)
    recorded = world.notification_count()
    second = paid(order)

    outcome = world.services.stripe_events.handle(second)

    assert outcome is DeliveryOutcome.ALREADY_PAID
    assert world.notification_count() == recorded + 1  # only the delivery's record
    assert delivery(world, second.event_id).outcome is DeliveryOutcome.ALREADY_PAID
    assert (reloaded(world, order).version, the_ticket(world, period, "ase").version) == versions
    assert world.sink.notices == []


@pytest.mark.parametrize("amount_cents", [150_000, 99])
def test_a_second_payment_for_a_paid_order_is_recorded_and_alerted_for_a_refund(
    world: Wired, period: Period, amount_cents: int
) -> None:
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    world.services.stripe_events.handle(paid(order))
    ticket_version = the_ticket(world, period, "ase").version
    second = replace(paid(order, amount_cents=amount_cents), payment_intent_id="pi_twice")

    outcome = world.services.stripe_events.handle(second)

    assert outcome is DeliveryOutcome.DUPLICATE_PAYMENT
    assert delivery(world, second.event_id).outcome is DeliveryOutcome.DUPLICATE_PAYMENT
    recorded = reloaded(world, order)
    assert recorded.status is OrderStatus.PAID
    assert [(p.payment_intent_id, p.amount_cents) for p in recorded.payments] == [
        ("pi_test_1", 150_000),
        ("pi_twice", amount_cents),
    ]
    assert the_ticket(world, period, "ase").version == ticket_version
    raised = alert(world, AlertKind.DUPLICATE_PAYMENT, second.event_id)
    assert (raised.severity, raised.subject) == (Severity.CRITICAL, str(order.id))
    assert f"{amount_cents} NOK" in raised.message and "pi_twice" in raised.message
    assert world.sink.kinds == ["duplicate_payment"]
    # Its refund names only the payment intent: the index finds the order.
    link = world.store.get(OrderPaymentIntent, OrderPaymentIntent.id_for("pi_twice"))
    assert link.order_id == order.id


def test_a_second_payment_delivered_again_has_no_second_effect(world: Wired) -> None:
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    world.services.stripe_events.handle(paid(order))
    second = replace(paid(order), payment_intent_id="pi_twice")
    world.services.stripe_events.handle(second)
    recorded = world.notification_count()

    assert world.services.stripe_events.handle(second) is None
    # Another event of the same second payment: the same money, already recorded.
    again = replace(second, event_id="evt_other_event_same_money")
    assert world.services.stripe_events.handle(again) is DeliveryOutcome.ALREADY_PAID

    assert world.notification_count() == recorded + 1  # only the last event's record
    assert world.sink.kinds == ["duplicate_payment"]


def test_a_payment_for_a_refunded_order_is_recorded_and_alerted(
    world: Wired, period: Period
) -> None:
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    world.services.stripe_events.handle(paid(order))
    refund = RefundReported(
        "evt_back", "charge.refunded", None, "pi_test_1", 150_000, 150_000, "nok"
    )
    assert world.services.stripe_events.handle(refund) is DeliveryOutcome.REFUNDED

    late = replace(paid(order), payment_intent_id="pi_late")
    outcome = world.services.stripe_events.handle(late)

    assert outcome is DeliveryOutcome.DUPLICATE_PAYMENT
    assert reloaded(world, order).status is OrderStatus.REFUNDED
    ticket = the_ticket(world, period, "ase")
    assert ticket.status is TicketStatus.REVOKED and ticket.registrations == ()
    assert world.sink.kinds == ["duplicate_payment"]
    assert "is REFUNDED" in world.sink.notices[0].message


@pytest.mark.parametrize("order_ref", ["not-a-uuid", str(uuid4()), None, ""])
def test_a_payment_for_an_unknown_order_is_recorded_and_alerted(
    world: Wired, order_ref: str | None
) -> None:
    put_profile(world, "ase")
    notice = replace(paid(place(world, "ase", "salsa1")), order_ref=order_ref)

    outcome = world.services.stripe_events.handle(notice)

    assert outcome is DeliveryOutcome.UNKNOWN_ORDER
    recorded = delivery(world, notice.event_id)
    assert (recorded.order_id, recorded.outcome) == (None, DeliveryOutcome.UNKNOWN_ORDER)
    raised = alert(world, AlertKind.UNKNOWN_ORDER, notice.event_id)
    assert (raised.severity, raised.subject) == (Severity.CRITICAL, notice.order_ref)
    assert notice.event_id in raised.message
    assert [(n.kind, n.alert_id) for n in world.sink.notices] == [("unknown_order", raised.id)]


@pytest.mark.parametrize(
    ("amount_cents", "currency"), [(149_999, "nok"), (150_001, "nok"), (150_000, "sek")]
)
def test_a_payment_that_differs_from_the_total_is_alerted_and_the_order_stays_pending(
    world: Wired, period: Period, amount_cents: int, currency: str
) -> None:
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    notice = paid(order, amount_cents=amount_cents, currency=currency)

    outcome = world.services.stripe_events.handle(notice)

    assert outcome is DeliveryOutcome.PAYMENT_MISMATCH
    assert reloaded(world, order).status is OrderStatus.PENDING
    assert ticket_of(world, period, "ase") is None
    assert delivery(world, notice.event_id).outcome is DeliveryOutcome.PAYMENT_MISMATCH
    raised = alert(world, AlertKind.PAYMENT_MISMATCH, notice.event_id)
    assert (raised.severity, raised.subject) == (Severity.CRITICAL, str(order.id))
    assert "order total is 150000 NOK" in raised.message
    assert world.sink.kinds == ["payment_mismatch"]


def test_a_couples_order_gives_each_partner_a_ticket_of_their_own(
    world: Wired, period: Period
) -> None:
    put_profile(world, "ase")
    partner = world.services.people.add_partner(
        name="Bjørn", email="bjorn@example.no", user_id=None, cause=ADMIN_CAUSE
    )
    order = place(world, "ase", "salsa1", partner=partner.id)

    world.services.stripe_events.handle(paid(order))

    mine = ticket_of(world, period, "ase")
    theirs = world.store.find(Ticket, Ticket.id_for(period.id, partner.id))
    assert mine is not None and theirs is not None
    assert mine.id != theirs.id
    by_person = {r.person_id: r.registration_id for r in order.registrations}
    assert [r.registration_id for r in mine.registrations] == [by_person[mine.person_id]]
    assert [r.registration_id for r in theirs.registrations] == [by_person[partner.id]]
    assert mine.token is not None and theirs.token is not None
    assert mine.token.token_hash != theirs.token.token_hash


def test_a_second_order_in_the_period_extends_the_persons_ticket(
    world: Wired, period: Period
) -> None:
    put_profile(world, "ase")
    first, second = place(world, "ase", "salsa1"), place(world, "ase", "bachata1")

    world.services.stripe_events.handle(paid(first))
    world.services.stripe_events.handle(paid(second))

    ticket = the_ticket(world, period, "ase")
    assert [(r.order_id, r.track_code) for r in ticket.registrations] == [
        (first.id, "salsa1"),
        (second.id, "bachata1"),
    ]
    assert ticket.token is not None and ticket.token.version == 1  # the same QR code still scans


def test_a_payment_that_loses_a_race_for_the_ticket_runs_again_and_extends_it(
    world: Wired, period: Period
) -> None:
    put_profile(world, "ase")
    first, second = place(world, "ase", "salsa1"), place(world, "ase", "bachata1")
    # While the first payment signs its new ticket's token, the second payment issues the
    # ticket: the first one's save conflicts at the ticket's version 1.
    world.signer.before_sign = lambda: world.services.stripe_events.handle(paid(second))

    outcome = world.services.stripe_events.handle(paid(first))

    assert outcome is DeliveryOutcome.FULFILLED
    ticket = the_ticket(world, period, "ase")
    assert [r.order_id for r in ticket.registrations] == [second.id, first.id]
    assert ticket.token is not None and ticket.token.version == 1
    assert len(world.signer.signed) == 2  # the losing attempt signed too; its work was dropped
    assert reloaded(world, first).status is OrderStatus.PAID


def test_a_person_without_a_profile_gets_the_ticket_once_the_profile_exists(
    world: Wired, period: Period
) -> None:
    order = place(world, "ase", "salsa1")
    person_id = Person.id_for_user("ase")

    outcome = world.services.stripe_events.handle(paid(order))

    assert outcome is DeliveryOutcome.FULFILLED
    assert reloaded(world, order).status is OrderStatus.PAID
    assert ticket_of(world, period, "ase") is None
    pending = world.store.get(PendingTickets, PendingTickets.id_for(person_id))
    assert pending.pending == ((period.id, order.id),)
    raised = alert(world, AlertKind.PROFILE_MISSING, f"{order.id}:{person_id}")
    assert raised.subject == str(person_id)
    assert world.sink.kinds == ["profile_missing"]
    with pytest.raises(Conflict) as refused:
        world.services.tickets.for_user("ase", "2026-fall")
    assert refused.value.code == "profile_required"

    put_profile(world, "ase")

    ticket = the_ticket(world, period, "ase")
    assert [r.order_id for r in ticket.registrations] == [order.id]
    assert ticket.token is not None and ticket.token.version == 1
    assert world.store.get(PendingTickets, pending.id).pending == ()
    served = world.services.tickets.for_user("ase", "2026-fall")
    assert sha256_hex(served.token) == ticket.token.token_hash


def test_two_deferred_orders_of_one_period_become_one_ticket(world: Wired, period: Period) -> None:
    first, second = place(world, "ase", "salsa1"), place(world, "ase", "bachata1")
    world.services.stripe_events.handle(paid(first))
    world.services.stripe_events.handle(paid(second))

    put_profile(world, "ase")

    ticket = the_ticket(world, period, "ase")
    assert [r.order_id for r in ticket.registrations] == [first.id, second.id]


def test_a_deferred_ticket_of_an_order_refunded_meanwhile_is_not_issued(
    world: Wired, period: Period
) -> None:
    order = place(world, "ase", "salsa1")
    world.services.stripe_events.handle(paid(order))
    refunded = reloaded(world, order)
    stripe = Cause(actor="stripe", reference="evt_refund")
    refunded.record_refund(
        stripe_event_id="evt_refund",
        payment_intent_id="pi_test_1",
        amount_refunded_cents=refunded.total_cents,
        currency="nok",
        cause=stripe,
    )
    refunded.cancel_registrations(reason="refunded", cause=stripe)
    world.store.save(refunded)

    put_profile(world, "ase")

    assert ticket_of(world, period, "ase") is None


def test_a_failure_inside_fulfilment_saves_nothing_but_an_alert_and_the_retry_completes(
    world: Wired, period: Period
) -> None:
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    notice = paid(order)
    recorded = world.notification_count()
    world.signer.failure = RuntimeError("signing key unavailable")

    with pytest.raises(RuntimeError, match="signing key unavailable"):
        world.services.stripe_events.handle(notice)

    assert world.notification_count() == recorded + 1  # the alert, nothing else
    assert reloaded(world, order).status is OrderStatus.PENDING
    assert world.store.find(StripeDelivery, StripeDelivery.id_for(notice.event_id)) is None
    assert ticket_of(world, period, "ase") is None
    raised = alert(world, AlertKind.FULFILLMENT_FAILED, notice.event_id)
    assert (raised.severity, raised.subject) == (Severity.CRITICAL, str(order.id))
    assert "RuntimeError" in raised.message
    assert world.sink.kinds == ["fulfillment_failed"]

    world.signer.failure = None  # Stripe retries once the cause is gone
    assert world.services.stripe_events.handle(notice) is DeliveryOutcome.FULFILLED
    assert ticket_of(world, period, "ase") is not None


def test_a_verified_webhook_notice_is_routed_to_fulfilment(world: Wired, period: Period) -> None:
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    world.gateway.notices.append(paid(order))
    with pytest.raises(InvalidWebhook):
        world.gateway.parse_webhook(b"{}", None)  # unsigned: never reaches the use case

    notice = world.gateway.parse_webhook(b"{}", "t=1,v1=ok")
    outcome = world.services.stripe_events.handle(notice)

    assert outcome is DeliveryOutcome.FULFILLED
    assert reloaded(world, order).status is OrderStatus.PAID
    assert ticket_of(world, period, "ase") is not None


def test_a_notice_that_needs_nothing_records_nothing(world: Wired) -> None:
    recorded = world.notification_count()

    outcome = world.services.stripe_events.handle(
        IgnoredNotice("evt_ignored", "payment_intent.created")
    )

    assert outcome is None
    assert world.notification_count() == recorded


class Flaky:
    """A command that conflicts ``conflicts`` times before it succeeds."""

    def __init__(self, conflicts: int) -> None:
        self.conflicts = conflicts
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.conflicts:
            raise IntegrityError("version conflict")
        return "done"


def test_a_command_that_conflicts_is_run_again_until_it_succeeds() -> None:
    command = Flaky(conflicts=2)

    assert retry_on_conflict(command) == "done"
    assert command.calls == 3


def test_a_command_that_keeps_conflicting_gives_up_busy() -> None:
    command = Flaky(conflicts=1_000)

    with pytest.raises(Busy) as gave_up:
        retry_on_conflict(command)

    assert gave_up.value.code == "busy"
    assert command.calls == CONFLICT_RETRIES


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def broken() -> UUID:
        calls.append(1)
        raise LookupError("a broken invariant")

    with pytest.raises(LookupError):
        retry_on_conflict(broken)
    assert calls == [1]
