"""Auditing a real history on SQLite and PostgreSQL: over HTTP, through the `tickets` command."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import psycopg
import pytest
from eventsourcing.utils import resolve_topic
from litestar.testing import TestClient

from adapters.clock import SystemClock
from adapters.persistence.eventstore import migrate
from adapters.persistence.store_config import sqlite_path
from adapters.qr_tokens import JwtTokenSigner
from application.audit.auditing import TOPIC_PREFIX
from application.tickets.tokens import TokenIssuer
from application.worker.loop import Worker
from domain.order import Order
from domain.payment import DeliveryOutcome, StripeDelivery
from domain.period import Period
from domain.person import Person
from domain.shared import SYSTEM, Cause
from domain.ticket import QrToken, Ticket
from entrypoints.bootstrap import Services, build, build_worker
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.service import ADMIN, PG_ADMIN, ROOT, Api, bearer, service_env
from tests.support.stripe_events import (
    charge_refunded,
    checkout_completed,
    payment_intent_succeeded,
)

pytestmark = pytest.mark.integration

STRIPE = Cause("stripe", "evt_forged")
STAFF = bearer("door-1", "staff")


@dataclass
class Audited:
    """A service with a history of everything that happens to orders and tickets."""

    api: Api
    services: Services
    worker: Worker
    env: dict[str, str]
    database_url: str
    order: dict[str, Any]  # ase's, with a partner: paid, its webhook delivered twice
    refunded: dict[str, Any]  # bo's: paid, then refunded in full (twice delivered)
    ticket_id: UUID  # ase's: rotated, then checked in
    tokens: tuple[str, str]  # ase's first token and the one after the rotation

    def drain(self, timeout: float = 30.0) -> None:
        """Lets the worker follow the log (scan index, emails) until it has nothing to do."""
        deadline = time.monotonic() + timeout
        while self.worker.run_once():
            assert time.monotonic() < deadline, "the worker did not catch up"

    def follow(self) -> None:
        """Brings the read models up to the log as the worker does, without sending emails
        (rendering a ticket with a bad hash would rotate it: the service heals itself)."""
        store = self.services.store
        for model in self.services.read_models:
            for notification in store.notifications(
                start=model.position() + 1, topics=model.topics
            ):
                model.handle(notification, store.decode(notification))

    def tickets(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """The `tickets` command, in its own process, as an auditor runs it."""
        return subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "250"} | self.env | env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def audit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.tickets("audit", *args)

    def save(self, *aggregates: Any) -> None:
        self.services.store.save(*aggregates)

    @property
    def ase(self) -> UUID:
        return Person.id_for_user("ase")

    @property
    def period_id(self) -> UUID:
        return self.services.periods.by_code("2026-fall").id


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def audited(database_url: str, tmp_path: Path) -> Iterator[Audited]:
    env = service_env(database_url, EMAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    settings = Settings.from_env(env)
    migrate(settings.database)
    services = build(settings)
    worker = build_worker(services)
    with TestClient(create_app(services)) as client:
        api = Api(client)
        api.schedule()
        # A timetable set after the period (Period.ScheduleChanged): replayed with the rest.
        timetable = {"weekday": "tuesday", "startTime": "19:00", "endTime": "20:30"}
        ok(
            client.put(
                "/api/admin/periods/2026-fall/schedule",
                json={"tracks": [{"code": "salsa1", "schedule": [timetable]}]},
                headers=ADMIN,
            )
        )
        api.profile("ase")
        api.profile("bo")
        partner = ok(
            client.post(
                "/api/admin/people",
                json={"name": "Kari Nordmann", "email": "kari@example.no"},
                headers=ADMIN,
            ),
            201,
        )
        order = api.order("ase", "salsa1", partner=partner["personId"])
        payment = checkout_completed(order["orderId"], order["totalCents"], payment_intent="pi_ase")
        assert ok(api.webhook(payment)) == ok(api.webhook(payment)) == {"received": True}
        again = payment_intent_succeeded(
            order["orderId"], order["totalCents"], payment_intent="pi_ase"
        )
        ok(api.webhook(again))

        refunded = api.order("bo", "bachata1")
        ok(api.pay(refunded, payment_intent="pi_bo"))
        refund = charge_refunded("pi_bo", refunded["totalCents"], refunded["totalCents"])
        ok(api.webhook(refund))
        ok(api.webhook(refund))
        assert ok(client.get(f"/api/orders/{refunded['orderId']}", headers=ADMIN))["status"] == (
            "REFUNDED"
        )

        first = ok(api.ticket("ase"))
        ok(client.post(f"/api/admin/tickets/{first['ticketId']}/rotate", headers=ADMIN))
        second = ok(api.ticket("ase"))
        assert second["qrTokenVersion"] == 2
        scan = ok(
            client.post("/api/checkin/scan", json={"token": second["qrToken"]}, headers=STAFF)
        )
        assert scan["result"] == "ok"

        audited = Audited(
            api,
            services,
            worker,
            env,
            database_url,
            order,
            refunded,
            UUID(first["ticketId"]),
            (first["qrToken"], second["qrToken"]),
        )
        audited.drain()
        yield audited
    worker.close()


# --- history and time travel ---------------------------------------------------------------


def test_an_admin_reads_an_order_history_over_http(audited: Audited) -> None:
    order_id = audited.order["orderId"]

    events = ok(audited.api.client.get(f"/api/admin/audit/{order_id}/events", headers=ADMIN))

    assert [(e["version"], e["type"]) for e in events] == [
        (1, "Order.Placed"),
        (2, "Order.PaymentReceived"),
        (3, "Order.RegistrationsActivated"),
    ]
    placed, payment, _ = events
    assert (placed["actor"], payment["actor"]) == ("ase", "stripe")
    assert payment["reference"].startswith("evt_")
    assert payment["data"] == {
        "stripe_event_id": payment["reference"],
        "payment_intent_id": "pi_ase",
        "amount_cents": audited.order["totalCents"],
        "currency": "NOK",
    }
    assert placed["data"]["total_cents"] == audited.order["totalCents"]
    assert len(placed["data"]["registrations"]) == 2
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert all(e["timestamp"].endswith("Z") for e in events)


def test_a_ticket_history_shows_token_hashes_and_never_a_token(audited: Audited) -> None:
    response = audited.api.client.get(f"/api/admin/audit/{audited.ticket_id}/events", headers=ADMIN)

    events = ok(response)
    types = [e["type"] for e in events]
    assert types[:2] == ["Ticket.Issued", "Ticket.QrTokenIssued"]
    assert {"Ticket.TokenRotated", "Ticket.CheckedIn", "Ticket.Emailed"} <= set(types)
    hashes = [e["data"]["token_hash"] for e in events if e["type"] == "Ticket.QrTokenIssued"]
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    for token in audited.tokens:
        assert token not in response.text
        assert token.split(".")[2] not in response.text  # not even a signature


def test_the_audit_route_is_for_admins_only_and_knows_what_exists(audited: Audited) -> None:
    client = audited.api.client
    path = f"/api/admin/audit/{audited.order['orderId']}/events"

    anonymous = client.get(path)
    participant = client.get(path, headers=bearer("ase"))
    unknown = client.get(f"/api/admin/audit/{uuid4()}/events", headers=ADMIN)
    not_an_id = client.get("/api/admin/audit/not-a-uuid/events", headers=ADMIN)

    assert anonymous.status_code == 401
    assert participant.status_code == 403
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "aggregate_not_found"
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert not_an_id.status_code in (400, 404)


def test_history_in_a_terminal_and_as_json(audited: Audited) -> None:
    order_id = audited.order["orderId"]

    table = audited.audit("history", order_id)
    as_json = audited.audit("history", order_id, "--json")

    assert table.returncode == 0, table.stderr
    for word in ("Order.Placed", "Order.PaymentReceived", "Order.RegistrationsActivated", "pi_ase"):
        assert word in table.stdout
    assert as_json.returncode == 0, as_json.stderr
    events = json.loads(as_json.stdout)
    assert [e["version"] for e in events] == [1, 2, 3]
    assert events[1]["actor"] == "stripe" and events[0]["actor"] == "ase"


def test_time_travel_by_version_and_by_moment(audited: Audited) -> None:
    order_id = audited.order["orderId"]
    events = ok(audited.api.client.get(f"/api/admin/audit/{order_id}/events", headers=ADMIN))
    paid_at = datetime.fromisoformat(events[1]["timestamp"])
    before = (paid_at - timedelta(microseconds=1)).isoformat().replace("+00:00", "Z")

    placed = audited.audit("history", order_id, "--version", "1", "--json")
    pending = audited.audit("history", order_id, "--at", before, "--json")
    now = audited.audit("history", order_id, "--at", events[-1]["timestamp"], "--json")
    table = audited.audit("history", order_id, "--version", "1")

    assert placed.returncode == pending.returncode == now.returncode == 0, placed.stderr
    placed_state, pending_state, now_state = (json.loads(p.stdout) for p in (placed, pending, now))
    assert placed_state["version"] == pending_state["version"] == 1
    assert placed_state["latestVersion"] == 3 and placed_state["type"] == "Order"
    assert pending_state["state"]["status"] == "PENDING"
    assert set(pending_state["state"]["registration_status"].values()) == {"PENDING"}
    assert now_state["version"] == 3 and now_state["state"]["status"] == "PAID"
    assert set(now_state["state"]["registration_status"].values()) == {"ACTIVE"}
    assert table.returncode == 0 and "PENDING" in table.stdout and "version 1 of 3" in table.stdout


def test_time_travel_of_a_ticket_through_rotation_and_check_in(audited: Audited) -> None:
    audit = audited.services.audit
    history = audit.history(audited.ticket_id)
    rotated = next(e.version for e in history if e.type == "Ticket.TokenRotated")
    checked = next(e for e in history if e.type == "Ticket.CheckedIn")

    before_rotation = audit.state_at(audited.ticket_id, version=rotated - 1)
    before_check_in = audit.state_at(audited.ticket_id, version=checked.version - 1)
    after_check_in = audit.state_at(audited.ticket_id, at=checked.timestamp)

    assert before_rotation.state["token"].version == 1
    assert before_check_in.state["token"].version == 2
    assert before_check_in.state["check_ins"] == {}
    # A ticket's check-ins by the version of their CheckedIn (an undo names that version).
    [(version, check_in)] = after_check_in.state["check_ins"].items()
    assert (version, check_in.at, check_in.undone_by) == (
        checked.version,
        checked.data["checked_in_at"],
        None,
    )


def test_history_errors_are_readable_and_exit_2(audited: Audited) -> None:
    unknown = audited.audit("history", str(uuid4()))
    beyond = audited.audit("history", audited.order["orderId"], "--version", "9")
    early = audited.audit("history", audited.order["orderId"], "--at", "2001-01-01T00:00:00Z")
    garbage = audited.audit("history", "not-an-id")

    assert unknown.returncode == beyond.returncode == early.returncode == 2
    assert "nothing is recorded" in unknown.stderr
    assert "versions 1 to 3" in beyond.stderr
    assert "first recorded" in early.stderr
    assert garbage.returncode == 2 and "not an id" in garbage.stderr
    assert "Traceback" not in unknown.stderr + beyond.stderr + early.stderr + garbage.stderr


# --- replay -------------------------------------------------------------------------------


def test_replay_of_the_real_history_passes_and_compares_the_scan_index(audited: Audited) -> None:
    report = audited.services.audit.replay(
        audited.services.read_models, follower_store=audited.services.follower_store
    )
    result = audited.audit("replay")

    assert report.ok, (report.violations, report.read_models)
    assert report.events == audited.services.store.recorder.max_notification_id()
    assert [m.name for m in report.read_models] == ["scan-index", "alert-list"]
    assert all(m.equal for m in report.read_models)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All invariants hold" in result.stdout
    assert f"Replayed {report.events:,} events" in result.stdout
    assert "scan-index" in result.stdout and "equal" in result.stdout
    assert "alert-list" in result.stdout


def test_replay_rebuilds_a_live_read_model_that_went_wrong(audited: Audited) -> None:
    store = audited.services.store
    scan_index = audited.services.read_models[0]
    right = scan_index.state()
    # The live view loses every row but keeps its position: only a rebuild can tell.
    spoiled = scan_index.scratch()
    last = list(store.notifications(topics=scan_index.topics))[-1]
    spoiled.handle(last, store.decode(last))
    scan_index.replace_with(spoiled)
    assert scan_index.position() == last.id and scan_index.state() != right

    failed = audited.audit("replay")
    repaired = audited.audit("replay", "--rebuild")
    again = audited.audit("replay")

    assert failed.returncode == 1
    assert "DIFFERS" in failed.stdout and "entries differ" in failed.stdout
    assert repaired.returncode == 0, repaired.stdout
    assert "replaced with the rebuilt one" in repaired.stdout
    assert again.returncode == 0, again.stdout
    assert scan_index.state() == right


Spoiler = Callable[[Audited], None]


def unpaid_registrations(audited: Audited) -> None:
    """A payment recorded without the activation of what it paid for."""
    order = audited.services.store.get(Order, UUID(audited.api.order("bo", "salsa1")["orderId"]))
    order.trigger_event(
        Order.PaymentReceived,
        stripe_event_id="evt_forged_1",
        payment_intent_id=None,
        amount_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )
    audited.save(order)


def paid_without_ticket(audited: Audited) -> None:
    """A paid order whose person got no ticket, and none waits for a profile."""
    audited.api.profile("cy")
    order = audited.services.store.get(Order, UUID(audited.api.order("cy", "salsa1")["orderId"]))
    order.receive_payment(
        stripe_event_id="evt_forged_2",
        payment_intent_id=None,
        amount_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )
    audited.save(order)


def second_ticket(audited: Audited) -> None:
    """A ticket for ase in the same period, under an id of its own, with a good token."""
    stray = Ticket._create(
        Ticket.Issued,
        id=uuid4(),
        cause=SYSTEM,
        period_id=audited.period_id,
        person_id=audited.ase,
        registrations=(),
    )
    tokens = TokenIssuer(JwtTokenSigner(audited.services.settings.tokens), SystemClock())
    tokens.issue(stray, audited.services.store.get(Period, audited.period_id), SYSTEM)
    audited.save(stray)


def hash_of_another_token(audited: Audited) -> None:
    ticket = audited.services.store.get(Ticket, audited.ticket_id)
    assert ticket.token is not None
    token = ticket.token
    ticket.record_token(
        QrToken(token.version + 1, token.issued_at, token.expires_at, "f" * 64), STRIPE
    )
    audited.save(ticket)


def refund_keeping_registrations(audited: Audited) -> None:
    order = audited.services.store.get(Order, UUID(audited.order["orderId"]))
    order.record_refund(
        stripe_event_id="evt_forged_3",
        payment_intent_id="pi_ase",
        amount_refunded_cents=order.total_cents,
        currency="NOK",
        cause=STRIPE,
    )
    audited.save(order)


def stripe_event_twice(audited: Audited) -> None:
    """The refund's Stripe event recorded a second time, under another delivery id."""
    refund_event = next(
        e.reference
        for e in audited.services.audit.history(UUID(audited.refunded["orderId"]))
        if e.type == "Order.Refunded"
    )
    assert refund_event is not None
    record = StripeDelivery._create(
        StripeDelivery.Recorded,
        id=uuid4(),
        cause=STRIPE,
        stripe_event_id=refund_event,
        event_type="charge.refunded",
        order_id=UUID(audited.refunded["orderId"]),
        outcome=DeliveryOutcome.REFUNDED,
    )
    audited.save(record)


def never_emailed(audited: Audited) -> None:
    """Dan's ticket is issued, the email worker reads past it, and no email is recorded."""
    audited.api.profile("dan")
    ok(audited.api.pay(audited.api.order("dan", "salsa1")))
    last = audited.services.store.recorder.max_notification_id()
    audited.services.follower_store.advance("ticket-emails", last)


def history_gap(audited: Audited) -> None:
    ticket = audited.services.store.get(Ticket, audited.ticket_id)
    gap = Ticket.RegistrationsAdded(
        originator_id=ticket.id,
        originator_version=ticket.version + 2,
        timestamp=datetime.now().astimezone(),
        cause=SYSTEM,
        registrations=(),
    )
    store = audited.services.store
    store.recorder.insert_events([store.mapper.to_stored_event(gap)])


SPOILERS: list[tuple[str, Spoiler]] = [
    ("paid_orders_active", unpaid_registrations),
    ("paid_persons_ticketed", paid_without_ticket),
    ("one_ticket_per_period_and_person", second_ticket),
    ("token_hashes_match", hash_of_another_token),
    ("refunded_orders_cancelled", refund_keeping_registrations),
    ("stripe_events_applied_once", stripe_event_twice),
    ("tickets_emailed", never_emailed),
    ("histories_apply", history_gap),
]


def test_each_invariant_broken_on_purpose_fails_the_replay_naming_it(audited: Audited) -> None:
    broken: set[str] = set()
    for name, spoil in SPOILERS:
        spoil(audited)
        broken.add(name)
        audited.follow()  # the live read models stay equal: only the invariant is broken

        report = audited.services.audit.replay(
            audited.services.read_models, follower_store=audited.services.follower_store
        )

        assert {i.value for i in report.broken()} == broken, (name, report.violations)
        assert all(m.equal for m in report.read_models), report.read_models

    result = audited.audit("replay")

    assert result.returncode == 1
    assert "AUDIT FAILED" in result.stdout
    for name, _ in SPOILERS:
        assert f"{name}" in result.stdout.split("AUDIT FAILED")[1]


# --- export -------------------------------------------------------------------------------


def rebuilt_event(record: dict[str, Any]) -> Any:
    """The domain event an exported record describes, built from the record alone."""
    fields = {
        **record["data"],
        "originator_id": record["aggregateId"],
        "originator_version": record["version"],
        "timestamp": record["timestamp"],
        "cause": {
            "actor": record["actor"],
            "reference": record["reference"],
            "request_id": record["requestId"],
        },
    }
    return msgspec.convert(fields, resolve_topic(TOPIC_PREFIX + record["type"]))


def test_export_as_jsonl_round_trips_every_event(audited: Audited, tmp_path: Path) -> None:
    output = tmp_path / "events.jsonl"
    store = audited.services.store

    result = audited.audit("export", "--format", "jsonl", "--output", str(output))

    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in output.read_text().splitlines()]
    notifications = list(store.notifications())
    assert len(records) == len(notifications) == store.recorder.max_notification_id()
    assert f"exported {len(records):,} events" in result.stderr
    for record, notification in zip(records, notifications, strict=True):
        assert record["notificationId"] == notification.id
        assert rebuilt_event(record) == store.decode(notification)


def test_export_as_csv_to_stdout_round_trips_every_event(audited: Audited) -> None:
    store = audited.services.store

    result = audited.audit("export", "--format", "csv")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    notifications = list(store.notifications())
    assert len(rows) == len(notifications)
    for row, notification in zip(rows, notifications, strict=True):
        record = {
            **row,
            "version": int(row["version"]),
            "reference": row["reference"] or None,
            "requestId": row["requestId"] or None,
            "data": json.loads(row["data"]),
        }
        assert int(row["notificationId"]) == notification.id
        assert rebuilt_event(record) == store.decode(notification)


def test_export_filters_by_type_and_time(audited: Audited) -> None:
    every = [
        json.loads(line)
        for line in audited.audit("export", "--format", "jsonl").stdout.splitlines()
    ]
    refund = next(r for r in every if r["type"] == "Order.Refunded")

    refunds = audited.audit(
        "export", "--format", "jsonl", "--type", "Order.Refunded", "--type", "Ticket.CheckedIn"
    )
    since = audited.audit("export", "--format", "jsonl", "--since", refund["timestamp"])
    until = audited.audit("export", "--format", "jsonl", "--until", refund["timestamp"])
    unknown = audited.audit("export", "--format", "jsonl", "--type", "Order.Stolen")

    assert [json.loads(line)["type"] for line in refunds.stdout.splitlines()] == [
        "Order.Refunded",
        "Ticket.CheckedIn",
    ]
    later = [json.loads(line) for line in since.stdout.splitlines()]
    earlier = [json.loads(line) for line in until.stdout.splitlines()]
    assert refund in later and refund not in earlier
    assert len(later) + len(earlier) == len(every)
    assert unknown.returncode == 2 and "no event type 'Order.Stolen'" in unknown.stderr


# --- tamper evidence ----------------------------------------------------------------------


@dataclass
class RawEvents:
    """The event table, reached with SQL behind the service's back (as an intruder would)."""

    database_url: str

    def run(self, sql: str, params: tuple[Any, ...]) -> None:
        if self.database_url.startswith("sqlite"):
            sql = sql.format(table="stored_events", id="rowid").replace("%s", "?")
            with sqlite3.connect(sqlite_path(self.database_url)) as conn:
                conn.execute(sql, params)
            return
        schema = self.database_url.rsplit("schema=", 1)[1]
        sql = sql.format(table=f'"{schema}".tickets_events', id="notification_id")
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(sql.encode(), params)

    def change_state(self, notification_id: int, state: bytes) -> None:
        self.run("UPDATE {table} SET state = %s WHERE {id} = %s", (state, notification_id))

    def delete(self, notification_id: int) -> None:
        self.run("DELETE FROM {table} WHERE {id} = %s", (notification_id,))


def parse_digest(output: str) -> tuple[str, int]:
    fields = dict(line.split(None, 1) for line in output.splitlines() if line.strip())
    return fields["digest"].strip(), int(fields["upto"])


def test_a_changed_event_payload_fails_verification(audited: Audited) -> None:
    recorded = audited.audit("digest")
    assert recorded.returncode == 0, recorded.stderr
    head, upto = parse_digest(recorded.stdout)
    assert (head, upto) == (
        audited.services.audit.digest().head,
        audited.services.store.recorder.max_notification_id(),
    )
    audited.api.profile("late")  # the log goes on: the recorded digest still holds
    assert audited.audit("verify", "--digest", head, "--upto", str(upto)).returncode == 0

    payment = next(
        n for n in audited.services.store.notifications() if n.topic == Order.PaymentReceived.TOPIC
    )
    amount = str(audited.order["totalCents"]).encode()
    forged = bytes(payment.state).replace(amount, b"1" + amount[1:], 1)
    assert forged != bytes(payment.state)
    RawEvents(audited.database_url).change_state(payment.id, forged)

    tampered = audited.audit("verify", "--digest", head, "--upto", str(upto))

    assert tampered.returncode == 1
    assert "TAMPERED" in tampered.stdout and "changed, removed or inserted" in tampered.stdout


def test_a_removed_event_fails_verification(audited: Audited) -> None:
    head, upto = parse_digest(audited.audit("digest").stdout)
    before_last = audited.services.audit.digest(upto=upto - 1)
    raw = RawEvents(audited.database_url)

    raw.delete(upto)
    last = audited.audit("verify", "--digest", head, "--upto", str(upto))
    raw.delete(3)
    middle = audited.services.audit.verify(before_last.head, before_last.upto)

    assert last.returncode == 1 and "removed" in last.stdout
    assert not middle.ok


def test_a_digest_that_is_not_one_is_refused(audited: Audited) -> None:
    result = audited.audit("verify", "--digest", "xyz", "--upto", "3")

    assert result.returncode == 2
    assert "64 hexadecimal characters" in result.stderr


def test_replay_digest_and_verify_print_one_json_document_with_json(audited: Audited) -> None:
    replay = audited.audit("replay", "--json")
    assert replay.returncode == 0, replay.stderr
    report = json.loads(replay.stdout)
    assert report["ok"] is True and report["violations"] == []
    assert report["invariants"]["paid_orders_active"] == 0 and report["read_models"]

    digest = audited.audit("digest", "--json")
    assert digest.returncode == 0, digest.stderr
    head = json.loads(digest.stdout)
    assert len(head["digest"]) == 64 and head["upto"] >= head["events"] > 0

    args = ("verify", "--json", "--digest", head["digest"], "--upto", str(head["upto"]))
    verified = audited.audit(*args)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    forged = audited.audit("verify", "--json", "--digest", "0" * 64, "--upto", str(head["upto"]))
    assert forged.returncode == 1 and json.loads(forged.stdout)["ok"] is False
