"""Money paths over real HTTP with real signed Stripe events, on SQLite and on PostgreSQL.

A refund acts only on the payment it refunds, and an order is refunded only when nothing of what
was paid for it is kept; money no registration stands for is recorded and alerted. Each scenario
ends with the audit replay: the log keeps every invariant.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.alert import Alert
from domain.order import Order
from domain.payment import StripeDelivery
from domain.ticket import Ticket
from tests.support.service import Running, bearer
from tests.support.stripe_events import (
    charge_refunded,
    checkout_completed,
    payment_intent_succeeded,
)

pytestmark = pytest.mark.integration


def order_status(running: Running, order: dict[str, Any]) -> tuple[str, list[str]]:
    response = running.api.client.get(f"/api/orders/{order['orderId']}", headers=bearer("dancer-1"))
    assert response.status_code == 200, response.text
    body = response.json()
    return body["status"], [r["status"] for r in body["registrations"]]


def alerts(running: Running) -> list[tuple[str, str | None, str]]:
    """(kind, subject, message) of every alert raised, oldest first, from the event log."""
    store = running.services.store
    raised = [store.decode(n) for n in store.notifications(topics=(Alert.Raised.TOPIC,))]
    return [(e.kind.value, e.subject, e.message) for e in raised]


def count(running: Running, topic: str) -> int:
    return sum(n.topic == topic for n in running.services.store.notifications())


def webhook_ok(running: Running, payload: dict[str, Any]) -> None:
    response = running.api.webhook(payload)
    assert response.status_code == 200 and response.json() == {"received": True}, response.text


def ticket_status(running: Running) -> int:
    return running.api.ticket("dancer-1").status_code


def replay_is_clean(running: Running) -> None:
    # With the email worker's backlog: tickets whose email is not sent yet are pending.
    report = running.services.audit.replay(follower_store=running.services.follower_store)
    assert report.violations == ()


def paid_order(running: Running, intent: str = "pi_first") -> dict[str, Any]:
    order = running.api.new_dancer_order()
    webhook_ok(running, checkout_completed(order["orderId"], 150000, payment_intent=intent))
    assert order_status(running, order) == ("PAID", ["ACTIVE"])
    return order


def test_refunding_a_second_payment_of_the_order_leaves_it_paid_and_its_ticket(
    running: Running,
) -> None:
    """The customer paid twice (two payment intents naming the order); the second is refunded
    in full. The order stays paid by the first, the ticket stays valid."""
    order = paid_order(running)
    webhook_ok(
        running, payment_intent_succeeded(order["orderId"], 150000, payment_intent="pi_second")
    )

    # Even when the charge names the order: what it refunds is the second payment.
    webhook_ok(running, charge_refunded("pi_second", 150000, 150000, order_id=order["orderId"]))

    assert order_status(running, order) == ("PAID", ["ACTIVE"])
    assert ticket_status(running) == 200
    assert count(running, Order.Refunded.TOPIC) == 0
    assert [kind for kind, _, _ in alerts(running)] == ["duplicate_payment"]
    replay_is_clean(running)

    # Then the first payment is refunded too: nothing is kept, the order is refunded.
    webhook_ok(running, charge_refunded("pi_first", 150000, 150000))

    assert order_status(running, order) == ("REFUNDED", ["CANCELLED"])
    assert ticket_status(running) == 404
    replay_is_clean(running)


def test_a_one_cent_charge_refunded_in_full_is_a_partial_refund_of_the_order(
    running: Running,
) -> None:
    order = paid_order(running)

    webhook_ok(running, charge_refunded("pi_first", 1, 1))

    assert order_status(running, order) == ("PAID", ["ACTIVE"])
    assert ticket_status(running) == 200
    [(kind, subject, message)] = alerts(running)
    assert (kind, subject) == ("partial_refund", order["orderId"])
    assert "149999 of the 150000 NOK it costs are still paid" in message
    replay_is_clean(running)


def test_partial_refunds_of_the_payment_that_reach_its_amount_refund_the_order(
    running: Running,
) -> None:
    order = paid_order(running)

    webhook_ok(running, charge_refunded("pi_first", 150000, 100000))
    assert order_status(running, order) == ("PAID", ["ACTIVE"])
    webhook_ok(running, charge_refunded("pi_first", 150000, 150000))  # in all: the rest too

    assert order_status(running, order) == ("REFUNDED", ["CANCELLED"])
    assert ticket_status(running) == 404
    assert [kind for kind, _, _ in alerts(running)] == ["partial_refund"]
    replay_is_clean(running)


def test_a_refund_of_a_payment_the_order_never_recorded_changes_nothing(
    running: Running,
) -> None:
    order = paid_order(running)
    # The charge names the order in its metadata, but it took another payment intent's money.
    refund = charge_refunded("pi_stranger", 150000, 150000, order_id=order["orderId"])

    webhook_ok(running, refund)

    assert order_status(running, order) == ("PAID", ["ACTIVE"])
    assert ticket_status(running) == 200
    [(kind, subject, message)] = alerts(running)
    assert (kind, subject) == ("unknown_payment_refund", order["orderId"])
    assert "pi_stranger" in message
    delivery = running.services.store.get(StripeDelivery, StripeDelivery.id_for(refund["id"]))
    assert delivery.outcome.value == "unknown_payment_refund"
    replay_is_clean(running)


def test_a_refund_of_a_payment_of_no_order_is_alerted(running: Running) -> None:
    webhook_ok(running, charge_refunded("pi_nobody", 4200, 4200))

    [(kind, subject, _)] = alerts(running)
    assert (kind, subject) == ("unknown_payment_refund", "pi_nobody")


@pytest.mark.parametrize("amount", [150000, 1])
def test_a_second_payment_on_a_paid_order_is_recorded_and_alerted_once(
    running: Running, amount: int
) -> None:
    order = paid_order(running)
    second = payment_intent_succeeded(order["orderId"], amount, payment_intent="pi_second")

    for _ in range(3):  # Stripe delivers it again: no second effect
        webhook_ok(running, second)

    assert order_status(running, order) == ("PAID", ["ACTIVE"])
    [(kind, subject, message)] = alerts(running)
    assert (kind, subject) == ("duplicate_payment", order["orderId"])
    assert f"{amount} NOK" in message and "pi_second" in message
    assert count(running, Order.ExtraPaymentReceived.TOPIC) == 1
    assert count(running, Ticket.Issued.TOPIC) == 1
    assert count(running, Ticket.QrTokenIssued.TOPIC) == 1
    replay_is_clean(running)


def test_another_event_of_the_same_payment_is_no_second_payment(running: Running) -> None:
    order = paid_order(running, intent="pi_same")

    webhook_ok(
        running, payment_intent_succeeded(order["orderId"], 150000, payment_intent="pi_same")
    )

    assert count(running, Order.ExtraPaymentReceived.TOPIC) == 0
    assert alerts(running) == []


def test_a_payment_on_a_refunded_order_is_recorded_and_alerted(running: Running) -> None:
    order = paid_order(running)
    webhook_ok(running, charge_refunded("pi_first", 150000, 150000))

    webhook_ok(running, checkout_completed(order["orderId"], 150000, payment_intent="pi_late"))

    assert order_status(running, order) == ("REFUNDED", ["CANCELLED"])
    assert ticket_status(running) == 404
    [(kind, _, message)] = alerts(running)
    assert kind == "duplicate_payment" and "is REFUNDED" in message
    # The admin refunds it: the order stays refunded, nothing more to alert.
    webhook_ok(running, charge_refunded("pi_late", 150000, 150000))
    assert order_status(running, order) == ("REFUNDED", ["CANCELLED"])
    assert len(alerts(running)) == 1
    replay_is_clean(running)
