"""Undoing a check-in, the use case on fakes: the id an ok answer gives, whose undo counts."""

from __future__ import annotations

import pytest

from application.door.undo import CheckInUndoing, check_in_id, parse_check_in_id
from application.errors import Forbidden, NotFound
from domain.scan import ScanResult
from domain.ticket import Ticket
from tests.unit.door.test_checkin import STAFF, Door, door  # noqa: F401 (fixture)

pytestmark = pytest.mark.unit


def undoing(at: Door) -> CheckInUndoing:
    return CheckInUndoing(at.wired.store, at.wired.clock)


def undone_events(at: Door) -> list[Ticket.CheckInUndone]:
    events = at.wired.store.events.get(at.ticket_id)
    return [e for e in events if isinstance(e, Ticket.CheckInUndone)]


def test_an_ok_names_its_check_in_and_its_maker_undoes_it(door: Door) -> None:  # noqa: F811
    answer = door.scan(scan_id="scan-1")
    assert answer.result is ScanResult.OK
    assert answer.check_in_id == check_in_id(door.ticket_id, door.ticket().version)

    done = undoing(door).undo(
        answer.check_in_id, actor="door-1", admin=False, reason="wrong person", cause=STAFF
    )
    again = door.scan(scan_id="scan-2")

    assert (done.ticket_id, done.recorded) == (door.ticket_id, True)
    [undone] = undone_events(door)
    assert (undone.undone_by, undone.reason, undone.cause) == ("door-1", "wrong person", STAFF)
    assert again.result is ScanResult.OK and again.check_in_id != answer.check_in_id
    assert len(door.check_ins()) == 2
    # A repeated scan id gets its first answer, with the same check-in id.
    assert door.scan(scan_id="scan-1").check_in_id == answer.check_in_id


def test_undoing_twice_changes_nothing(door: Door) -> None:  # noqa: F811
    check_in = door.scan().check_in_id
    assert check_in is not None
    first = undoing(door).undo(check_in, actor="door-1", admin=False, reason=None, cause=STAFF)
    door.wired.clock.advance(hours=2)

    again = undoing(door).undo(check_in, actor="door-1", admin=False, reason=None, cause=STAFF)

    assert (first.recorded, again.recorded) == (True, False)
    assert len(undone_events(door)) == 1


def test_after_15_minutes_only_an_admin_may_undo(door: Door) -> None:  # noqa: F811
    check_in = door.scan().check_in_id
    assert check_in is not None
    door.wired.clock.advance(minutes=16)

    with pytest.raises(Forbidden) as refused:
        undoing(door).undo(check_in, actor="door-1", admin=False, reason=None, cause=STAFF)
    with pytest.raises(Forbidden):
        undoing(door).undo(check_in, actor="door-2", admin=False, reason=None, cause=STAFF)
    done = undoing(door).undo(check_in, actor="admin-1", admin=True, reason=None, cause=STAFF)

    assert refused.value.code == "undo_not_allowed"
    assert done.recorded and undone_events(door)[0].undone_by == "admin-1"


@pytest.mark.parametrize(
    "text",
    [
        "not-an-id",
        "{ticket}",
        "{ticket}.0",
        "{ticket}.01",
        "{ticket}.-1",
        "{ticket}.1",  # its Issued event: no check-in
        "{ticket}.99",
        "{upper}.3",
        "{ticket}.3.3",
        "00000000-0000-0000-0000-000000000000.3",
        "{ticket}.3\n",
    ],
)
def test_anything_but_a_check_in_id_is_not_found(door: Door, text: str) -> None:  # noqa: F811
    assert door.scan().check_in_id == f"{door.ticket_id}.3"
    named = text.format(ticket=door.ticket_id, upper=str(door.ticket_id).upper())

    with pytest.raises(NotFound) as missing:
        undoing(door).undo(named, actor="admin-1", admin=True, reason=None, cause=STAFF)

    assert missing.value.code == "check_in_not_found"
    assert undone_events(door) == []


def test_a_check_in_id_round_trips(door: Door) -> None:  # noqa: F811
    assert parse_check_in_id(check_in_id(door.ticket_id, 12)) == (door.ticket_id, 12)
