"""An aggregate's history and its past states, and the export of the log, on fakes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from application.audit.auditing import TOPIC_PREFIX, UnknownEventType, topic_of
from application.errors import NotFound
from domain.order import Order, OrderStatus, RegistrationStatus
from domain.period import Period
from domain.person import Person
from domain.ticket import Ticket
from tests.support.fakes import Wired, paid, place, put_profile, schedule, wire

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> Iterator[Wired]:
    wired = wire()
    yield wired
    wired.services.close()


@pytest.fixture
def paid_order(world: Wired) -> Order:
    schedule(world)
    put_profile(world, "ase")
    order = place(world, "ase", "salsa1")
    world.services.stripe_events.handle(paid(order, event_id="evt_paid_1"))
    return order


def test_history_lists_the_events_in_order_with_their_cause(
    world: Wired, paid_order: Order
) -> None:
    history = world.services.audit.history(paid_order.id)

    assert [(e.version, e.type) for e in history] == [
        (1, "Order.Placed"),
        (2, "Order.CheckoutStarted"),
        (3, "Order.PaymentReceived"),
        (4, "Order.RegistrationsActivated"),
    ]
    assert history[0].actor == "ase" and history[0].reference.startswith("req-")
    assert {(e.actor, e.reference) for e in history[2:]} == {("stripe", "evt_paid_1")}
    assert history[2].data == {
        "stripe_event_id": "evt_paid_1",
        "payment_intent_id": "pi_test_1",
        "amount_cents": 150_000,
        "currency": "NOK",
    }
    assert [e.timestamp for e in history] == sorted(e.timestamp for e in history)
    # The envelope is shown beside the data, not in it.
    assert not {"originator_id", "originator_version", "timestamp", "cause"} & set(history[0].data)


def test_a_ticket_history_shows_the_token_hash_never_the_token(
    world: Wired, paid_order: Order
) -> None:
    period = world.services.periods.by_code("2026-fall")
    ticket_id = Ticket.id_for(period.id, Person.id_for_user("ase"))
    token = world.services.tickets.for_user("ase", "2026-fall").token

    history = world.services.audit.history(ticket_id)

    assert [e.type for e in history] == ["Ticket.Issued", "Ticket.QrTokenIssued"]
    assert (
        history[1].data["token_hash"]
        == world.services.store.get(Ticket, ticket_id).token.token_hash
    )  # type: ignore[union-attr]
    assert token not in repr([e.data for e in history])


def test_an_unknown_aggregate_has_no_history(world: Wired) -> None:
    with pytest.raises(NotFound) as raised:
        world.services.audit.history(Person.id_for_user("nobody"))

    assert raised.value.code == "aggregate_not_found"


def test_the_state_at_a_version_is_the_aggregate_as_it_was(world: Wired, paid_order: Order) -> None:
    audit = world.services.audit

    placed = audit.state_at(paid_order.id, version=1)
    now = audit.state_at(paid_order.id)

    assert (placed.version, placed.latest_version, placed.aggregate_type) == (1, 4, "Order")
    assert placed.state["status"] is OrderStatus.PENDING
    assert placed.state["checkout_url"] is None
    assert set(placed.state["registration_status"].values()) == {RegistrationStatus.PENDING}
    assert now.version == 4 and now.state["status"] is OrderStatus.PAID
    assert set(now.state["registration_status"].values()) == {RegistrationStatus.ACTIVE}
    assert not any(name.startswith("_") for name in now.state)


def test_the_state_at_a_moment_is_the_last_version_recorded_by_then(
    world: Wired, paid_order: Order
) -> None:
    audit = world.services.audit
    history = audit.history(paid_order.id)

    at_checkout = audit.state_at(paid_order.id, at=history[1].timestamp)
    just_before_payment = audit.state_at(
        paid_order.id, at=history[2].timestamp - timedelta(microseconds=1)
    )
    later = audit.state_at(paid_order.id, at=history[-1].timestamp + timedelta(days=400))

    assert at_checkout.version == 2 and at_checkout.state["checkout_url"] is not None
    assert just_before_payment.version == 2
    assert just_before_payment.state["status"] is OrderStatus.PENDING
    assert later.version == 4 and later.state["status"] is OrderStatus.PAID


def test_a_moment_before_the_aggregate_existed_or_a_version_it_never_had_is_not_found(
    world: Wired, paid_order: Order
) -> None:
    audit = world.services.audit
    first = audit.history(paid_order.id)[0].timestamp

    with pytest.raises(NotFound) as before:
        audit.state_at(paid_order.id, at=first - timedelta(seconds=1))
    with pytest.raises(NotFound) as beyond:
        audit.state_at(paid_order.id, version=5)

    assert before.value.code == "not_yet_recorded"
    assert beyond.value.code == "version_not_found"
    assert "versions 1 to 4" in beyond.value.detail


def test_export_streams_every_event_in_log_order(world: Wired, paid_order: Order) -> None:
    store = world.services.store

    exported = list(world.services.audit.export(page_size=3))

    assert [e.position for e in exported] == [n.id for n in store.notifications()]
    assert [e.topic for e in exported] == [n.topic for n in store.notifications()]
    assert len(exported) == world.notification_count()


def test_export_filters_by_type_and_by_time(world: Wired, paid_order: Order) -> None:
    audit = world.services.audit
    everything = list(audit.export())
    payment = next(e for e in everything if e.type == "Order.PaymentReceived")

    payments = list(audit.export(types=["Order.PaymentReceived", "tickets:Ticket.Issued"]))
    since = list(audit.export(since=payment.timestamp))
    until = list(audit.export(until=payment.timestamp))

    assert [e.type for e in payments] == ["Order.PaymentReceived", "Ticket.Issued"]
    # By the events' own timestamps (one save's events are not recorded in time order).
    assert payment in since and since == [e for e in everything if e.timestamp >= payment.timestamp]
    assert until == [e for e in everything if e.timestamp < payment.timestamp]
    assert len(since) + len(until) == len(everything)


def test_an_unknown_type_is_refused_naming_the_known_ones() -> None:
    assert topic_of("Order.Placed") == "tickets:Order.Placed"
    assert topic_of("tickets:Period.Scheduled") == TOPIC_PREFIX + "Period.Scheduled"

    with pytest.raises(UnknownEventType) as raised:
        topic_of("Order.Teleported")

    assert raised.value.code == "unknown_event_type"
    assert "Order.Placed" in raised.value.detail


def test_a_period_history_names_the_admin_who_scheduled_it(world: Wired) -> None:
    period: Period = schedule(world)

    (scheduled,) = world.services.audit.history(period.id)

    assert scheduled.type == "Period.Scheduled"
    assert (scheduled.actor, scheduled.reference) == ("admin-1", "req-1")
    assert scheduled.data["code"] == "2026-fall"


def test_a_moment_without_a_timezone_is_utc(world: Wired, paid_order: Order) -> None:
    audit = world.services.audit
    paid_at = audit.history(paid_order.id)[2].timestamp

    naive = audit.state_at(paid_order.id, at=paid_at.replace(tzinfo=None))
    exported = list(audit.export(since=paid_at.replace(tzinfo=None)))

    assert naive.version == 3
    assert exported and all(e.timestamp >= paid_at for e in exported)
