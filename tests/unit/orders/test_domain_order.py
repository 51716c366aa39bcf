"""Order: placing one at the period's prices, the payment that activates it, and the money
accounted per payment intent (extra payments, refunds)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.order import (
    InvalidOrder,
    Order,
    OrderStatus,
    PaymentAlreadyRecorded,
    PaymentMismatch,
    RecordedPayment,
    RefundOfUnknownPayment,
    RegistrationStatus,
    RequestedRegistration,
)
from domain.payment import PaymentReceipt, RefundEffect
from domain.period import Period, UnknownTrack
from domain.shared import Cause
from tests.support.fakes import new_period

pytestmark = pytest.mark.unit

BUYER = uuid4()
PARTNER = uuid4()
CAUSE = Cause(actor="user-1", reference="req-1")
STRIPE = Cause(actor="stripe", reference="evt_1")


@pytest.fixture
def period() -> Period:
    return new_period()


def wish(track: str, person: UUID = BUYER, role: str | None = None) -> RequestedRegistration:
    return RequestedRegistration(person, track, role)


def place(period: Period, *wishes: RequestedRegistration) -> Order:
    return Order.place(period=period, purchaser_person_id=BUYER, requested=wishes, cause=CAUSE)


def placed(period: Period, *wishes: RequestedRegistration) -> Order:
    order = place(period, *(wishes or (wish("salsa1"), wish("bachata1"))))
    order.collect_events()
    return order


def pay(
    order: Order,
    amount_cents: int | None = None,
    currency: str = "nok",
    intent: str = "pi_1",
    event_id: str = "evt_1",
) -> PaymentReceipt:
    return order.receive_payment(
        stripe_event_id=event_id,
        payment_intent_id=intent,
        amount_cents=order.total_cents if amount_cents is None else amount_cents,
        currency=currency,
        cause=STRIPE,
    )


def refund(
    order: Order, intent: str | None, refunded: int, currency: str = "nok", event_id: str = "evt_r"
) -> RefundEffect:
    return order.record_refund(
        stripe_event_id=event_id,
        payment_intent_id=intent,
        amount_refunded_cents=refunded,
        currency=currency,
        cause=STRIPE,
    )


def paid_order(period: Period) -> Order:
    order = placed(period)
    pay(order)
    order.collect_events()
    return order


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


def test_another_event_of_a_recorded_payment_is_refused_and_records_nothing(
    period: Period,
) -> None:
    order = paid_order(period)

    with pytest.raises(PaymentAlreadyRecorded, match="pi_1"):
        pay(order, event_id="evt_again")

    assert order.collect_events() == []


@pytest.mark.parametrize("amount_cents", [270_000, 1, 999_999])
def test_a_payment_of_another_intent_on_a_paid_order_is_recorded_as_extra(
    period: Period, amount_cents: int
) -> None:
    order = paid_order(period)

    receipt = pay(order, amount_cents, intent="pi_2", event_id="evt_2")

    assert receipt is PaymentReceipt.EXTRA
    [extra] = order.collect_events()
    assert isinstance(extra, Order.ExtraPaymentReceived)
    assert (extra.payment_intent_id, extra.amount_cents, extra.currency) == (
        "pi_2",
        amount_cents,
        "NOK",
    )
    assert order.status is OrderStatus.PAID
    assert order.payment_intent_id == "pi_1"  # still the one that paid it
    assert [p.payment_intent_id for p in order.payments] == ["pi_1", "pi_2"]


def test_a_payment_on_a_refunded_order_is_recorded_as_extra(period: Period) -> None:
    order = paid_order(period)
    refund(order, "pi_1", 270_000)

    assert pay(order, intent="pi_2", event_id="evt_2") is PaymentReceipt.EXTRA
    assert order.status is OrderStatus.REFUNDED


def test_a_payment_on_a_cancelled_order_is_recorded_as_extra(period: Period) -> None:
    order = placed(period)
    order.status = OrderStatus.CANCELLED  # no command cancels an order yet; the rule holds

    assert pay(order) is PaymentReceipt.EXTRA
    assert set(order.registration_status.values()) == {RegistrationStatus.PENDING}


def test_a_refund_of_everything_paid_refunds_the_order(period: Period) -> None:
    order = paid_order(period)

    effect = refund(order, "pi_1", 270_000)

    assert effect is RefundEffect.REFUNDED
    [refunded] = order.collect_events()
    assert isinstance(refunded, Order.Refunded)
    assert (refunded.payment_intent_id, refunded.amount_refunded_cents) == ("pi_1", 270_000)
    assert order.status is OrderStatus.REFUNDED
    assert order.kept_cents() == 0


@pytest.mark.parametrize("refunded", [1, 269_999])
def test_a_refund_of_less_than_was_paid_is_partial_and_leaves_the_order_paid(
    period: Period, refunded: int
) -> None:
    order = paid_order(period)

    assert refund(order, "pi_1", refunded) is RefundEffect.PARTIAL

    [recorded] = order.collect_events()
    assert isinstance(recorded, Order.PaymentRefunded)
    assert order.status is OrderStatus.PAID
    assert order.kept_cents() == 270_000 - refunded


@pytest.mark.parametrize(
    ("intent", "currency"), [("pi_other", "nok"), (None, "nok"), ("pi_1", "eur")]
)
def test_a_refund_of_a_payment_the_order_never_recorded_is_refused(
    period: Period, intent: str | None, currency: str
) -> None:
    order = paid_order(period)

    with pytest.raises(RefundOfUnknownPayment):
        refund(order, intent, 270_000, currency)

    assert order.collect_events() == []
    assert order.status is OrderStatus.PAID


def test_the_refund_of_an_extra_payment_leaves_the_order_paid(period: Period) -> None:
    order = paid_order(period)
    pay(order, intent="pi_2", event_id="evt_2")

    assert refund(order, "pi_2", 270_000) is RefundEffect.COVERED
    assert order.status is OrderStatus.PAID
    assert order.kept_cents() == 270_000


def test_refund_figures_are_running_totals_of_their_payment(period: Period) -> None:
    order = paid_order(period)

    assert refund(order, "pi_1", 100_000, event_id="evt_r1") is RefundEffect.PARTIAL
    assert refund(order, "pi_1", 270_000, event_id="evt_r2") is RefundEffect.REFUNDED
    assert refund(order, "pi_1", 100_000, event_id="evt_r3") is RefundEffect.ALREADY_REFUNDED

    assert order.refunded == {"pi_1": 270_000}
    assert [type(e).__name__ for e in order.collect_events()] == ["PaymentRefunded", "Refunded"]
    assert order.payments == [RecordedPayment("evt_1", "pi_1", 270_000, "NOK")]
    assert order.payments_at_refund == 1
