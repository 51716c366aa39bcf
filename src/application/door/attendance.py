"""Who came to class: a period's check-ins per class day, from the scan index.

With a schedule, a day lists the classes held on it, how many were expected (registered for
the track) and present, and who is absent; the CSV has a column for every class day. Check-ins
on days without a class still count and show. Without a schedule, days are the days someone
checked in, as they always were.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, time
from uuid import UUID
from zoneinfo import ZoneInfo

from application.clock import Clock
from application.door.ports import Attendee, ScanEntry, ScanIndex
from application.periods.scheduling import Periods
from domain.period import Period, TrackNames


@dataclass(frozen=True)
class HeldClass:
    """A class of a track held on the day: who was expected (registered) and present."""

    track_code: str
    start_time: time
    end_time: time
    expected: int
    present: int


@dataclass(frozen=True)
class Absentee:
    person_id: UUID
    name: str
    tracks: TrackNames  # their tracks with a class that day


@dataclass(frozen=True)
class AttendanceDay:
    date: date
    total: int
    by_track: dict[str, int]  # track code -> persons checked in with it
    persons: tuple[Attendee, ...]  # in the order they came
    classes: tuple[HeldClass, ...] = ()  # the day's scheduled classes, in time order
    absent: tuple[Absentee, ...] = ()  # registered for one of them, not checked in


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
        held = _held_on(period, day)
        if not held:
            return AttendanceDay(day, len(persons), counts, persons)
        registered = [e for e in self._index.period_entries(period.code) if e.active]
        came = {p.person_id for p in persons}
        classes = tuple(
            HeldClass(
                code,
                start,
                end,
                expected=sum(1 for e in registered if _covers(e, code)),
                present=sum(1 for e in registered if _covers(e, code) and e.person_id in came),
            )
            for code, start, end in held
        )
        held_codes = {code for code, _, _ in held}
        absent = tuple(
            Absentee(e.person_id, e.person_name, tuple(t for t in e.tracks if t[0] in held_codes))
            for e in sorted(registered, key=lambda e: e.person_name.casefold())
            if e.person_id not in came and any(_covers(e, code) for code in held_codes)
        )
        return AttendanceDay(day, len(persons), counts, persons, classes, absent)

    def csv(self, period_code: str) -> str:
        """The whole period: a row per person, a column per class day (the time they came),
        every scheduled class day among them, and the number of days each came."""
        period = self._periods.by_code(period_code)
        zone = ZoneInfo(period.timezone)
        attendees = self._index.attendance(period.code)
        scheduled = {c.day for t in period.tracks for c in period.classes(t)}
        days = sorted({a.local_date for a in attendees} | scheduled)
        rows: dict[object, dict[str, object]] = {}
        if scheduled:  # everyone registered has a row, whether they came or not
            for e in self._index.period_entries(period.code):
                if e.active:
                    rows[e.person_id] = {"personId": str(e.person_id), "name": e.person_name}
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


def _held_on(period: Period, day: date) -> list[tuple[str, time, time]]:
    """The classes of every track held on ``day``, in time order."""
    held = [
        (track.code, c.slot.start_time, c.slot.end_time)
        for track in period.tracks
        for c in period.classes(track)
        if c.day == day
    ]
    return sorted(held, key=lambda h: (h[1], h[0]))


def _covers(entry: ScanEntry, track_code: str) -> bool:
    return any(code == track_code for code, _ in entry.tracks)


def _safe(cell: str) -> str:
    """A spreadsheet must not run a name as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
