"""Attendance on fakes: a day's totals per track (today by default, in the period's timezone),
and the whole period as CSV, a column per class day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from application.door.attendance import Attendance
from application.door.ports import Attendee
from application.errors import NotFound
from tests.support.fakes import Wired, schedule, wire

pytestmark = pytest.mark.unit


@dataclass
class FakeAttendanceIndex:
    rows: list[Attendee] = field(default_factory=list)
    asked: list[tuple[str, date | None]] = field(default_factory=list)

    def attendance(self, period_code: str, day: date | None = None) -> list[Attendee]:
        self.asked.append((period_code, day))
        return [a for a in self.rows if day is None or a.local_date == day]


def came(name: str, at: datetime, *tracks: str) -> Attendee:
    return Attendee(
        ticket_id=uuid4(),
        person_id=uuid4(),
        name=name,
        local_date=at.date(),
        checked_in_at=at,
        device_id="d-1",
        tracks=tuple((t, t.title()) for t in tracks),
        manual=False,
    )


@pytest.fixture
def world() -> Iterator[Wired]:
    wired = wire()
    schedule(wired)
    yield wired
    wired.services.close()


def test_a_day_counts_persons_per_track_and_defaults_to_today_in_oslo(world: Wired) -> None:
    index = FakeAttendanceIndex()
    index.rows = [
        came("Åse", datetime(2026, 10, 1, 16, 0, tzinfo=UTC), "salsa1", "bachata1"),
        came("Ola", datetime(2026, 10, 1, 16, 5, tzinfo=UTC), "salsa1"),
    ]
    world.clock.set(datetime(2026, 9, 30, 22, 30, tzinfo=UTC))  # 00:30 on Oct 1st in Oslo
    attendance = Attendance(world.services.periods, index, world.clock)

    day = attendance.day("2026-fall", None)

    assert day.date == date(2026, 10, 1)
    assert (day.total, day.by_track) == (2, {"salsa1": 2, "bachata1": 1})
    assert [p.name for p in day.persons] == ["Åse", "Ola"]
    with pytest.raises(NotFound):
        attendance.day("1999-spring", None)


def test_the_csv_has_a_column_per_class_day_and_neutralises_formulas(world: Wired) -> None:
    index = FakeAttendanceIndex()
    index.rows = [
        came("Åse", datetime(2026, 10, 1, 16, 0, tzinfo=UTC), "salsa1"),
        came("@evil", datetime(2026, 10, 8, 16, 30, tzinfo=UTC), "salsa1"),
    ]
    attendance = Attendance(world.services.periods, index, world.clock)

    lines = attendance.csv("2026-fall").splitlines()

    assert lines[0] == "personId,name,2026-10-01,2026-10-08,days"
    assert lines[1].split(",")[1:] == ["'@evil", "", "18:30", "1"]
    assert lines[2].split(",")[1:] == ["Åse", "18:00", "", "1"]
