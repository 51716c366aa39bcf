"""Attendance with a schedule: the day's classes, who was expected and present, who is absent,
and a CSV column for every class day."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.schedule import Weekday
from tests.support.service import ADMIN, Running, bearer, follow_read_models

pytestmark = pytest.mark.integration

STAFF = bearer("staff-1", "staff")


def todays_weekday() -> str:
    return list(Weekday)[datetime.now(ZoneInfo("Europe/Oslo")).weekday()].value


def registered(running: Running, user: str, name: str, *tracks: str) -> dict[str, Any]:
    running.api.profile(user, name)
    assert running.api.pay(running.api.order(user, *tracks)).status_code == 200
    ticket: dict[str, Any] = running.api.ticket(user).json()
    return ticket


def test_todays_class_lists_the_expected_the_present_and_the_absent(running: Running) -> None:
    today = todays_weekday()
    running.api.schedule(
        tracks=[
            {
                "code": "salsa1",
                "name": "Salsa 1",
                "priceCents": 150000,
                "schedule": [{"weekday": today, "startTime": "19:00", "endTime": "20:30"}],
            },
            {"code": "bachata1", "name": "Bachata 1", "priceCents": 120000},
        ]
    )
    came = registered(running, "dancer-1", "Åse Øvergård", "salsa1")
    registered(running, "dancer-2", "Ola Nordmann", "salsa1")
    registered(running, "dancer-3", "Kari Bachata", "bachata1")  # no class today
    scan = running.api.client.post(
        "/api/checkin/scan", json={"token": came["qrToken"]}, headers=STAFF
    )
    assert scan.json()["result"] == "ok"
    follow_read_models(running.services)

    day = running.api.client.get("/api/admin/periods/2026-fall/attendance", headers=ADMIN).json()

    assert day["classes"] == [
        {
            "trackCode": "salsa1",
            "startTime": "19:00",
            "endTime": "20:30",
            "expected": 2,
            "present": 1,
        }
    ]
    assert [(a["name"], a["tracks"]) for a in day["absent"]] == [("Ola Nordmann", ["salsa1"])]
    assert [p["name"] for p in day["persons"]] == ["Åse Øvergård"]

    sheet = running.api.client.get(
        "/api/admin/periods/2026-fall/attendance.csv", headers=ADMIN
    ).text
    rows = list(csv.reader(io.StringIO(sheet)))
    header, body = rows[0], {row[1]: row for row in rows[1:]}
    # Every class day of the period is a column: today's weekday from its start to its end.
    start, end = date(2026, 9, 1), date(2027, 6, 15)
    weekday = datetime.now(ZoneInfo("Europe/Oslo")).weekday()
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    assert len(header) - 3 == sum(1 for day in days if day.weekday() == weekday)
    assert body["Ola Nordmann"][-1] == "0" and body["Åse Øvergård"][-1] == "1"
    assert "Kari Bachata" in body  # registered, never came: still a row


def test_without_a_schedule_attendance_is_as_before(running: Running) -> None:
    running.api.schedule()
    came = registered(running, "dancer-1", "Åse Øvergård", "salsa1")
    registered(running, "dancer-2", "Ola Nordmann", "salsa1")
    running.api.client.post("/api/checkin/scan", json={"token": came["qrToken"]}, headers=STAFF)
    follow_read_models(running.services)

    day = running.api.client.get("/api/admin/periods/2026-fall/attendance", headers=ADMIN).json()
    sheet = running.api.client.get(
        "/api/admin/periods/2026-fall/attendance.csv", headers=ADMIN
    ).text

    assert day["classes"] == [] and day["absent"] == []
    assert day["total"] == 1
    rows = list(csv.reader(io.StringIO(sheet)))
    assert len(rows) == 2 and len(rows[0]) == 4  # personId, name, today, days
