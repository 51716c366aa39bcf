"""The scan index on SQLite and PostgreSQL: followed from the log exactly once, rebuildable."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, timedelta
from uuid import UUID

import psycopg
import pytest

from adapters.persistence.scan_index import MemoryScanIndex
from adapters.persistence.scan_index_sql import ScratchScanIndex, SqlScanIndex
from application.door.checkin import DoorCall, ScanRequest
from application.store import TicketStore
from application.worker.following import ReadModel
from domain.scan import ScanResult
from domain.shared import Cause
from domain.ticket import Ticket
from tests.support.service import ADMIN, PG_ADMIN, Running, bearer
from tests.support.stripe_events import charge_refunded, checkout_completed

pytestmark = pytest.mark.integration

STAFF = Cause(actor="door-1", reference="req-1")


def follow(store: TicketStore, model: ReadModel) -> int:
    """What the worker does for one follower: hand it every notification after its position."""
    handled = 0
    for notification in store.notifications(start=model.position() + 1, topics=model.topics):
        model.handle(notification, store.decode(notification))
        handled += 1
    return handled


@pytest.fixture
def index(running: Running) -> SqlScanIndex:
    [model] = [m for m in running.services.read_models if m.name == "scan-index"]
    assert isinstance(model, SqlScanIndex)
    assert model in running.services.followers  # the worker keeps it
    return model


def schedule_current_period(running: Running) -> None:
    """A period around today: these tests run on the real clock, whatever the date."""
    today = date.today()
    running.api.schedule(
        startDate=(today - timedelta(days=30)).isoformat(),
        endDate=(today + timedelta(days=60)).isoformat(),
    )


def sell(running: Running, user: str, *tracks: str) -> tuple[UUID, str]:
    """A paid order of ``user``'s; returns the ticket's id and current token."""
    api = running.api
    api.profile(user)
    order = api.order(user, *tracks)
    assert api.webhook(checkout_completed(order["orderId"], order["totalCents"])).status_code == 200
    response = api.ticket(user)
    assert response.status_code == 200, response.text
    ticket = response.json()
    return UUID(ticket["ticketId"]), ticket["qrToken"]


def scan(running: Running, token: str) -> ScanResult:
    request = ScanRequest(token, DoorCall("door-a", None, "door-1"))
    return running.services.checkins.scan(request, STAFF).result


def test_the_index_follows_tickets_through_their_lives(
    running: Running, index: SqlScanIndex
) -> None:
    schedule_current_period(running)
    ticket_id, token = sell(running, "dancer-1", "salsa1", "bachata1")
    assert index.lookup(ticket_id) is None  # nothing followed yet

    follow(running.services.store, index)
    entry = index.lookup(ticket_id)

    assert entry is not None
    ticket = running.services.store.get(Ticket, ticket_id)
    assert ticket.token is not None
    assert (entry.active, entry.token_version, entry.token_hash) == (
        True,
        1,
        ticket.token.token_hash,
    )
    assert (entry.period_code, entry.timezone, entry.person_name) == (
        "2026-fall",
        "Europe/Oslo",
        "Åse Øvergård",
    )
    assert entry.tracks == (("salsa1", "Salsa 1"), ("bachata1", "Bachata 1"))
    assert entry.last_check_in_date is None

    assert scan(running, token) is ScanResult.OK
    running.api.client.put(
        "/api/me/profile",
        json={"name": "Åse Ø. Berg", "email": "dancer-1@example.no"},
        headers=bearer("dancer-1"),
    )
    running.api.client.post(f"/api/admin/tickets/{ticket_id}/rotate", headers=ADMIN)
    follow(running.services.store, index)
    entry = index.lookup(ticket_id)

    assert entry is not None
    assert entry.last_check_in_date is not None and entry.last_check_in_at is not None
    assert entry.person_name == "Åse Ø. Berg"
    assert entry.token_version == 2

    running.api.client.post(
        f"/api/admin/tickets/{ticket_id}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    follow(running.services.store, index)
    entry = index.lookup(ticket_id)
    assert entry is not None and not entry.active


def test_a_refund_removes_the_tracks_and_the_index_follows(
    running: Running, index: SqlScanIndex
) -> None:
    schedule_current_period(running)
    running.api.profile("dancer-1")
    first = running.api.order("dancer-1", "salsa1")
    second = running.api.order("dancer-1", "bachata1")
    running.api.webhook(checkout_completed(first["orderId"], 150000, payment_intent="pi_a1"))
    running.api.webhook(checkout_completed(second["orderId"], 120000, payment_intent="pi_b1"))
    ticket_id = UUID(running.api.ticket("dancer-1").json()["ticketId"])

    assert running.api.webhook(charge_refunded("pi_b1", 120000, 120000)).status_code == 200
    follow(running.services.store, index)

    entry = index.lookup(ticket_id)
    assert entry is not None and entry.active
    assert entry.tracks == (("salsa1", "Salsa 1"),)


def test_handling_an_event_again_changes_nothing(running: Running, index: SqlScanIndex) -> None:
    schedule_current_period(running)
    _, token = sell(running, "dancer-1", "salsa1")
    scan(running, token)
    store = running.services.store
    follow(store, index)
    state, position = index.state(), index.position()

    # After a crash the worker hands the same events again (at-least-once).
    for notification in store.notifications(topics=index.topics):
        index.handle(notification, store.decode(notification))

    assert index.state() == state and index.position() == position
    assert position == store.recorder.max_notification_id()


def test_the_index_equals_one_rebuilt_from_the_log_and_is_replaced_by_it(
    running: Running, index: SqlScanIndex
) -> None:
    schedule_current_period(running)
    tickets = [sell(running, f"dancer-{n}", "salsa1") for n in range(3)]
    for _, token in tickets:
        assert scan(running, token) is ScanResult.OK
    store = running.services.store
    follow(store, index)

    rebuilt = index.scratch()
    assert isinstance(rebuilt, ScratchScanIndex)  # on disk: a big index takes no memory
    follow(store, rebuilt)
    assert rebuilt.state() == index.state() and rebuilt.position() == index.position()
    assert len([key for key in index.state() if key.startswith("tickets:")]) == 3

    # A damaged live view (a bad deploy, a manual edit) is made equal to the log's again.
    index.replace_with(MemoryScanIndex())
    assert index.state() == {} and index.position() == 0
    index.replace_with(rebuilt)

    assert index.state() == rebuilt.state() and index.position() == rebuilt.position()
    entry = index.lookup(tickets[0][0])
    assert entry is not None and entry.last_check_in_date is not None

    assert rebuilt.path.exists()
    rebuilt.close()
    assert not rebuilt.path.parent.exists()  # its folder goes with it


def test_two_workers_following_at_once_apply_each_event_once(
    running: Running, index: SqlScanIndex
) -> None:
    schedule_current_period(running)
    for n in range(4):
        scan(running, sell(running, f"dancer-{n}", "salsa1")[1])
    store = running.services.store
    other = SqlScanIndex(running.settings.database)  # the same tables, another "process"
    try:
        threads = [threading.Thread(target=follow, args=(store, model)) for model in (index, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        rebuilt = index.scratch()
        follow(store, rebuilt)

        assert index.state() == other.state() == rebuilt.state()
        assert index.position() == store.recorder.max_notification_id()
    finally:
        other.close()


def test_the_tables_live_beside_the_events(
    running: Running, index: SqlScanIndex, database_url: str
) -> None:
    running.api.schedule()
    follow(running.services.store, index)
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    else:
        schema = database_url.rsplit("schema=", 1)[1]
        with psycopg.connect(PG_ADMIN) as conn:
            names = {
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,),
                )
            }
    assert {"scan_index_tickets", "scan_index_periods", "scan_index_persons"} <= names
    events = "stored_events" if database_url.startswith("sqlite") else "tickets_events"
    assert {"follower_positions", events} <= names  # its position: migration 7 moved it
