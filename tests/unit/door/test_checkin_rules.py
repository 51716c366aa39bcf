"""The door's domain rules: one check-in per ticket per day, revocation, rotation, refunds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.check_in import AlreadyCheckedIn
from domain.order import Order, OrderNotRefundable, OrderStatus, RequestedRegistration
from domain.order import RegistrationStatus as Reg
from domain.payment import OrderPaymentIntent, RefundEffect
from domain.scan import Scan
from domain.shared import Cause
from domain.ticket import (
    CoveredRegistration,
    QrToken,
    Ticket,
    TicketRevoked,
    TicketStatus,
    TokenVersionConflict,
)
from tests.support.fakes import new_period

pytestmark = pytest.mark.unit

STAFF = Cause(actor="door-staff-1", reference="req-1")
ADMIN = Cause(actor="admin-1", reference="req-2")
STRIPE = Cause(actor="stripe", reference="evt_1")
SALSA = CoveredRegistration(uuid4(), uuid4(), "salsa1")
BACHATA = CoveredRegistration(uuid4(), uuid4(), "bachata1")
EVENING = datetime(2026, 10, 1, 17, 0, tzinfo=UTC)
DAY = date(2026, 10, 1)


def ticket_with_token(*registrations: CoveredRegistration) -> Ticket:
    ticket = Ticket.issue(
        period_id=uuid4(), person_id=uuid4(), registrations=registrations or (SALSA,), cause=STRIPE
    )
    ticket.record_token(QrToken(1, EVENING, EVENING + timedelta(days=90), "hash-1"), STRIPE)
    ticket.collect_events()
    return ticket


def check_in(ticket: Ticket, at: datetime = EVENING, day: date = DAY) -> None:
    ticket.check_in(
        at=at,
        local_date=day,
        device_id="door-a",
        staff_user_id="door-staff-1",
        scan_id="scan-1",
        cause=STAFF,
    )


def test_a_check_in_records_who_scanned_where_when_and_which_token() -> None:
    ticket = ticket_with_token()

    check_in(ticket)

    [event] = ticket.collect_events()
    assert isinstance(event, Ticket.CheckedIn)
    assert (event.checked_in_at, event.local_date, event.token_version) == (EVENING, DAY, 1)
    assert (event.device_id, event.staff_user_id, event.scan_id) == (
        "door-a",
        "door-staff-1",
        "scan-1",
    )
    assert event.cause == STAFF
    assert ticket.checked_in_on(DAY) == EVENING


def test_a_ticket_is_checked_in_once_per_day_and_again_the_next_day() -> None:
    ticket = ticket_with_token()
    check_in(ticket)

    with pytest.raises(AlreadyCheckedIn):
        check_in(ticket, at=EVENING + timedelta(hours=1))
    check_in(ticket, at=EVENING + timedelta(days=1), day=DAY + timedelta(days=1))

    assert ticket.checked_in_on(DAY) == EVENING  # the first time of the day stays
    assert ticket.checked_in_on(DAY + timedelta(days=1)) == EVENING + timedelta(days=1)
    assert len(ticket.collect_events()) == 2


def test_a_revoked_ticket_is_not_checked_in_nor_rotated() -> None:
    ticket = ticket_with_token()
    assert ticket.revoke(reason="fraud", cause=ADMIN)

    with pytest.raises(TicketRevoked):
        check_in(ticket)
    with pytest.raises(TicketRevoked):
        ticket.rotate_token(reason="lost phone", cause=ADMIN)
    [revoked] = ticket.collect_events()
    assert isinstance(revoked, Ticket.Revoked)
    assert (revoked.reason, revoked.cause) == ("fraud", ADMIN)


def test_revoking_twice_records_one_revocation() -> None:
    ticket = ticket_with_token()

    assert ticket.revoke(reason="fraud", cause=ADMIN)
    assert not ticket.revoke(reason="again", cause=ADMIN)

    assert [type(e) for e in ticket.collect_events()] == [Ticket.Revoked]
    assert ticket.status is TicketStatus.REVOKED and ticket.revoked_reason == "fraud"


def test_a_ticket_without_a_token_cannot_be_checked_in_or_rotated() -> None:
    ticket = Ticket.issue(period_id=uuid4(), person_id=uuid4(), registrations=(), cause=STRIPE)

    with pytest.raises(TokenVersionConflict):
        check_in(ticket)
    with pytest.raises(TokenVersionConflict):
        ticket.rotate_token(reason=None, cause=ADMIN)


def test_a_rotation_records_the_reason_and_the_version_it_replaces() -> None:
    ticket = ticket_with_token()

    ticket.rotate_token(reason="lost phone", cause=ADMIN)

    [event] = ticket.collect_events()
    assert isinstance(event, Ticket.TokenRotated)
    assert (event.replaced_version, event.reason, event.cause) == (1, "lost phone", ADMIN)
    assert ticket.next_token_version == 2


def test_removing_registrations_keeps_the_others_and_ignores_unknown_ones() -> None:
    ticket = ticket_with_token(SALSA, BACHATA)

    assert ticket.remove_registrations(
        (SALSA.registration_id, uuid4()), reason="refunded", cause=STRIPE
    )
    assert not ticket.remove_registrations((SALSA.registration_id,), reason="x", cause=STRIPE)

    [event] = ticket.collect_events()
    assert isinstance(event, Ticket.RegistrationsRemoved)
    assert event.registration_ids == (SALSA.registration_id,)
    assert ticket.registrations == (BACHATA,) and ticket.track_codes() == ("bachata1",)


def paid_order() -> Order:
    period = new_period()
    person = uuid4()
    order = Order.place(
        period=period,
        purchaser_person_id=person,
        requested=(
            RequestedRegistration(person, "salsa1", "leader"),
            RequestedRegistration(person, "bachata1", None),
        ),
        cause=STRIPE,
    )
    order.receive_payment(
        stripe_event_id="evt_pay",
        payment_intent_id="pi_1",
        amount_cents=order.total_cents,
        currency="nok",
        cause=STRIPE,
    )
    order.collect_events()
    return order


def refund(order: Order) -> None:
    order.record_refund(
        stripe_event_id="evt_refund",
        payment_intent_id="pi_1",
        amount_refunded_cents=order.total_cents,
        currency="nok",
        cause=STRIPE,
    )


def test_a_full_refund_marks_the_order_refunded_and_cancels_its_registrations() -> None:
    order = paid_order()

    refund(order)
    cancelled = order.cancel_registrations(reason="refunded", cause=STRIPE)

    refunded, cancellation = order.collect_events()
    assert isinstance(refunded, Order.Refunded) and isinstance(
        cancellation, Order.RegistrationsCancelled
    )
    assert (refunded.amount_refunded_cents, refunded.currency) == (order.total_cents, "NOK")
    assert (
        cancellation.registration_ids
        == cancelled
        == tuple(r.registration_id for r in order.registrations)
    )
    assert order.status is OrderStatus.REFUNDED
    assert set(order.registration_status.values()) == {Reg.CANCELLED}
    assert order.cancel_registrations(reason="again", cause=STRIPE) == ()
    assert order.collect_events() == []


def test_a_pending_order_has_no_payment_to_refund() -> None:
    order = Order.place(
        period=new_period(),
        purchaser_person_id=uuid4(),
        requested=(RequestedRegistration(uuid4(), "salsa1", None),),
        cause=STRIPE,
    )

    with pytest.raises(OrderNotRefundable):
        refund(order)


def test_a_refunded_order_is_refunded_once() -> None:
    order = paid_order()
    refund(order)
    order.collect_events()

    assert (
        order.record_refund(
            stripe_event_id="evt_refund_again",
            payment_intent_id="pi_1",
            amount_refunded_cents=order.total_cents,
            currency="nok",
            cause=STRIPE,
        )
        is RefundEffect.ALREADY_REFUNDED
    )
    assert order.collect_events() == []


def test_a_payment_intent_finds_its_order_through_a_stable_index_id() -> None:
    order_id = uuid4()

    link = OrderPaymentIntent.link("pi_1", order_id, STRIPE)

    assert link.id == OrderPaymentIntent.id_for("pi_1") != OrderPaymentIntent.id_for("pi_2")
    assert link.order_id == order_id


def test_a_scan_record_is_keyed_by_its_caller_and_scan_id() -> None:
    scan = Scan.answer(
        caller="device:a",
        scan_id="device-a:0001",
        ticket_id=uuid4(),
        token_hash="h",
        result="ok",
        checked_in_at=EVENING,
        cause=STAFF,
    )

    assert scan.id == Scan.id_for("device:a", "device-a:0001")
    assert scan.id != Scan.id_for("device:a", "device-a:0002")
    assert scan.id != Scan.id_for("device:b", "device-a:0001")  # another caller's nonce
