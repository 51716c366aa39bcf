"""Order: placing one at the period's prices, and the payment that activates it."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.order import (
    InvalidOrder,
    Order,
    OrderNotPayable,
    OrderStatus,
    PaymentMismatch,
    RegistrationStatus,
    RequestedRegistration,
)
from domain.period import Period, UnknownTrack
from domain.shared import Cause
from tests.fakes import period_fields

pytestmark = pytest.mark.unit

BUYER = uuid4()
PARTNER = uuid4()
CAUSE = Cause(actor="user-1", reference="req-1")
STRIPE = Cause(actor="stripe", reference="evt_1")


@pytest.fixture
def period() -> Period:
    return Period.schedule(**period_fields())


def wish(track: str, person: UUID = BUYER, role: str | None = None) -> RequestedRegistration:
    return RequestedRegistration(person, track, role)


def place(period: Period, *wishes: RequestedRegistration) -> Order:
    return Order.place(period=period, purchaser_person_id=BUYER, requested=wishes, cause=CAUSE)


def placed(period: Period, *wishes: RequestedRegistration) -> Order:
    order = place(period, *(wishes or (wish("salsa1"), wish("bachata1"))))
    order.collect_events()
    return order


def pay(order: Order, amount_cents: int | None = None, currency: str = "nok") -> None:
    order.receive_payment(
        stripe_event_id="evt_1",
        payment_intent_id="pi_1",
        amount_cents=order.total_cents if amount_cents is None else amount_cents,
        currency=currency,
        cause=STRIPE,
    )


def test_placing_an_order_records_registrations_at_the_periods_prices(period: Period) -> None:
    order = place(period, wish("salsa1", role="leader"), wish("bachata1", PARTNER, "follower"))

    [event] = order.collect_events()
    assert isinstance(event, Order.Placed)
    assert (event.purchaser_person_id, event.period_id, event.period_code) == (
        BUYER,
        period.id,
        "2026-fall",
    )
    assert [(r.person_id, r.track_code, r.role, r.price_cents) for r in event.registrations] == [
        (BUYER, "salsa1", "leader", 150_000),
        (PARTNER, "bachata1", "follower", 120_000),
    ]
    assert len({r.registration_id for r in event.registrations}) == 2
    assert (event.total_cents, event.currency) == (270_000, "NOK")
    assert event.cause == CAUSE
    assert order.status is OrderStatus.PENDING
    assert set(order.registration_status.values()) == {RegistrationStatus.PENDING}


def test_two_people_may_take_the_same_track(period: Period) -> None:
    order = place(period, wish("salsa1"), wish("salsa1", PARTNER))

    assert order.total_cents == 300_000


@pytest.mark.parametrize(
    ("wishes", "error", "message"),
    [
        ((), InvalidOrder, "at least one registration"),
        ((wish("salsa1"), wish("salsa1", role="leader")), InvalidOrder, "registered twice"),
        ((wish("salsa1", role="teacher"),), InvalidOrder, "role must be one of"),
        ((wish("salsa1"), wish("kizomba1")), UnknownTrack, "kizomba1"),
    ],
)
def test_an_unacceptable_order_is_refused(
    period: Period,
    wishes: tuple[RequestedRegistration, ...],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        place(period, *wishes)


def test_a_full_payment_marks_the_order_paid_and_activates_its_registrations(
    period: Period,
) -> None:
    order = placed(period)

    pay(order, currency="nok")

    received, activated = order.collect_events()
    assert isinstance(received, Order.PaymentReceived)
    assert (received.stripe_event_id, received.payment_intent_id) == ("evt_1", "pi_1")
    assert (received.amount_cents, received.currency) == (270_000, "NOK")
    assert received.cause == STRIPE
    assert isinstance(activated, Order.RegistrationsActivated)
    assert activated.registration_ids == tuple(r.registration_id for r in order.registrations)
    assert order.status is OrderStatus.PAID
    assert order.is_paid
    assert order.payment_intent_id == "pi_1"
    assert set(order.registration_status.values()) == {RegistrationStatus.ACTIVE}


@pytest.mark.parametrize(
    ("amount_cents", "currency"), [(269_999, "nok"), (270_001, "NOK"), (270_000, "sek")]
)
def test_a_payment_that_differs_from_the_total_is_refused_and_records_nothing(
    period: Period, amount_cents: int, currency: str
) -> None:
    order = placed(period)

    with pytest.raises(PaymentMismatch, match=r"order total is 270000 NOK"):
        pay(order, amount_cents, currency)

    assert order.collect_events() == []
    assert order.status is OrderStatus.PENDING
    assert set(order.registration_status.values()) == {RegistrationStatus.PENDING}


def test_a_second_payment_is_refused_and_records_nothing(period: Period) -> None:
    order = placed(period)
    pay(order)
    order.collect_events()

    with pytest.raises(OrderNotPayable, match="PAID"):
        pay(order)

    assert order.collect_events() == []


def test_starting_a_checkout_records_the_session(period: Period) -> None:
    order = placed(period)

    order.start_checkout(session_id="cs_1", checkout_url="https://pay.example/cs_1", cause=CAUSE)

    [event] = order.collect_events()
    assert isinstance(event, Order.CheckoutStarted)
    assert (order.checkout_session_id, order.checkout_url) == ("cs_1", "https://pay.example/cs_1")


def test_persons_are_distinct_in_registration_order(period: Period) -> None:
    order = placed(
        period, wish("bachata1", PARTNER), wish("salsa1"), wish("salsa1", PARTNER), wish("bachata1")
    )

    assert order.persons() == (PARTNER, BUYER)
    assert [r.track_code for r in order.registrations_of(PARTNER)] == ["bachata1", "salsa1"]
    assert order.registrations_of(uuid4()) == ()
