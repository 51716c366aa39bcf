"""Undoing a check-in over real HTTP, on SQLite and PostgreSQL: who may, for how long, and what
follows it (today's count, attendance and its CSV, the audit replay)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.ticket import Ticket
from tests.integration.door.test_checkin_http import EVENING, STAFF, Door, door  # noqa: F401
from tests.support.service import ADMIN, bearer, follow_read_models

pytestmark = pytest.mark.integration

OTHER_STAFF = bearer("door-staff-2", "staff")


def undo(at: Door, check_in_id: str, headers: dict[str, str] = STAFF, **body: Any) -> Any:
    return at.client.post(f"/api/checkin/{check_in_id}/undo", json=body or None, headers=headers)


def today(at: Door) -> dict[str, Any]:
    follow_read_models(at.services)
    response = at.client.get("/api/checkin/today?periodCode=2026-fall", headers=STAFF)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def attendance(at: Door) -> tuple[list[str], str]:
    """Who is present on the evening's day, and the CSV of the period."""
    day = at.client.get(
        "/api/admin/periods/2026-fall/attendance", params={"date": "2026-10-01"}, headers=ADMIN
    )
    csv = at.client.get("/api/admin/periods/2026-fall/attendance.csv", headers=ADMIN)
    assert day.status_code == csv.status_code == 200, day.text + csv.text
    return [p["name"] for p in day.json()["persons"]], csv.text


def test_an_undo_frees_the_day_and_everything_follows_it(door: Door) -> None:  # noqa: F811
    token = door.sell()
    first = door.scan(token)
    assert first["result"] == "ok"
    ticket_id = door.ticket_id(token)
    assert first["checkInId"].startswith(ticket_id + ".")
    assert today(door)["count"] == 1
    assert attendance(door)[0] == ["Åse Øvergård"]

    door.clock.moment = EVENING + timedelta(minutes=3)
    response = undo(door, first["checkInId"], reason="Tapped the wrong person")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "checkInId": first["checkInId"],
        "ticketId": ticket_id,
        "undone": True,
    }
    assert (today(door)["count"], today(door)["items"]) == (0, [])
    persons, csv = attendance(door)
    assert persons == [] and "Øvergård" not in csv
    [undone] = door.events(ticket_id, Ticket.CheckInUndone)
    assert (undone.undone_by, undone.reason) == ("door-staff-1", "Tapped the wrong person")
    assert (undone.cause.actor, undone.undone_at) == ("door-staff-1", door.clock.moment)

    # Checked in again the same day: a new check-in, counted and present again.
    door.clock.moment = EVENING + timedelta(minutes=5)
    second = door.scan(token)
    assert second["result"] == "ok" and second["checkInId"] != first["checkInId"]
    assert second["ticket"]["checkedInAt"] == "2026-10-01T16:05:00Z"
    assert door.result(token) == "already_checked_in"
    assert today(door)["count"] == 1
    assert attendance(door)[0] == ["Åse Øvergård"]

    # The audit replay rebuilds the same scan index from the log.
    report = door.services.audit.replay(
        door.services.read_models, follower_store=door.services.follower_store
    )
    assert report.ok, (report.violations, report.read_models)
    assert all(m.equal for m in report.read_models), report.read_models


def test_undoing_twice_answers_the_same_and_changes_nothing(door: Door) -> None:  # noqa: F811
    check_in_id = door.scan(door.sell())["checkInId"]

    first = undo(door, check_in_id)
    door.clock.moment = EVENING + timedelta(hours=3)  # past the 15 minutes: still the same undo
    again = undo(door, check_in_id)

    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json()
    assert len(door.events(first.json()["ticketId"], Ticket.CheckInUndone)) == 1


def test_someone_elses_check_in_is_only_an_admins_to_undo(door: Door) -> None:  # noqa: F811
    check_in_id = door.scan(door.sell())["checkInId"]

    at_once = undo(door, check_in_id, OTHER_STAFF)
    door.clock.moment = EVENING + timedelta(minutes=16)
    too_late = undo(door, check_in_id)
    admin = undo(door, check_in_id, ADMIN)

    assert at_once.status_code == too_late.status_code == 403, too_late.text
    assert at_once.json()["code"] == too_late.json()["code"] == "undo_not_allowed"
    assert admin.status_code == 200, admin.text
    [undone] = door.events(admin.json()["ticketId"], Ticket.CheckInUndone)
    assert undone.undone_by == "admin-1"


@pytest.mark.parametrize(
    "check_in_id",
    [
        "00000000-0000-4000-8000-000000000000.3",  # no such ticket
        "{ticket}.1",  # its Issued event
        "{ticket}.999",
        "{ticket}",
        "{ticket}.3x",
        "{ticket}.%00",
        "junk",
        "x" * 300,
    ],
)
def test_an_unknown_check_in_is_a_problem_never_an_error(
    door: Door,  # noqa: F811
    check_in_id: str,
) -> None:
    token = door.sell()
    assert door.scan(token)["checkInId"] == f"{door.ticket_id(token)}.3"

    response = undo(door, check_in_id.format(ticket=door.ticket_id(token)))

    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if response.status_code == 404:
        assert response.json()["code"] == "check_in_not_found"
    assert door.events(door.ticket_id(token), Ticket.CheckInUndone) == []


def test_only_the_door_undoes(door: Door) -> None:  # noqa: F811
    check_in_id = door.scan(door.sell())["checkInId"]

    nobody = door.client.post(f"/api/checkin/{check_in_id}/undo")
    dancer = undo(door, check_in_id, bearer("dancer-1"))

    assert (nobody.status_code, dancer.status_code) == (401, 403)
