"""Ticket: one per person and period, the registrations it covers, its token versions; and the
tickets that wait for a profile."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.shared import Cause
from domain.ticket import (
    CoveredRegistration,
    PendingTickets,
    QrToken,
    Ticket,
    TicketStatus,
    TokenVersionConflict,
)

pytestmark = pytest.mark.unit

PERIOD, PERSON, ORDER, OTHER_ORDER = uuid4(), uuid4(), uuid4(), uuid4()
SALSA = CoveredRegistration(uuid4(), ORDER, "salsa1")
BACHATA = CoveredRegistration(uuid4(), OTHER_ORDER, "bachata1")
CAUSE = Cause(actor="stripe", reference="evt_1")
ISSUED_AT = datetime(2026, 8, 20, 12, 30, tzinfo=UTC)
EXPIRES_AT = datetime(2026, 12, 15, 23, 0, tzinfo=UTC)


def token(version: int) -> QrToken:
    return QrToken(version, ISSUED_AT, EXPIRES_AT, f"hash-{version}")


def issued(*registrations: CoveredRegistration) -> Ticket:
    ticket = Ticket.issue(
        period_id=PERIOD, person_id=PERSON, registrations=registrations or (SALSA,), cause=CAUSE
    )
    ticket.collect_events()
    return ticket


def test_issuing_records_the_ticket_under_the_id_of_its_period_and_person() -> None:
    ticket = Ticket.issue(period_id=PERIOD, person_id=PERSON, registrations=(SALSA,), cause=CAUSE)

    [event] = ticket.collect_events()
    assert isinstance(event, Ticket.Issued)
    assert event.originator_id == Ticket.id_for(PERIOD, PERSON) == ticket.id
    assert (event.period_id, event.person_id, event.registrations) == (PERIOD, PERSON, (SALSA,))
    assert ticket.status is TicketStatus.ACTIVE
    assert ticket.token is None
    assert ticket.next_token_version == 1


def test_ticket_ids_differ_per_person_and_per_period() -> None:
    ids = {
        Ticket.id_for(PERIOD, PERSON),
        Ticket.id_for(PERIOD, uuid4()),
        Ticket.id_for(uuid4(), PERSON),
        Ticket.id_for(PERSON, PERIOD),
    }
    assert len(ids) == 4


def test_adding_new_registrations_records_only_those() -> None:
    ticket = issued(SALSA)

    added = ticket.add_registrations((SALSA, BACHATA), CAUSE)

    [event] = ticket.collect_events()
    assert added is True
    assert isinstance(event, Ticket.RegistrationsAdded)
    assert event.registrations == (BACHATA,)
    assert ticket.registrations == (SALSA, BACHATA)
    assert ticket.track_codes() == ("salsa1", "bachata1")


def test_adding_registrations_the_ticket_covers_records_nothing() -> None:
    ticket = issued(SALSA, BACHATA)

    added = ticket.add_registrations((BACHATA, SALSA), CAUSE)

    assert added is False
    assert ticket.collect_events() == []
    assert ticket.version == 1


def test_recording_the_next_token_version_records_its_hash_not_the_token() -> None:
    ticket = issued()

    ticket.record_token(token(1), CAUSE)
    ticket.record_token(token(2), CAUSE)

    first, second = ticket.collect_events()
    assert isinstance(first, Ticket.QrTokenIssued)
    assert (first.version, first.token_hash) == (1, "hash-1")
    assert (first.issued_at, first.expires_at) == (ISSUED_AT, EXPIRES_AT)
    assert isinstance(second, Ticket.QrTokenIssued)
    assert second.version == 2
    assert ticket.token == token(2)
    assert ticket.next_token_version == 3


@pytest.mark.parametrize("version", [0, 1, 3])
def test_a_token_of_another_version_than_the_next_is_refused(version: int) -> None:
    ticket = issued()
    ticket.record_token(token(1), CAUSE)
    ticket.collect_events()

    with pytest.raises(TokenVersionConflict, match=f"version {version} recorded, 2 expected"):
        ticket.record_token(token(version), CAUSE)

    assert ticket.collect_events() == []
    assert ticket.token == token(1)


def test_deferring_a_ticket_records_the_period_and_order_once() -> None:
    pending = PendingTickets.open(PERSON, CAUSE)

    pending.defer(period_id=PERIOD, order_id=ORDER, cause=CAUSE)
    pending.defer(period_id=PERIOD, order_id=ORDER, cause=CAUSE)

    opened, deferred = pending.collect_events()
    assert isinstance(opened, PendingTickets.Opened)
    assert opened.originator_id == PendingTickets.id_for(PERSON) == pending.id
    assert opened.person_id == PERSON
    assert isinstance(deferred, PendingTickets.TicketDeferred)
    assert (deferred.period_id, deferred.order_id) == (PERIOD, ORDER)
    assert pending.pending == ((PERIOD, ORDER),)
    assert pending.waits_in(PERIOD)
    assert not pending.waits_in(uuid4())


def test_releasing_pending_tickets_empties_the_list() -> None:
    pending = PendingTickets.open(PERSON, CAUSE)
    pending.defer(period_id=PERIOD, order_id=ORDER, cause=CAUSE)
    pending.collect_events()
    ticket_id = Ticket.id_for(PERIOD, PERSON)

    pending.release((ticket_id,), CAUSE)

    [event] = pending.collect_events()
    assert isinstance(event, PendingTickets.DeferredTicketsIssued)
    assert event.ticket_ids == (ticket_id,)
    assert pending.pending == ()
    assert not pending.waits_in(PERIOD)


def test_releasing_nothing_records_nothing() -> None:
    pending = PendingTickets.open(PERSON, CAUSE)
    pending.collect_events()

    pending.release((), CAUSE)

    assert pending.collect_events() == []
