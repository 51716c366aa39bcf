"""Poisoned identifiers from outside (SQLite and PostgreSQL): a NUL, a lone surrogate, markup or
an unbounded length in any Stripe id or type, a bearer token's ``sub`` or ``kid``, is refused at
the edge (400 for webhooks, 401 for tokens), records nothing, and stalls no follower.

On PostgreSQL a NUL in a payment intent id was answered 200; the alert list's follower then
failed on every retry ("text fields cannot contain NUL") and no later alert reached the list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest

from application.worker.stalls import FollowerHealth
from entrypoints.bootstrap import build_worker
from tests.integration.api.test_hostile_input import assert_problem, log_length
from tests.support.service import AUTH_SECRET, Running, bearer, drain
from tests.support.stripe_events import (
    charge_refunded,
    checkout_completed,
    payment_intent_succeeded,
    stripe_id,
)

pytestmark = pytest.mark.integration

POISONS = {
    "nul": "pi_\x00x",
    "surrogate": "x\ud800",
    "escape": "pi_\x1b[2J",
    "slack-link": "<https://evil.example|Refund here>",
    "bidi": "pi_\u202etxt",
    "long": "pi_" + "x" * 300,
}

Event = dict[str, Any]


def _set_event_id(event: Event, value: str) -> None:
    event["id"] = value


def _set_type(event: Event, value: str) -> None:
    event["type"] = value


def _set_intent(event: Event, value: str) -> None:
    event["data"]["object"]["payment_intent"] = value


def _set_expanded_intent(event: Event, value: str) -> None:
    event["data"]["object"]["payment_intent"] = {"id": value, "object": "payment_intent"}


def _set_order_metadata(event: Event, value: str) -> None:
    event["data"]["object"]["metadata"] = {"orderId": value}


def _set_client_reference(event: Event, value: str) -> None:
    event["data"]["object"]["metadata"] = {}
    event["data"]["object"]["client_reference_id"] = value


def _set_object_id(event: Event, value: str) -> None:
    event["data"]["object"]["id"] = value


def _session(order: dict[str, Any]) -> Event:
    return checkout_completed(order["orderId"], order["totalCents"], payment_intent=stripe_id("pi"))


def _intent(order: dict[str, Any]) -> Event:
    return payment_intent_succeeded(order["orderId"], order["totalCents"])


def _refund(order: dict[str, Any]) -> Event:
    return charge_refunded(stripe_id("pi"), order["totalCents"], order["totalCents"])


# Every identifier a handled event carries, in the event that carries it.
FIELDS: dict[str, tuple[Callable[[dict[str, Any]], Event], Callable[[Event, str], None]]] = {
    "event.id": (_session, _set_event_id),
    "event.type": (_session, _set_type),
    "session.payment_intent": (_session, _set_intent),
    "session.payment_intent.id": (_session, _set_expanded_intent),
    "session.metadata.orderId": (_session, _set_order_metadata),
    "session.client_reference_id": (_session, _set_client_reference),
    "intent.id": (_intent, _set_object_id),
    "intent.metadata.orderId": (_intent, _set_order_metadata),
    "charge.payment_intent": (_refund, _set_intent),
    "charge.metadata.orderId": (_refund, _set_order_metadata),
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
def test_a_poisoned_stripe_identifier_is_400_and_records_nothing(
    running: Running, field: str, poison: str
) -> None:
    api = running.api
    order = api.new_dancer_order()
    build, poisoned = FIELDS[field]
    event = build(order)
    poisoned(event, poison)
    before = log_length(running)

    response = api.webhook(event)

    assert_problem(response, 400, "invalid_webhook")
    assert log_length(running) == before
    assert api.client.get("/metrics").status_code == 200


def test_after_poisoned_webhooks_alerts_still_reach_the_list_and_nothing_stalls(
    running: Running,
) -> None:
    api, services = running.api, running.services
    order = api.new_dancer_order()
    for poison in POISONS.values():
        event = _session(order)
        _set_intent(event, poison)
        assert api.webhook(event).status_code == 400
    # A payment of the wrong amount: an alert that must reach the admins' list.
    assert api.webhook(checkout_completed(order["orderId"], 1)).status_code == 200
    worker = build_worker(services)

    drain(worker)
    worker.close()

    assert FollowerHealth(services.store, services.followers).stalled() == []
    alerts = api.client.get("/api/admin/alerts", headers=bearer("admin-1", "admin")).json()
    assert [a["kind"] for a in alerts["items"]] == ["payment_mismatch"]
    assert api.client.get("/health/ready").status_code == 200


@pytest.mark.parametrize(
    "sub",
    ["dancer\x00-1", "dancer\x1b[2J", "x\ud800", "dancer 1", "d" * 256, "\u202edancer"],
    ids=["nul", "escape", "surrogate", "space", "long", "bidi"],
)
def test_a_bearer_token_with_a_poisoned_subject_is_401_and_records_nothing(
    running: Running, sub: str
) -> None:
    client = running.api.client
    claims = {"sub": sub, "exp": 4_102_444_800, "roles": ["admin"]}
    token = jwt.encode(claims, AUTH_SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}

    put = client.put(
        "/api/me/profile", json={"name": "Ola", "email": "ola@example.no"}, headers=headers
    )
    read = client.get("/api/me/profile", headers=headers)

    assert_problem(put, 401, "unauthenticated")
    assert_problem(read, 401, "unauthenticated")
    assert log_length(running) == 0


def test_an_order_for_someone_elses_account_looks_like_one_for_nobody(running: Running) -> None:
    """Any user could order for any person id, and 201 against person_not_found told whether
    a person existed. A user registers partners without an account only (the walk-through of
    docs/getting-started.md)."""
    api = running.api
    api.schedule()
    api.profile("dancer-1")
    victim = api.profile("victim", name="Vera Viktim")["personId"]
    nobody = "0c4a2f53-7d61-4b5e-8a49-2f0e6d3c1b77"
    before = log_length(running)

    answers = []
    for person_id in (victim, nobody):
        response = api.client.post(
            "/api/orders",
            json={
                "periodCode": "2026-fall",
                "registrations": [{"trackCode": "salsa1", "personId": person_id}],
            },
            headers=bearer("dancer-1"),
        )
        body = assert_problem(response, 404, "person_not_found")
        answers.append({**body, "detail": body["detail"].replace(person_id, "<id>")})

    assert answers[0] == answers[1]
    assert log_length(running) == before
