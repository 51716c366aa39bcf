"""Who came to class: a period's check-ins per class day, from the scan index."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from application.clock import Clock
from application.door.ports import Attendee, ScanIndex
from application.periods.scheduling import Periods


@dataclass(frozen=True)
class AttendanceDay:
    date: date
    total: int
    by_track: dict[str, int]  # track code -> persons checked in with it
    persons: tuple[Attendee, ...]  # in the order they came


class Attendance:
    def __init__(self, periods: Periods, index: ScanIndex, clock: Clock) -> None:
        self._periods = periods
        self._index = index
        self._clock = clock

    def day(self, period_code: str, day: date | None) -> AttendanceDay:
        """One class day (today in the period's timezone by default)."""
        period = self._periods.by_code(period_code)
        if day is None:
            day = self._clock.now().astimezone(ZoneInfo(period.timezone)).date()
        persons = tuple(self._index.attendance(period.code, day))
        by_track = Counter(code for person in persons for code, _ in person.tracks)
        counts = {track.code: by_track.get(track.code, 0) for track in period.tracks}
        return AttendanceDay(day, len(persons), counts, persons)

    def csv(self, period_code: str) -> str:
        """The whole period: a row per person, a column per class day (the time they came)."""
        period = self._periods.by_code(period_code)
        zone = ZoneInfo(period.timezone)
        attendees = self._index.attendance(period.code)
        days = sorted({a.local_date for a in attendees})
        rows: dict[object, dict[str, object]] = {}
        for a in attendees:
            row = rows.setdefault(a.person_id, {"personId": str(a.person_id), "name": a.name})
            row[a.local_date.isoformat()] = a.checked_in_at.astimezone(zone).strftime("%H:%M")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["personId", "name", *(d.isoformat() for d in days), "days"])
        for row in sorted(rows.values(), key=lambda r: str(r["name"]).casefold()):
            present = [str(row.get(d.isoformat(), "")) for d in days]
            writer.writerow(
                [row["personId"], _safe(str(row["name"])), *present, sum(1 for p in present if p)]
            )
        return out.getvalue()


def _safe(cell: str) -> str:
    """A spreadsheet must not run a name as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
