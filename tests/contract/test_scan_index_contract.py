"""The ScanIndex port's contract: the in-memory index, and the tables on SQLite and PostgreSQL.

Each is fed the same events, as the worker hands them over, and must answer the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Notification

from adapters.persistence.scan_index import MemoryScanIndex
from adapters.persistence.scan_index_sql import SqlScanIndex
from application.door.ports import Attendee, TicketChange
from domain.check_in import Undo
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import CoveredRegistration, QrToken, Ticket
from tests.support.databases import STORES, migrated
from tests.support.fakes import new_period

CAUSE = Cause(actor="door-1", reference="req-1")
AT = datetime(2026, 9, 8, 18, 5, tzinfo=UTC)
DAY = date(2026, 9, 8)


@pytest.fixture(params=STORES)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryScanIndex()
        return
    with migrated(request.param, tmp_path) as config:
        made = SqlScanIndex(config)
        yield made
        made.close()


class Log:
    """Events as the worker hands them over: in order, each with its notification id."""

    def __init__(self) -> None:
        self.entries: list[tuple[Notification, Any]] = []

    def record(self, *aggregates: Any) -> None:
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                notification = Notification(
                    id=len(self.entries) + 1,
                    originator_id=event.originator_id,
                    originator_version=event.originator_version,
                    topic=type(event).TOPIC,
                    state=b"",
                )
                self.entries.append((notification, event))

    def feed(self, index: Any) -> None:
        for notification, event in self.entries:
            if notification.topic in index.topics:
                index.handle(notification, event)


def token(version: int) -> QrToken:
    return QrToken(version, AT, AT + timedelta(days=90), f"hash-{version}")


def a_sold_ticket(log: Log) -> tuple[Period, Ticket]:
    period = new_period()
    person = Person.register(
        user_id=f"u-{uuid4()}", name="Åse Øvergård", email="a@example.no", phone=None, cause=CAUSE
    )
    ticket = Ticket.issue(
        period_id=period.id,
        person_id=person.id,
        registrations=(CoveredRegistration(uuid4(), uuid4(), "salsa1"),),
        cause=CAUSE,
    )
    ticket.record_token(token(1), CAUSE)
    log.record(period, person, ticket)
    return period, ticket


def check_in(ticket: Ticket, day: date = DAY) -> None:
    at = datetime.combine(day, AT.timetz())
    ticket.check_in(
        at=at, local_date=day, device_id="door-a", staff_user_id="s", scan_id=None, cause=CAUSE
    )


def test_an_unknown_ticket_is_not_found_and_a_new_index_is_at_position_zero(index: Any) -> None:
    assert index.position() == 0
    assert index.lookup(uuid4()) is None
    assert index.period_entries("2026-fall") == []


def test_a_sold_ticket_is_found_with_its_period_person_and_token(index: Any) -> None:
    log = Log()
    _, ticket = a_sold_ticket(log)
    log.feed(index)

    entry = index.lookup(ticket.id)
    assert entry is not None
    assert (entry.active, entry.token_version, entry.token_hash) == (True, 1, "hash-1")
    assert (entry.period_code, entry.timezone) == ("2026-fall", "Europe/Oslo")
    assert (entry.person_name, entry.tracks) == ("Åse Øvergård", (("salsa1", "Salsa 1"),))
    assert entry.last_check_in_date is None
    assert index.period_entries("2026-fall") == [entry]
    assert index.position() == len(log.entries)


def test_check_ins_are_kept_per_day_with_the_last_one_on_the_ticket(index: Any) -> None:
    log = Log()
    _, ticket = a_sold_ticket(log)
    check_in(ticket, DAY)
    check_in(ticket, DAY + timedelta(days=7))
    log.record(ticket)
    log.feed(index)

    entry = index.lookup(ticket.id)
    assert entry is not None and entry.last_check_in_date == DAY + timedelta(days=7)
    attendance = index.attendance("2026-fall")
    assert [(a.local_date, a.device_id, a.tracks) for a in attendance] == [
        (DAY, "door-a", (("salsa1", "Salsa 1"),)),
        (DAY + timedelta(days=7), "door-a", (("salsa1", "Salsa 1"),)),
    ]
    assert all(isinstance(a, Attendee) and a.ticket_id == ticket.id for a in attendance)
    assert [a.local_date for a in index.attendance("2026-fall", DAY)] == [DAY]


def test_rotated_and_revoked_tickets_are_listed_as_changes_after_a_position(index: Any) -> None:
    log = Log()
    _, ticket = a_sold_ticket(log)
    ticket.record_token(token(2), CAUSE)
    log.record(ticket)
    rotated_at = len(log.entries)
    ticket.revoke(reason="refunded", cause=CAUSE)
    log.record(ticket)
    log.feed(index)

    [change] = index.changes("2026-fall", since=0, limit=10)
    assert isinstance(change, TicketChange)
    assert (change.ticket_id, change.active, change.token_version) == (ticket.id, False, 2)
    assert change.position == len(log.entries) > rotated_at
    assert index.changes("2026-fall", since=change.position, limit=10) == []
    entry = index.lookup(ticket.id)
    assert entry is not None and entry.active is False


def test_an_event_handled_again_changes_nothing(index: Any) -> None:
    log = Log()
    _, ticket = a_sold_ticket(log)
    check_in(ticket)
    log.record(ticket)
    log.feed(index)
    before = index.state()

    log.feed(index)  # a crash before the position moved on, or a second worker

    assert index.state() == before and index.position() == len(log.entries)


def test_text_no_database_can_hold_is_stored_replaced(index: Any) -> None:
    log = Log()
    _, ticket = a_sold_ticket(log)
    # The edge refuses such a name now; the log may hold one recorded before it did.
    log.entries = [
        (n, replace(e, name="A\x00B") if isinstance(e, Person.Registered) else e)
        for n, e in log.entries
    ]
    log.feed(index)

    entry = index.lookup(ticket.id)
    assert entry is not None and entry.person_name == "A\ufffdB"


def test_a_rebuilt_scratch_copy_replaces_the_index(index: Any) -> None:
    log = Log()
    _, ticket = a_sold_ticket(log)
    log.feed(index)
    scratch = index.scratch()
    log.feed(scratch)
    check_in(ticket)
    log.record(ticket)
    log.feed(scratch)

    index.replace_with(scratch)

    assert index.state() == scratch.state()
    assert index.position() == scratch.position() == len(log.entries)
    entry = index.lookup(ticket.id)
    assert entry is not None and entry.last_check_in_date == DAY


def test_an_event_of_a_ticket_never_issued_here_is_passed_over(index: Any) -> None:
    log = Log()
    stray = Ticket.issue(
        period_id=UUID(int=1), person_id=UUID(int=2), registrations=(), cause=CAUSE
    )
    stray.collect_events()  # its Issued is not in this log
    stray.record_token(token(1), CAUSE)
    log.record(stray)
    log.feed(index)

    assert index.lookup(stray.id) is None and index.position() == 1


def _checked_in_twice(index: Any) -> tuple[Ticket, list[tuple[Notification, Any]]]:
    """A sold ticket checked in on two days: its events that the index follows, in order."""
    log = Log()
    _, ticket = a_sold_ticket(log)
    check_in(ticket)
    check_in(ticket, DAY + timedelta(days=7))
    log.record(ticket)
    followed = [(n, e) for n, e in log.entries if n.topic in index.topics]
    return ticket, followed


def test_a_page_of_events_at_once_makes_the_index_one_by_one_makes(index: Any) -> None:
    ticket, followed = _checked_in_twice(index)
    one_by_one = index.scratch()
    for notification, event in followed:
        one_by_one.handle(notification, event)

    index.handle_page(followed[:2])
    index.handle_page(followed)  # a crash before the position moved on: the first two again

    assert index.state() == one_by_one.state()
    assert index.position() == one_by_one.position() == followed[-1][0].id
    entry = index.lookup(ticket.id)
    assert entry is not None and entry.last_check_in_date == DAY + timedelta(days=7)


def test_a_page_bigger_than_one_batch_of_rows_makes_the_same_index(
    index: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tables write a page's rows in batches: here a batch is full after every row.
    monkeypatch.setattr("adapters.persistence.scan_index_sql.WRITTEN_TOGETHER", 1)
    ticket, followed = _checked_in_twice(index)
    in_memory = MemoryScanIndex()
    in_memory.handle_page(followed)

    index.handle_page(followed)

    assert index.state() == in_memory.state()
    entry = index.lookup(ticket.id)
    assert entry is not None and entry.last_check_in_date == DAY + timedelta(days=7)


def test_an_undone_check_in_leaves_the_day_and_a_new_one_comes_back(index: Any) -> None:
    log = Log()
    _, ticket = a_sold_ticket(log)
    check_in(ticket, DAY - timedelta(days=7))
    check_in(ticket, DAY)
    undone_version = ticket.version
    ticket.undo_check_in(undone_version, Undo("s", admin=False, at=AT), CAUSE)
    log.record(ticket)
    log.feed(index)

    entry = index.lookup(ticket.id)
    assert entry is not None and entry.last_check_in_date is None
    assert [a.local_date for a in index.attendance("2026-fall")] == [DAY - timedelta(days=7)]

    # Checked in again that day, then once more undone and checked in, all in one page.
    check_in(ticket, DAY)
    ticket.undo_check_in(ticket.version, Undo("s", admin=False, at=AT), CAUSE)
    check_in(ticket, DAY)
    start = len(log.entries)
    log.record(ticket)
    index.handle_page(log.entries[start:])

    entry = index.lookup(ticket.id)
    assert entry is not None and entry.last_check_in_date == DAY
    assert [a.local_date for a in index.attendance("2026-fall", DAY)] == [DAY]
    rebuilt = MemoryScanIndex()
    rebuilt.handle_page(log.entries)
    assert index.state() == rebuilt.state()
