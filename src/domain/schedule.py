"""A course's weekly classes: the slots of a track, and the days a period holds them.

Times are wall-clock times in the period's timezone: a class at 19:00 stays at 19:00 across a
daylight-saving change, so a class's instants are computed from its date, never by adding
weeks to an instant.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.shared import DomainError, unprintable


class InvalidSchedule(DomainError):
    """Raised when a track's class slots or a period's skipped dates are not usable."""


class Weekday(enum.StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """Monday 0 ... Sunday 6, as ``date.weekday()``."""
        return list(Weekday).index(self)


@dataclass(frozen=True)
class ClassSlot:
    """One weekly class of a track: its weekday, its local start and end, and its room."""

    weekday: Weekday
    start_time: time
    end_time: time
    room: str | None = None

    def overlaps(self, other: ClassSlot) -> bool:
        return (
            self.weekday is other.weekday
            and self.start_time < other.end_time
            and other.start_time < self.end_time
        )


@dataclass(frozen=True)
class ClassTime:
    """One class held on one day: its slot, and its start and end as instants (UTC)."""

    day: date
    slot: ClassSlot
    starts_at: datetime
    ends_at: datetime


def checked_slots(track: str, slots: Iterable[ClassSlot]) -> tuple[ClassSlot, ...]:
    """The slots, each ending after it starts, none overlapping another of the same track."""
    kept: list[ClassSlot] = []
    for slot in slots:
        if slot.end_time <= slot.start_time:
            raise InvalidSchedule(f"track {track}: a class must end after it starts")
        if slot.room is not None and (not slot.room.strip() or unprintable(slot.room)):
            raise InvalidSchedule(f"track {track}: a room needs a printable name")
        if any(slot.overlaps(other) for other in kept):
            raise InvalidSchedule(f"track {track}: two classes overlap on {slot.weekday}")
        kept.append(slot)
    return tuple(sorted(kept, key=lambda s: (s.weekday.number, s.start_time)))


def checked_skip_dates(skip: Iterable[date], start: date, end: date) -> tuple[date, ...]:
    days = sorted(set(skip))
    for day in days:
        if not start <= day <= end:
            raise InvalidSchedule(f"skipped date {day} is outside the period ({start} to {end})")
    return tuple(days)


def class_times(
    slots: Iterable[ClassSlot],
    start: date,
    end: date,
    skip: Iterable[date],
    timezone: str,
) -> Iterator[ClassTime]:
    """Every class of these slots from ``start`` to ``end``, less the skipped dates, in order."""
    zone, skipped, slots = ZoneInfo(timezone), frozenset(skip), tuple(slots)
    if not slots:
        return
    day = start
    while day <= end:
        if day not in skipped:
            for slot in slots:
                if slot.weekday.number == day.weekday():
                    yield ClassTime(
                        day,
                        slot,
                        _instant(day, slot.start_time, zone),
                        _instant(day, slot.end_time, zone),
                    )
        day += timedelta(days=1)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, zone).astimezone(UTC)
