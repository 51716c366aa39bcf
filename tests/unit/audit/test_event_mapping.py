"""Recorded events are forever: every event class has a stable topic and survives the mapper."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from enum import Enum
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

import domain
from adapters.persistence.eventstore import open_store
from adapters.persistence.mapper import MsgspecMapper
from adapters.persistence.store_config import StoreConfig
from domain.alert import Alert, AlertKind, Severity
from domain.order import Order, RequestedRegistration
from domain.payment import DeliveryOutcome, StripeDelivery
from domain.period import PeriodCode
from domain.person import Person
from domain.shared import Cause
from domain.ticket import CoveredRegistration, PendingTickets, QrToken, Ticket
from tests.support.fakes import new_period

pytestmark = pytest.mark.unit

CAUSE = Cause(actor="stripe", reference="evt_1")


def aggregate_classes() -> list[type[Aggregate]]:
    """Every aggregate defined in the domain package, new modules included."""
    found: list[type[Aggregate]] = []
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Aggregate)
            and value.__module__ == module.__name__
        ]
    return found


def event_classes() -> list[type[Aggregate.Event]]:
    """The event classes that can be recorded (each aggregate's abstract ``Event`` excluded)."""
    return [
        value
        for aggregate in aggregate_classes()
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and name != "Event"
    ]


def recorded_events() -> list[Any]:
    """Events as the domain's own commands record them, None values and real timestamps too."""
    period = new_period()
    person = Person.register(
        user_id="user-1", name="Åse", email="ase@example.no", phone=None, cause=CAUSE
    )
    person.update_profile(name="Åse Ø.", email="ase@example.no", phone="+47 1", cause=CAUSE)
    order = Order.place(
        period=period,
        purchaser_person_id=person.id,
        requested=(
            RequestedRegistration(person.id, "salsa1", "leader"),
            RequestedRegistration(person.id, "bachata1", None),
        ),
        cause=CAUSE,
    )
    order.start_checkout(session_id="cs_1", checkout_url="https://pay.example/cs_1", cause=CAUSE)
    order.receive_payment(
        stripe_event_id="evt_1",
        payment_intent_id=None,
        amount_cents=order.total_cents,
        currency="nok",
        cause=CAUSE,
    )
    [salsa, bachata] = [
        CoveredRegistration(r.registration_id, order.id, r.track_code) for r in order.registrations
    ]
    ticket = Ticket.issue(
        period_id=period.id, person_id=person.id, registrations=(salsa,), cause=CAUSE
    )
    ticket.add_registrations((bachata,), CAUSE)
    ticket.record_token(
        QrToken(1, datetime(2026, 8, 20, 12, 30, tzinfo=UTC), period.ends_at(), "ab" * 32), CAUSE
    )
    pending = PendingTickets.open(uuid4(), CAUSE)
    pending.defer(period_id=period.id, order_id=order.id, cause=CAUSE)
    pending.release((ticket.id,), CAUSE)
    aggregates: list[Aggregate] = [
        period,
        PeriodCode.claim(period.code, period.id, CAUSE),
        person,
        order,
        ticket,
        pending,
        StripeDelivery.record(
            stripe_event_id="evt_1",
            event_type="checkout.session.completed",
            order_id=order.id,
            outcome=DeliveryOutcome.FULFILLED,
            cause=CAUSE,
        ),
        StripeDelivery.record(
            stripe_event_id="evt_2",
            event_type="checkout.session.completed",
            order_id=None,
            outcome=DeliveryOutcome.UNKNOWN_ORDER,
            cause=Cause(actor="stripe"),
        ),
        Alert.raise_(
            kind=AlertKind.PAYMENT_MISMATCH,
            severity=Severity.CRITICAL,
            message="paid 1 NOK",
            subject=str(order.id),
            key="evt_1",
            cause=CAUSE,
        ),
    ]
    return [event for aggregate in aggregates for event in aggregate.collect_events()]


EVENTS = recorded_events()


@pytest.fixture(scope="module")
def mapper() -> Iterator[MsgspecMapper]:
    store = open_store(StoreConfig("memory://"))
    assert isinstance(store.mapper, MsgspecMapper)  # what the application really uses
    yield store.mapper
    store.close()


def test_every_event_class_has_its_own_explicit_tickets_topic() -> None:
    classes = event_classes()
    topics = [cls.__dict__.get("TOPIC") for cls in classes]

    assert len(classes) >= 20
    assert all(isinstance(t, str) and t.startswith("tickets:") for t in topics), topics
    assert len(set(topics)) == len(topics)
    # The mapper decodes by topic: each must lead back to its class, wherever it lives later.
    assert all(resolve_topic(str(t)) is cls for t, cls in zip(topics, classes, strict=True))


def test_every_aggregate_class_has_its_own_explicit_tickets_topic() -> None:
    topics = [cls.__dict__.get("TOPIC") for cls in aggregate_classes()]

    assert all(isinstance(t, str) and t.startswith("tickets:") for t in topics), topics
    assert len(set(topics)) == len(topics)


def synthesized(event_class: type[Aggregate.Event]) -> Aggregate.Event:
    """An event of any class, every field filled from its type hint (never None): classes
    added later are round-tripped without anyone writing a sample."""
    hints = get_type_hints(event_class)
    return event_class(
        **{f.name: value_of(hints[f.name], f.name) for f in dataclasses.fields(event_class)}
    )


def value_of(hint: Any, name: str) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if isinstance(hint, TypeVar):  # the library's originator id type
        return uuid4()
    if origin in (Union, UnionType):
        return value_of(next(a for a in args if a is not type(None)), name)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (value_of(args[0], name), value_of(args[0], name))
        return tuple(value_of(a, name) for a in args)
    if origin is dict:
        return {value_of(args[0], name): value_of(args[1], name)}
    if isinstance(hint, type) and issubclass(hint, Enum):
        return list(hint)[-1]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        nested = get_type_hints(hint)
        return hint(**{f.name: value_of(nested[f.name], f.name) for f in dataclasses.fields(hint)})
    simple = {
        bool: True,
        int: 1_234_567,
        float: 2.5,
        str: f"{name}: Åse ✓",
        UUID: uuid4(),
        # A moment with microseconds in a zone that is not UTC: both must survive.
        datetime: datetime(2026, 10, 24, 21, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Oslo")),
        date: date(2026, 2, 28),
        time: time(19, 30),  # a class's local start or end
    }
    if hint in simple:
        return simple[hint]
    raise TypeError(f"{name}: teach value_of() to make a {hint!r}")


@pytest.mark.parametrize(
    "event",
    [
        *(pytest.param(e, id=f"commanded-{type(e).__qualname__}") for e in EVENTS),
        *(
            pytest.param(synthesized(c), id=f"synthesized-{c.__qualname__}")
            for c in event_classes()
        ),
    ],
)
def test_an_event_round_trips_through_the_mapper_as_itself(
    mapper: MsgspecMapper, event: Aggregate.Event
) -> None:
    stored = mapper.to_stored_event(event)
    decoded = mapper.to_domain_event(stored)

    assert stored.topic == getattr(type(event), "TOPIC", None)
    assert (stored.originator_id, stored.originator_version) == (
        event.originator_id,
        event.originator_version,
    )
    assert type(decoded) is type(event)
    assert decoded == event
    for name, value in fields_of(event).items():
        assert_same_kind(getattr(decoded, name), value, where=name)


def fields_of(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def assert_same_kind(decoded: Any, original: Any, where: str) -> None:
    """Dates, aware datetimes, UUIDs, enums and nested values come back as those types."""
    assert type(decoded) is type(original), f"{where}: {type(decoded)} != {type(original)}"
    if isinstance(original, datetime):
        assert decoded.utcoffset() is not None, f"{where}: naive datetime"
    if isinstance(original, tuple):
        for index, (d, o) in enumerate(zip(decoded, original, strict=True)):
            assert_same_kind(d, o, f"{where}[{index}]")
    if dataclasses.is_dataclass(original):
        for name, value in fields_of(original).items():
            assert_same_kind(getattr(decoded, name), value, f"{where}.{name}")


def test_the_samples_exercise_every_kind_of_value() -> None:
    """The round trip above is only as strong as the values it sees."""
    kinds: set[type] = set()

    def visit(value: Any) -> None:
        kinds.add(type(value))
        if isinstance(value, tuple):
            for item in value:
                visit(item)
        elif dataclasses.is_dataclass(value):
            for item in fields_of(value).values():
                visit(item)

    for event in EVENTS:
        visit(event)

    assert {date, datetime, UUID, tuple, Cause, CoveredRegistration, type(None)} <= kinds
    assert {AlertKind, Severity, DeliveryOutcome} <= kinds
