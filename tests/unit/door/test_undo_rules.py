"""Undoing a check-in, the domain's rule: whose it is, for how long, and what it changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.check_in import CheckInNotFound, Undo, UndoNotAllowed
from domain.ticket import Ticket
from tests.unit.door.test_checkin_rules import DAY, EVENING, STAFF, check_in, ticket_with_token

pytestmark = pytest.mark.unit


def checked_in() -> tuple[Ticket, int]:
    """A ticket checked in by door-staff-1 at EVENING, and the version of that check-in."""
    ticket = ticket_with_token()
    check_in(ticket)
    ticket.collect_events()
    return ticket, ticket.version


def by(actor: str, minutes: float = 1, *, admin: bool = False) -> Undo:
    return Undo(actor, admin, EVENING + timedelta(minutes=minutes), "wrong person")


def test_an_undo_records_who_when_why_and_frees_the_day() -> None:
    ticket, version = checked_in()

    assert ticket.undo_check_in(version, by("door-staff-1"), STAFF)

    [undone] = ticket.collect_events()
    assert isinstance(undone, Ticket.CheckInUndone)
    assert (undone.checked_in_version, undone.local_date) == (version, DAY)
    assert (undone.undone_by, undone.undone_at) == ("door-staff-1", EVENING + timedelta(minutes=1))
    assert undone.reason == "wrong person"
    assert ticket.checked_in_on(DAY) is None
    check_in(ticket, at=EVENING + timedelta(minutes=2))  # the same day, again
    assert ticket.checked_in_on(DAY) == EVENING + timedelta(minutes=2)


def test_undoing_twice_records_one_undo() -> None:
    ticket, version = checked_in()
    assert ticket.undo_check_in(version, by("door-staff-1"), STAFF)

    again = ticket.undo_check_in(version, by("door-staff-1", minutes=60), STAFF)

    assert again is False
    assert len(ticket.collect_events()) == 1


def test_the_maker_may_undo_for_15_minutes_then_only_an_admin() -> None:
    ticket, version = checked_in()

    with pytest.raises(UndoNotAllowed):
        ticket.undo_check_in(version, by("door-staff-1", minutes=15.1), STAFF)
    assert ticket.undo_check_in(version, by("admin-1", minutes=60 * 24, admin=True), STAFF)


def test_someone_else_may_not_undo_even_at_once() -> None:
    ticket, version = checked_in()

    with pytest.raises(UndoNotAllowed):
        ticket.undo_check_in(version, by("device:other", minutes=0), STAFF)
    assert ticket.undo_check_in(version, by("door-staff-1", minutes=15), STAFF)
    with pytest.raises(UndoNotAllowed):  # an undone check-in is not another's to undo either
        ticket.undo_check_in(version, by("device:other", minutes=16), STAFF)
    assert ticket.collect_events()[0].undone_by == "door-staff-1"  # type: ignore[attr-defined]


def test_only_a_check_in_can_be_undone() -> None:
    ticket, version = checked_in()

    for other in (version - 1, version + 1, 0):
        with pytest.raises(CheckInNotFound):
            ticket.undo_check_in(other, by("admin-1", admin=True), STAFF)
