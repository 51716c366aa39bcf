"""The replay: every invariant holds on a real history, and each bad event breaks its own one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import Notification, StoredEvent

from application.audit import rebuilt
from application.audit.invariants import Invariant
from application.audit.replay import ReplayReport
from application.payments.ports import RefundReported
from application.worker.following import ReadModel
from domain.order import Order
from domain.payment import DeliveryOutcome, StripeDelivery
from domain.period import Period
from domain.person import Person
from domain.shared import SYSTEM, Cause
from domain.ticket import QrToken, Ticket
from tests.support.fakes import ADMIN_CAUSE, Wired, paid, place, put_profile, schedule, wire

pytestmark = pytest.mark.unit

STRIPE = Cause("stripe", "evt_forged")


@dataclass
class CountingView:
    """A read model for the test: how many events of each type, and the last order paid."""

    name: str = "counting-view"
    topics: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    last: int = 0
    closed: bool = False

    def position(self) -> int:
        return self.last

    def handle(self, notification: Notification, event: Any) -> None:
        self.counts[notification.topic] = self.counts.get(notification.topic, 0) + 1
        self.last = notification.id

    def scratch(self) -> ReadModel:
        return CountingView(self.name, self.topics)

    def entries(self) -> Iterator[tuple[str, Any]]:
        return iter(sorted(self.counts.items()))

    def replace_with(self, rebuilt: ReadModel) -> None:
        assert isinstance(rebuilt, CountingView)
        self.counts, self.last = dict(rebuilt.counts), rebuilt.last

    def close(self) -> None:
        self.closed = True


@dataclass
class History:
    """A service's history with every kind of thing that happens to orders and tickets."""

    wired: Wired
    period: Period
    order: Order  # ase's first order: paid, once, whatever was delivered
    refunded: Order  # ase's second order: paid, then refunded in full
    waiting: Order  # bo's order: paid before bo had a profile
    ticket: Ticket  # ase's ticket: its token rotated

    def replay(self, *read_models: ReadModel, rebuild: bool = False) -> ReplayReport:
        return self.wired.services.audit.replay(
            read_models, follower_store=self.wired.services.follower_store, rebuild=rebuild
        )

    def catch_up(self, view: CountingView) -> CountingView:
        for notification in self.wired.store.notifications():
            if notification.id > view.last:
                view.handle(notification, self.wired.store.decode(notification))
        return view


@pytest.fixture(params=["in_memory", "spilled"])
def history(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[History]:
    if request.param == "spilled":
        # One aggregate in memory: every other is read back from the scratch database.
        monkeypatch.setattr(rebuilt, "HOT_AGGREGATES", 1)
        monkeypatch.setattr(rebuilt, "HOT_STRIPE_IDS", 1)
    wired = wire()
    services = wired.services
    period = schedule(wired)
    put_profile(wired, "ase")
    order = place(wired, "ase", "salsa1")
    notice = paid(order, event_id="evt_pay_1")
    services.stripe_events.handle(notice)
    services.stripe_events.handle(notice)  # Stripe delivers it again
    services.stripe_events.handle(paid(order, event_id="evt_pay_1b"))  # another event, same payment
    refunded = place(wired, "ase", "bachata1")
    services.stripe_events.handle(
        replace(paid(refunded, event_id="evt_pay_2"), payment_intent_id="pi_2")
    )
    refund = RefundReported(
        event_id="evt_refund_2",
        event_type="charge.refunded",
        order_ref=None,
        payment_intent_id="pi_2",
        charge_amount_cents=refunded.total_cents,
        amount_refunded_cents=refunded.total_cents,
        currency="nok",
    )
    assert services.stripe_events.handle(refund) is DeliveryOutcome.REFUNDED
    # ase pays the first order twice; the admin refunds the second payment.
    twice = replace(paid(order, event_id="evt_pay_1c"), payment_intent_id="pi_twice")
    assert services.stripe_events.handle(twice) is DeliveryOutcome.DUPLICATE_PAYMENT
    given_back = replace(
        refund,
        event_id="evt_refund_twice",
        payment_intent_id="pi_twice",
        charge_amount_cents=order.total_cents,
        amount_refunded_cents=order.total_cents,
    )
    assert services.stripe_events.handle(given_back) is DeliveryOutcome.EXTRA_PAYMENT_REFUNDED
    waiting = place(wired, "bo", "salsa1")  # bo has no profile yet
    services.stripe_events.handle(
        replace(paid(waiting, event_id="evt_pay_3"), payment_intent_id="pi_3")
    )
    ticket_id = Ticket.id_for(period.id, Person.id_for_user("ase"))
    services.ticket_admin.rotate(ticket_id, reason="lost phone", cause=ADMIN_CAUSE)
    yield History(
        wired,
        period,
        wired.store.get(Order, order.id),
        wired.store.get(Order, refunded.id),
        wired.store.get(Order, waiting.id),
        wired.store.get(Ticket, ticket_id),
    )
    services.close()


def test_a_real_history_keeps_every_invariant(history: History) -> None:
    report = history.replay()

    assert report.violations == ()
    assert report.ok
    assert report.events == report.upto == history.wired.notification_count()
    assert report.events_per_second > 0


def test_the_replay_reports_its_progress(history: History) -> None:
    seen: list[tuple[int, int]] = []

    history.wired.services.audit.replay(
        progress=lambda done, total: seen.append((done, total)), page_size=5
    )

    last = history.wired.notification_count()
    assert seen[-1] == (last, last)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) > 2


def save(wired: Wired, *aggregates: Any) -> None:
    wired.store.save(*aggregates)


def broken(history: History) -> tuple[Invariant, ...]:
    report = history.replay()
    assert not report.ok
    return report.broken()


def test_a_paid_order_with_a_registration_not_active_breaks_paid_orders_active(
    history: History,
) -> None:
    order = place(history.wired, "ase", "bachata1")
    order.trigger_event(
        Order.PaymentReceived,
        stripe_event_id="evt_half",
        payment_intent_id=None,
        amount_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )  # and no RegistrationsActivated
    save(history.wired, order)

    assert broken(history) == (Invariant.PAID_ORDERS_ACTIVE,)


def test_a_paid_person_without_a_ticket_breaks_paid_persons_ticketed(history: History) -> None:
    put_profile(history.wired, "cy")
    order = place(history.wired, "cy", "salsa1")
    order.receive_payment(
        stripe_event_id="evt_no_ticket",
        payment_intent_id=None,
        amount_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )  # saved without the ticket fulfilment would issue
    save(history.wired, order)

    report = history.replay()

    assert report.broken() == (Invariant.PAID_PERSONS_TICKETED,)
    (violation,) = report.violations
    assert violation.subject == str(order.id)
    assert "no ticket" in violation.detail


def test_a_second_ticket_for_one_person_and_period_breaks_one_ticket_per_person(
    history: History,
) -> None:
    person_id = Person.id_for_user("ase")
    stray = Ticket._create(
        Ticket.Issued,
        id=uuid4(),
        cause=SYSTEM,
        period_id=history.period.id,
        person_id=person_id,
        registrations=(),
    )
    save(history.wired, stray)

    report = history.replay()

    assert Invariant.ONE_TICKET_PER_PERSON in report.broken()
    assert str(stray.id) in " ".join(v.detail for v in report.violations)


def test_a_recorded_hash_of_another_token_breaks_token_hashes_match(history: History) -> None:
    ticket = history.ticket
    assert ticket.token is not None
    ticket.record_token(
        QrToken(
            ticket.token.version + 1, ticket.token.issued_at, ticket.token.expires_at, "0" * 64
        ),
        SYSTEM,
    )
    save(history.wired, ticket)

    report = history.replay()

    assert report.broken() == (Invariant.TOKEN_HASHES_MATCH,)
    assert report.violations[0].subject == str(ticket.id)


def test_a_refund_that_leaves_registrations_active_breaks_refunded_orders_cancelled(
    history: History,
) -> None:
    order = history.order
    order.record_refund(
        stripe_event_id="evt_refund_1",
        payment_intent_id="pi_test_1",
        amount_refunded_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )  # and no RegistrationsCancelled
    save(history.wired, order)

    assert broken(history) == (Invariant.REFUNDED_ORDERS_CANCELLED,)


def old_style_refund(order: Order, intent: str | None, amount: int) -> None:
    """A refund as the service recorded it before refunds were matched to their payment."""
    order.trigger_event(
        Order.Refunded,
        stripe_event_id="evt_old_refund",
        payment_intent_id=intent,
        amount_refunded_cents=amount,
        currency="NOK",
        cause=STRIPE,
    )
    order.cancel_registrations(reason="refunded", cause=STRIPE)


def test_an_order_refunded_by_another_payment_breaks_refunds_of_own_payments(
    history: History,
) -> None:
    """A second payment intent naming the order, refunded in full, refunded the order."""
    order = history.order
    old_style_refund(order, "pi_someone_else", order.total_cents)
    save(history.wired, order)

    report = history.replay()

    assert Invariant.REFUNDS_OF_OWN_PAYMENTS in report.broken()
    [violation] = [v for v in report.violations if v.invariant is Invariant.REFUNDS_OF_OWN_PAYMENTS]
    assert violation.subject == str(order.id) and "pi_someone_else" in violation.detail


def test_an_order_refunded_by_one_cent_breaks_refunds_of_own_payments(history: History) -> None:
    """A 1-cent charge of the order's own payment intent, refunded in full."""
    wired = history.wired
    put_profile(wired, "cy")
    order = place(wired, "cy", "salsa1")
    wired.services.stripe_events.handle(replace(paid(order), payment_intent_id="pi_cy"))
    order = wired.store.get(Order, order.id)
    old_style_refund(order, "pi_cy", 1)
    save(history.wired, order)

    report = history.replay()

    assert Invariant.REFUNDS_OF_OWN_PAYMENTS in report.broken()
    details = [
        v.detail for v in report.violations if v.invariant is Invariant.REFUNDS_OF_OWN_PAYMENTS
    ]
    assert details == [
        f"order {order.id} is REFUNDED, but only 1 of the 150000 NOK paid for it were refunded"
    ]


def test_an_extra_payment_without_an_alert_breaks_extra_payments_alerted(
    history: History,
) -> None:
    order = history.order
    order.receive_payment(
        stripe_event_id="evt_silent",
        payment_intent_id="pi_silent",
        amount_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )  # saved without the duplicate_payment alert fulfilment raises
    save(history.wired, order)

    report = history.replay()

    assert report.broken() == (Invariant.EXTRA_PAYMENTS_ALERTED,)
    assert "evt_silent" in report.violations[0].detail


def test_a_stripe_event_paying_two_orders_breaks_stripe_events_applied_once(
    history: History,
) -> None:
    put_profile(history.wired, "di")
    order = place(history.wired, "di", "salsa1")
    # A forged second delivery record of the first payment's Stripe event, then the payment.
    record = StripeDelivery._create(
        StripeDelivery.Recorded,
        id=uuid4(),
        cause=STRIPE,
        stripe_event_id="evt_pay_1",
        event_type="checkout.session.completed",
        order_id=order.id,
        outcome=DeliveryOutcome.FULFILLED,
    )
    order.receive_payment(
        stripe_event_id="evt_pay_1",
        payment_intent_id=None,
        amount_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )
    save(history.wired, record, order)

    report = history.replay()

    assert Invariant.STRIPE_EVENTS_ONCE in report.broken()
    details = [v.detail for v in report.violations if v.invariant is Invariant.STRIPE_EVENTS_ONCE]
    assert len(details) == 2
    assert any("StripeDelivery.Recorded" in d for d in details)
    assert any("Order.PaymentReceived" in d for d in details)


def test_a_ticket_never_emailed_and_not_pending_breaks_tickets_emailed(history: History) -> None:
    jobs = history.wired.services.follower_store
    # The email worker read everything and has nothing queued: yet nothing was emailed.
    jobs.advance("ticket-emails", history.wired.notification_count())

    report = history.replay()

    assert report.broken() == (Invariant.TICKETS_EMAILED,)
    assert {v.subject for v in report.violations} == {str(history.ticket.id)}


def test_a_ticket_whose_email_is_queued_or_recorded_is_fine(history: History) -> None:
    jobs = history.wired.services.follower_store
    ticket = history.ticket
    jobs.advance(
        "ticket-emails",
        history.wired.notification_count(),
        [(f"{ticket.id}:2:rotated", {"ticket_id": str(ticket.id), "reason": "rotated"})],
    )
    assert history.replay().ok

    jobs.done("ticket-emails", f"{ticket.id}:2:rotated")
    ticket.record_emailed(token_version=2, reason="rotated", message_id="msg-1", cause=SYSTEM)
    save(history.wired, ticket)
    jobs.advance("ticket-emails", history.wired.notification_count())

    assert history.replay().ok


def test_without_the_email_backlog_only_a_recorded_email_counts(history: History) -> None:
    report = history.wired.services.audit.replay()

    assert report.broken() == (Invariant.TICKETS_EMAILED,)


def test_an_event_that_does_not_apply_breaks_histories_apply(history: History) -> None:
    ticket = history.ticket
    stray = Ticket.RegistrationsAdded(
        originator_id=ticket.id,
        originator_version=ticket.version + 2,  # a gap: version + 1 is missing
        timestamp=datetime.now(UTC),
        cause=SYSTEM,
        registrations=(),
    )
    store = history.wired.store
    store.recorder.insert_events([store.mapper.to_stored_event(stray)])

    report = history.replay()

    assert report.broken() == (Invariant.HISTORIES_APPLY,)
    assert "RegistrationsAdded" in report.violations[0].detail


def test_a_live_read_model_equal_to_the_log_passes(history: History) -> None:
    live = history.catch_up(CountingView())

    report = history.replay(live)

    assert report.ok
    (check,) = report.read_models
    assert check.name == "counting-view" and check.equal and not check.rebuilt


def test_a_live_read_model_that_differs_fails_and_rebuild_replaces_it(history: History) -> None:
    live = history.catch_up(CountingView())
    live.counts[Order.Placed.TOPIC] += 1
    live.counts["tickets:Nothing.Happened"] = 1

    report = history.replay(live)

    assert not report.ok and report.violations == ()
    (check,) = report.read_models
    assert not check.equal
    assert "2 entries differ" in check.detail and "tickets:Nothing.Happened" in check.detail
    assert live.counts["tickets:Nothing.Happened"] == 1  # compared, not touched

    rebuilt = history.replay(live, rebuild=True)

    assert rebuilt.ok and rebuilt.read_models[0].rebuilt
    assert "tickets:Nothing.Happened" not in live.counts
    assert history.replay(live).read_models[0].equal


def test_every_difference_is_counted_and_the_first_ones_named_in_key_order(
    history: History,
) -> None:
    live = history.catch_up(CountingView())
    missing = min(live.counts)  # the first key: only the rebuilt view has it
    del live.counts[missing]
    extra = [f"tickets:Extra{n}" for n in range(6)]  # only the live view has these
    for key in extra:
        live.counts[key] = 1

    (check,) = history.replay(live).read_models

    assert not check.equal
    assert check.detail.startswith("7 entries differ from the log's: ")
    assert f"{missing} is missing from the live one" in check.detail
    named = [key for key in extra if f"{key} is in the live one only" in check.detail]
    assert named == extra[:4] and check.detail.endswith("; and 2 more")


def test_a_live_read_model_behind_the_log_is_reported(history: History) -> None:
    live = CountingView()  # the worker never ran it

    report = history.replay(live)

    assert not report.ok
    assert "behind the log" in report.read_models[0].detail


def test_a_live_read_model_ahead_of_the_replay_is_compared_at_its_own_position(
    history: History,
) -> None:
    live = history.catch_up(CountingView())
    original = live.scratch

    def scratch_then_record_more() -> ReadModel:
        # An event is recorded while the replay runs, and the worker follows it at once.
        put_profile(history.wired, f"late-{uuid4().hex[:6]}")
        history.catch_up(live)
        return original()

    live.scratch = scratch_then_record_more  # type: ignore[method-assign]

    report = history.replay(live)

    assert report.read_models[0].equal, report.read_models[0].detail
    assert report.upto < live.position()


def test_a_read_model_of_some_topics_is_fed_only_those(history: History) -> None:
    topics = (Order.Placed.TOPIC,)
    live = CountingView(topics=topics)
    for notification in history.wired.store.notifications(topics=topics):
        live.handle(notification, history.wired.store.decode(notification))

    report = history.replay(live)

    assert report.read_models[0].equal
    assert set(live.counts) == {Order.Placed.TOPIC}


def test_an_order_waiting_for_a_profile_is_covered_once_the_profile_exists(
    history: History,
) -> None:
    put_profile(history.wired, "bo")

    report = history.replay()

    assert report.ok
    ticket = history.wired.store.find(
        Ticket, Ticket.id_for(history.period.id, Person.id_for_user("bo"))
    )
    assert ticket is not None


def test_an_event_that_cannot_be_read_breaks_histories_apply(history: History) -> None:
    ticket = history.ticket
    store = history.wired.store
    garbled = StoredEvent(
        originator_id=ticket.id,
        originator_version=ticket.version + 1,
        topic=Ticket.RegistrationsAdded.TOPIC,
        state=b'{"registrations": "not what was recorded"',
    )
    store.recorder.insert_events([garbled])

    report = history.replay()

    assert report.broken() == (Invariant.HISTORIES_APPLY,)
    assert "cannot be read" in report.violations[0].detail
    assert report.events == history.wired.notification_count()
