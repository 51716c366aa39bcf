"""The course schedule over HTTP: set with the period, replaced later, on the ticket, as a
calendar whose expansion gives exactly the class days the service computes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import recurring_ical_events
from icalendar import Calendar

from domain.period import Period
from tests.support.service import ADMIN, Running, bearer

pytestmark = pytest.mark.integration

TUESDAYS = {"weekday": "tuesday", "startTime": "19:00", "endTime": "20:30", "room": "Sal A"}
THURSDAYS = {"weekday": "thursday", "startTime": "18:00", "endTime": "19:00"}
AUTUMN_BREAK = "2026-10-06"


def with_classes(running: Running, *slots: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    running.api.schedule(
        tracks=[
            {"code": "salsa1", "name": "Salsa 1", "priceCents": 150000, "schedule": list(slots)},
            {"code": "bachata1", "name": "Bachata 1", "priceCents": 120000},
        ],
        skipDates=list(skip),
    )


def paid_ticket(running: Running) -> dict[str, Any]:
    running.api.profile("dancer-1")
    order = running.api.order("dancer-1", "salsa1")
    assert running.api.pay(order).status_code == 200
    response = running.api.ticket("dancer-1")
    assert response.status_code == 200, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def test_a_period_is_scheduled_with_its_classes_and_shows_them(running: Running) -> None:
    with_classes(running, TUESDAYS, skip=(AUTUMN_BREAK,))

    period = running.api.client.get("/api/periods/2026-fall").json()

    salsa = next(t for t in period["tracks"] if t["code"] == "salsa1")
    assert salsa["schedule"] == [TUESDAYS]
    assert period["skipDates"] == [AUTUMN_BREAK]
    bachata = next(t for t in period["tracks"] if t["code"] == "bachata1")
    assert bachata["schedule"] == []


def test_an_admin_replaces_the_schedule_and_the_history_says_who(running: Running) -> None:
    with_classes(running, TUESDAYS)

    response = running.api.client.put(
        "/api/admin/periods/2026-fall/schedule",
        json={"tracks": [{"code": "bachata1", "schedule": [THURSDAYS]}], "skipDates": []},
        headers=ADMIN,
    )

    assert response.status_code == 200, response.text
    tracks = {t["code"]: t["schedule"] for t in response.json()["tracks"]}
    assert tracks == {"salsa1": [], "bachata1": [{**THURSDAYS, "room": None}]}
    period = running.services.periods.by_code("2026-fall")
    history = running.api.client.get(f"/api/admin/audit/{period.id}/events", headers=ADMIN).json()
    changed = [e for e in history if e["type"] == "Period.ScheduleChanged"]
    assert len(changed) == 1 and changed[0]["actor"] == "admin-1"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"tracks": [{"code": "salsa1", "schedule": [{**TUESDAYS, "endTime": "18:00"}]}]},
            422,
            "invalid_schedule",
        ),
        (
            {
                "tracks": [
                    {
                        "code": "salsa1",
                        "schedule": [
                            TUESDAYS,
                            {**TUESDAYS, "startTime": "20:00", "endTime": "21:00"},
                        ],
                    }
                ]
            },
            422,
            "invalid_schedule",
        ),
        (
            {"tracks": [{"code": "salsa1", "schedule": [{**TUESDAYS, "startTime": "25:00"}]}]},
            422,
            "validation_failed",
        ),
        (
            {"tracks": [{"code": "salsa1", "schedule": [{**TUESDAYS, "weekday": "someday"}]}]},
            422,
            "validation_failed",
        ),
        ({"tracks": [], "skipDates": ["2027-07-01"]}, 422, "invalid_schedule"),
        ({"tracks": [{"code": "tango", "schedule": [TUESDAYS]}]}, 422, "unknown_track"),
    ],
)
def test_a_bad_schedule_is_refused_and_changes_nothing(
    running: Running, body: dict[str, Any], status: int, code: str
) -> None:
    with_classes(running, TUESDAYS)

    response = running.api.client.put(
        "/api/admin/periods/2026-fall/schedule", json=body, headers=ADMIN
    )

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    salsa = running.api.client.get("/api/periods/2026-fall").json()["tracks"][0]
    assert salsa["schedule"] == [TUESDAYS]


def test_only_an_admin_changes_a_schedule(running: Running) -> None:
    with_classes(running, TUESDAYS)
    body = {"tracks": []}
    url = "/api/admin/periods/2026-fall/schedule"

    assert running.api.client.put(url, json=body).status_code == 401
    assert running.api.client.put(url, json=body, headers=bearer("dancer-1")).status_code == 403
    missing = running.api.client.put("/api/admin/periods/nope/schedule", json=body, headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["code"] == "period_not_found"


def test_the_ticket_shows_its_tracks_classes_and_the_next_one(running: Running) -> None:
    with_classes(running, TUESDAYS)

    ticket = paid_ticket(running)

    assert ticket["tracks"] == [{"code": "salsa1", "name": "Salsa 1", "schedule": [TUESDAYS]}]
    upcoming = ticket["nextClass"]
    assert upcoming["trackCode"] == "salsa1"
    starts = datetime.fromisoformat(upcoming["startsAt"])
    assert starts > datetime.now(UTC) - timedelta(hours=2)  # the next one, or the one on now


def test_a_period_without_classes_has_no_next_class_and_no_calendar(running: Running) -> None:
    running.api.schedule()
    ticket = paid_ticket(running)

    assert ticket["nextClass"] is None
    assert ticket["tracks"][0]["schedule"] == []
    response = running.api.client.get(
        f"/api/tickets/{ticket['ticketId']}/calendar.ics", headers=bearer("dancer-1")
    )
    assert response.status_code == 404 and response.json()["code"] == "schedule_not_found"


def expanded(calendar: bytes) -> list[tuple[str, datetime, datetime]]:
    parsed = Calendar.from_ical(calendar)
    events = recurring_ical_events.of(parsed).between(date(2026, 1, 1), date(2027, 12, 31))
    return sorted(
        (str(e["SUMMARY"]), e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC))
        for e in events
    )


def test_the_calendar_expands_to_exactly_the_class_days_across_daylight_saving(
    running: Running,
) -> None:
    with_classes(running, TUESDAYS, THURSDAYS, skip=(AUTUMN_BREAK, "2026-10-08"))
    ticket = paid_ticket(running)

    response = running.api.client.get(
        f"/api/tickets/{ticket['ticketId']}/calendar.ics", headers=bearer("dancer-1")
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    period: Period = running.services.periods.by_code("2026-fall")
    computed = sorted(
        ("Salsa 1", held.starts_at, held.ends_at) for held in period.classes(period.track("salsa1"))
    )
    occurrences = expanded(response.content)
    assert occurrences == computed
    # Across the change to winter time (25 October): 19:00 in Oslo before and after.
    assert (
        "Salsa 1",
        datetime(2026, 10, 20, 17, tzinfo=UTC),
        datetime(2026, 10, 20, 18, 30, tzinfo=UTC),
    ) in occurrences
    assert (
        "Salsa 1",
        datetime(2026, 10, 27, 18, tzinfo=UTC),
        datetime(2026, 10, 27, 19, 30, tzinfo=UTC),
    ) in occurrences
    text = response.text
    assert "TZID=Europe/Oslo" in text and "BEGIN:VTIMEZONE" in text
    assert "EXDATE;TZID=Europe/Oslo:20261006T190000" in text
    assert "LOCATION:Dansestudio\\, Oslo\\, Sal A" in text


def test_the_calendar_by_the_signed_link_and_its_sequence_after_a_change(
    running: Running,
) -> None:
    with_classes(running, TUESDAYS)
    ticket = paid_ticket(running)
    link = urlsplit(ticket["viewUrl"])
    calendar_url = f"{link.path}/calendar.ics?{link.query}"

    first = running.api.client.get(calendar_url)
    running.api.client.put(
        "/api/admin/periods/2026-fall/schedule",
        json={"tracks": [{"code": "salsa1", "schedule": [{**TUESDAYS, "startTime": "19:30"}]}]},
        headers=ADMIN,
    )
    second = running.api.client.get(calendar_url)

    assert first.status_code == 200 and second.status_code == 200
    uid = [line for line in first.text.splitlines() if line.startswith("UID:")]
    assert uid == [line for line in second.text.splitlines() if line.startswith("UID:")]
    assert "SEQUENCE:0" in first.text and "SEQUENCE:1" in second.text
    assert "DTSTART;TZID=Europe/Oslo:20260901T193000" in second.text
    wrong = running.api.client.get(calendar_url[:-3] + "AAA")
    assert wrong.status_code == 404 and wrong.json()["code"] == "ticket_not_found"


def test_another_dancer_gets_no_calendar(running: Running) -> None:
    with_classes(running, TUESDAYS)
    ticket = paid_ticket(running)

    response = running.api.client.get(
        f"/api/tickets/{ticket['ticketId']}/calendar.ics", headers=bearer("dancer-2")
    )

    assert response.status_code == 404 and response.json()["code"] == "ticket_not_found"
