"""The critical path over real HTTP into a real event store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from adapters.qr_tokens import JwtTokenSigner
from domain.order import Order
from domain.payment import StripeDelivery
from domain.ticket import Ticket
from tests.support.service import PG_ADMIN, WEBHOOK_SECRET, Running, admin_alerts, bearer
from tests.support.stripe_events import checkout_completed, payment_intent_succeeded, signed

pytestmark = pytest.mark.integration


def recorded_topics(running: Running) -> list[str]:
    return [n.topic for n in running.services.store.notifications()]


def ticket_aggregate(running: Running, ticket_id: str) -> Ticket:
    ticket = running.services.store.find(Ticket, UUID(ticket_id))
    assert ticket is not None
    return ticket


def stored_bytes(running: Running, database_url: str) -> bytes:
    """Everything the event store holds, as raw bytes, to search for what must not be there."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(f.read_bytes() for f in path.parent.glob(f"{path.name}*"))  # with -wal
    schema = database_url.rsplit("schema=", 1)[1]
    with psycopg.connect(PG_ADMIN) as conn:
        rows = conn.execute(f'SELECT topic, state FROM "{schema}".tickets_events').fetchall()
    return b"".join(topic.encode() + bytes(state) for topic, state in rows)


def test_payment_turns_a_pending_order_into_a_paid_one_with_a_ticket(
    running: Running, database_url: str
) -> None:
    api = running.api
    period = api.schedule()
    profile = api.profile("dancer-1")
    order = api.order("dancer-1", "salsa1")
    assert order["status"] == "PENDING" and order["totalCents"] == 150000

    response = api.pay(order)

    assert response.status_code == 200 and response.json() == {"received": True}
    paid = api.client.get(f"/api/orders/{order['orderId']}", headers=bearer("dancer-1")).json()
    assert paid["status"] == "PAID"
    assert [r["status"] for r in paid["registrations"]] == ["ACTIVE"]

    ticket = api.ticket("dancer-1").json()
    assert ticket["personId"] == profile["personId"] and ticket["periodId"] == period["periodId"]
    assert ticket["personName"] == "Åse Øvergård"
    assert ticket["tracks"] == [{"code": "salsa1", "name": "Salsa 1", "schedule": []}]
    assert ticket["status"] == "ACTIVE" and ticket["qrTokenVersion"] == 1
    # Expiry: the end of the period's last day in Oslo (CET in December).
    assert ticket["qrTokenExpiresAt"] == "2027-06-15T22:00:00Z"

    token = ticket["qrToken"]
    claims = JwtTokenSigner(running.settings.tokens).verify(token)
    assert str(claims.ticket_id) == ticket["ticketId"] and claims.version == 1
    recorded = ticket_aggregate(running, ticket["ticketId"]).token
    assert recorded is not None
    assert recorded.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert api.ticket("dancer-1").json()["qrToken"] == token  # the same token every time

    stored = stored_bytes(running, database_url)
    assert recorded.token_hash.encode() in stored
    assert token.encode() not in stored
    assert token.split(".")[2].encode() not in stored  # not even its signature


def test_the_same_event_five_times_in_sequence_has_one_effect(running: Running) -> None:
    api = running.api
    order = api.new_dancer_order()
    payload = checkout_completed(order["orderId"], order["totalCents"])

    statuses = [api.webhook(payload).status_code for _ in range(5)]

    assert statuses == [200] * 5
    topics = recorded_topics(running)
    assert topics.count(Order.PaymentReceived.TOPIC) == 1
    assert topics.count(Ticket.Issued.TOPIC) == 1
    assert topics.count(Ticket.QrTokenIssued.TOPIC) == 1
    assert topics.count(StripeDelivery.Recorded.TOPIC) == 1


def test_another_paid_event_for_a_paid_order_has_no_second_effect(running: Running) -> None:
    api = running.api
    order = api.new_dancer_order()
    api.pay(order, payment_intent="pi_test_1")

    again = api.webhook(
        payment_intent_succeeded(order["orderId"], order["totalCents"], payment_intent="pi_test_1")
    )

    assert again.status_code == 200
    topics = recorded_topics(running)
    assert topics.count(Order.PaymentReceived.TOPIC) == 1
    assert topics.count(Ticket.Issued.TOPIC) == 1
    assert topics.count(StripeDelivery.Recorded.TOPIC) == 2  # both events are on record


def test_a_second_order_of_the_same_person_extends_their_ticket(running: Running) -> None:
    api = running.api
    api.schedule()
    api.profile("dancer-1")
    first = api.order("dancer-1", "salsa1")
    second = api.order("dancer-1", "bachata1")
    api.pay(first)
    token_before = api.ticket("dancer-1").json()["qrToken"]

    api.pay(second)

    ticket = api.ticket("dancer-1").json()
    assert {t["code"] for t in ticket["tracks"]} == {"salsa1", "bachata1"}
    assert ticket["qrToken"] == token_before  # extending a ticket does not change its QR code
    assert recorded_topics(running).count(Ticket.Issued.TOPIC) == 1


def test_a_couples_order_gives_each_person_a_ticket(running: Running) -> None:
    api = running.api
    api.schedule()
    api.profile("lead-1", name="Lars Leder")
    partner = api.client.post(
        "/api/admin/people",
        json={"name": "Fiona Følger", "email": "fiona@example.no"},
        headers=bearer("admin-1", "admin"),
    ).json()
    order = api.order("lead-1", "salsa1", partner=partner["personId"])
    assert order["totalCents"] == 300000

    assert api.pay(order).status_code == 200

    issued = [n for n in running.services.store.notifications() if n.topic == Ticket.Issued.TOPIC]
    tickets = [running.services.store.decode(n) for n in issued]
    assert {t.person_id for t in tickets} == {
        UUID(order["purchaserPersonId"]),
        UUID(partner["personId"]),
    }
    assert api.ticket("lead-1").json()["personName"] == "Lars Leder"


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("bad signature", lambda body, sig: (body, sig[:-4] + "0000")),
        ("wrong secret", lambda body, sig: (body, signed({"x": 1}, "whsec_other")[1])),
        ("missing signature", lambda body, sig: (body, None)),
        ("stale timestamp", None),
        ("malformed JSON", None),
        ("re-serialized body", lambda body, sig: (body.replace(b"\n", b""), sig)),
    ],
)
def test_a_webhook_that_is_not_from_stripe_is_rejected_and_changes_nothing(
    running: Running, case: str, make: Any
) -> None:
    api = running.api
    order = api.new_dancer_order()
    payload = checkout_completed(order["orderId"], order["totalCents"])
    if case == "stale timestamp":
        body, signature = signed(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    elif case == "malformed JSON":
        body = b'{"id": "evt_1", "type": "checkout.session.completed", '
        signature = signed({}, WEBHOOK_SECRET)[1]
        from tests.support.stripe_events import signature_header

        signature = signature_header(body, WEBHOOK_SECRET)
    else:
        body, signature = make(*signed(payload, WEBHOOK_SECRET))
    before = running.services.store.recorder.max_notification_id()

    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    response = api.client.post("/api/webhooks/stripe", content=body, headers=headers)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_webhook"
    assert running.services.store.recorder.max_notification_id() == before
    assert api.ticket("dancer-1").status_code == 404


def alerts(running: Running) -> list[dict[str, Any]]:
    return admin_alerts(running.api.client, running.services)


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"amount_cents": 100}, "100 NOK"), ({"currency": "sek"}, "150000 SEK")],
)
def test_a_payment_that_does_not_match_the_order_alerts_and_fulfils_nothing(
    running: Running, change: dict[str, Any], expected: str
) -> None:
    api = running.api
    order = api.new_dancer_order()
    payload = checkout_completed(
        order["orderId"],
        change.get("amount_cents", order["totalCents"]),
        currency=change.get("currency", "nok"),
    )

    assert api.webhook(payload).status_code == 200
    assert api.webhook(payload).status_code == 200  # redelivered: still one alert

    assert (
        api.client.get(f"/api/orders/{order['orderId']}", headers=bearer("dancer-1")).json()[
            "status"
        ]
        == "PENDING"
    )
    assert api.ticket("dancer-1").status_code == 404
    [alert] = alerts(running)
    assert alert["kind"] == "payment_mismatch" and alert["subject"] == order["orderId"]
    assert expected in alert["message"] and alert["severity"] == "critical"


def test_a_payment_for_an_unknown_order_alerts_and_fulfils_nothing(running: Running) -> None:
    running.api.schedule()
    unknown = "6c1f4a4e-0000-4000-8000-000000000000"

    response = running.api.webhook(checkout_completed(unknown, 150000))

    assert response.status_code == 200
    [alert] = alerts(running)
    assert alert["kind"] == "unknown_order" and alert["subject"] == unknown
    assert Order.PaymentReceived.TOPIC not in recorded_topics(running)


def test_a_missing_profile_defers_the_ticket_until_the_profile_exists(running: Running) -> None:
    api = running.api
    api.schedule()
    order = api.order("newcomer", "salsa1")  # no profile yet

    assert api.pay(order).status_code == 200

    paid = api.client.get(f"/api/orders/{order['orderId']}", headers=bearer("newcomer")).json()
    assert paid["status"] == "PAID" and paid["registrations"][0]["status"] == "ACTIVE"
    early = api.ticket("newcomer")
    assert early.status_code == 409 and early.json()["code"] == "profile_required"
    assert [a["kind"] for a in alerts(running)] == ["profile_missing"]

    api.profile("newcomer", name="Nina Ny")

    ticket = api.ticket("newcomer")
    assert ticket.status_code == 200, ticket.text
    assert ticket.json()["personName"] == "Nina Ny"
    assert ticket.json()["tracks"] == [{"code": "salsa1", "name": "Salsa 1", "schedule": []}]
    assert recorded_topics(running).count(Ticket.Issued.TOPIC) == 1


class FlakySigner:
    """The real signer, except that it fails while ``broken`` is set."""

    def __init__(self, real: JwtTokenSigner) -> None:
        self.real = real
        self.broken = True

    def sign(self, claims: Any) -> str:
        if self.broken:
            raise OSError("signing key store unavailable")
        return self.real.sign(claims)

    def verify(self, token: str) -> Any:
        return self.real.verify(token)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        return self.real.public_jwks()


def test_a_failed_fulfilment_saves_nothing_answers_500_and_stripes_retry_completes_it(
    database_url: str,
) -> None:
    from litestar.testing import TestClient

    from adapters.persistence.eventstore import migrate
    from entrypoints.bootstrap import build
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings
    from tests.support.service import Api, service_env

    settings = Settings.from_env(service_env(database_url))
    migrate(settings.database)
    signer = FlakySigner(JwtTokenSigner(settings.tokens))
    services = build(settings, signer=signer)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        api = Api(client)
        order = api.new_dancer_order()
        payload = checkout_completed(order["orderId"], order["totalCents"])

        failed = api.webhook(payload)

        assert failed.status_code == 500
        assert failed.json()["code"] == "internal_error"
        assert "signing key store" not in failed.text
        topics = [n.topic for n in services.store.notifications()]
        assert Order.PaymentReceived.TOPIC not in topics
        assert StripeDelivery.Recorded.TOPIC not in topics
        [alert] = admin_alerts(client, services)
        assert alert["kind"] == "fulfillment_failed" and alert["subject"] == order["orderId"]

        signer.broken = False
        assert api.webhook(payload).status_code == 200  # Stripe's retry

        assert api.ticket("dancer-1").status_code == 200
        paid = client.get(f"/api/orders/{order['orderId']}", headers=bearer("dancer-1"))
        assert paid.json()["status"] == "PAID"
