"""The suite's data: a period, a door device and a dancer through the API; thousands of orders
and tickets written through the application's own domain and recorder (minutes faster than
one request each, and what the measured requests then read is the same history)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from eventsourcing.domain import Aggregate
from tests.support.service import ADMIN, WEBHOOK_SECRET, Api, bearer
from tests.support.stripe_events import checkout_completed, signature_header

from adapters.clock import SystemClock
from adapters.persistence.eventstore import open_store
from adapters.qr_tokens import JwtTokenSigner
from application.tickets.tokens import TokenIssuer
from domain.order import Order, RequestedRegistration
from domain.payment import DeliveryOutcome, OrderPaymentIntent, StripeDelivery
from domain.period import Period
from domain.person import Person
from domain.shared import SYSTEM, Cause
from domain.ticket import CoveredRegistration, Ticket
from entrypoints.settings import Settings

PERIOD = "bench-now"
BATCH = 2000  # events per insert


@dataclass(frozen=True)
class Setup:
    """What the API made: the running period, a door device's credential, one dancer."""

    period_id: UUID
    device_header: tuple[str, str]
    dancer_header: tuple[str, str]
    dancer_ticket_id: str


def through_api(base_url: str) -> Setup:
    """A period running today, a paired door device, and a dancer with a paid ticket."""
    today = date.today()
    with httpx.Client(base_url=base_url, timeout=60) as client:
        api = Api(client)
        period = api.schedule(
            PERIOD,
            startDate=(today - timedelta(days=30)).isoformat(),
            endDate=(today + timedelta(days=60)).isoformat(),
        )
        made = client.post("/api/admin/devices", json={"name": "Bench door"}, headers=ADMIN)
        assert made.status_code == 201, made.text
        paired = client.post("/api/devices/pair", json={"pairingCode": made.json()["pairingCode"]})
        assert paired.status_code == 200, paired.text
        api.profile("bench-dancer")
        order = api.order("bench-dancer", "salsa1", "bachata1", period=PERIOD)
        assert api.pay(order).status_code == 200
        ticket = api.ticket("bench-dancer", period=PERIOD)
        assert ticket.status_code == 200, ticket.text
    ((name, value),) = bearer("bench-dancer").items()
    return Setup(
        period_id=UUID(period["periodId"]),
        device_header=("Authorization", f"Device {paired.json()['credential']}"),
        dancer_header=(name, value),
        dancer_ticket_id=ticket.json()["ticketId"],
    )


class History:
    """Orders and tickets of the period, recorded as the service records them, in batches."""

    def __init__(self, env: dict[str, str], period_id: UUID, seed: int = 5) -> None:
        self._settings = Settings.from_env(env)
        self._store = open_store(self._settings.database)
        self._tokens = TokenIssuer(JwtTokenSigner(self._settings.tokens), SystemClock())
        self._period = self._store.get(Period, period_id)
        self._rng = random.Random(seed)
        self._pending: list[Any] = []
        self._count = 0

    def close(self) -> None:
        self._flush()
        self._store.close()

    def pending_orders(self, count: int) -> list[tuple[str, int]]:
        """Orders placed and sent to checkout, not paid: (order id, total) for webhooks."""
        return [self._order()[1] for _ in range(count)]

    def tickets(self, count: int) -> list[str]:
        """Paid orders with their tickets, already emailed: each ticket's QR token."""
        made = [self._paid() for _ in range(count)]
        self._flush()
        return made

    def _order(self) -> tuple[Person, tuple[str, int], Order]:
        self._count += 1
        user = f"bench-{self._count}-{self._rng.getrandbits(32):08x}"
        cause = Cause(user, f"req-{user}")
        person = Person.register(
            user_id=user,
            name=f"Dancer {self._count}",
            email=f"{user}@example.no",
            phone=None,
            cause=cause,
        )
        tracks = self._rng.sample(self._period.tracks, self._rng.choice((1, 1, 2)))
        wishes = tuple(RequestedRegistration(person.id, t.code, "leader") for t in tracks)
        order = Order.place(
            period=self._period, purchaser_person_id=person.id, requested=wishes, cause=cause
        )
        order.start_checkout(
            session_id=f"cs_{user}", checkout_url=f"https://checkout.example/{user}", cause=cause
        )
        self._collect(person, order)
        return person, (str(order.id), order.total_cents), order

    def _paid(self) -> str:
        person, _, order = self._order()
        paid_by = Cause("stripe", f"evt_{person.user_id}")
        intent = f"pi_{person.user_id}"
        order.receive_payment(
            stripe_event_id=f"evt_{person.user_id}",
            payment_intent_id=intent,
            amount_cents=order.total_cents,
            currency=self._period.currency,
            cause=paid_by,
        )
        covered = tuple(
            CoveredRegistration(r.registration_id, order.id, r.track_code)
            for r in order.registrations_of(person.id)
        )
        ticket = Ticket.issue(
            period_id=self._period.id, person_id=person.id, registrations=covered, cause=paid_by
        )
        self._tokens.issue(ticket, self._period, paid_by)
        assert ticket.token is not None
        # Emailed already: the worker does not send thousands of emails during the scans.
        ticket.record_emailed(
            token_version=ticket.token.version,
            reason="issued",
            message_id=f"bench-{ticket.id}",
            cause=SYSTEM,
        )
        delivery = StripeDelivery.record(
            stripe_event_id=f"evt_{person.user_id}",
            event_type="checkout.session.completed",
            order_id=order.id,
            outcome=DeliveryOutcome.FULFILLED,
            cause=paid_by,
        )
        self._collect(order, OrderPaymentIntent.link(intent, order.id, paid_by), ticket, delivery)
        token = self._tokens.current(ticket)
        assert token is not None
        return token

    def _collect(self, *aggregates: Aggregate) -> None:
        mapper = self._store.mapper
        for aggregate in aggregates:
            self._pending.extend(mapper.to_stored_event(e) for e in aggregate.collect_events())
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._store.recorder.insert_events(self._pending)
            self._pending.clear()


def write_lines(path: Path, lines: list[tuple[str, str]]) -> Path:
    """The prepared requests of one run, for load.lua: "<header value>\\t<body>" a line."""
    path.write_text("".join(f"{value}\t{body}\n" for value, body in lines))
    return path


def scan_lines(tokens: list[str]) -> list[tuple[str, str]]:
    """One door scan per token, each with a request id of its own."""
    return [(f"bench-scan-{n}", json.dumps({"token": token})) for n, token in enumerate(tokens)]


def webhook_lines(orders: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """A signed `checkout.session.completed` per order, as Stripe sends it (signed just now)."""
    made = []
    for order_id, total in orders:
        body = json.dumps(checkout_completed(order_id, total)).encode()
        made.append((signature_header(body, WEBHOOK_SECRET), body.decode()))
    return made


def alerts(base_url: str) -> list[dict[str, Any]]:
    """The admins' open alerts (a wrong payment answer shows here, not in the 200)."""
    response = httpx.get(
        f"{base_url}/api/admin/alerts", params={"limit": 200}, headers=ADMIN, timeout=60
    )
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def order_status(base_url: str, order_id: str) -> str:
    response = httpx.get(f"{base_url}/api/orders/{order_id}", headers=ADMIN, timeout=60)
    response.raise_for_status()
    status: str = response.json()["status"]
    return status
