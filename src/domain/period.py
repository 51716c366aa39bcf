"""The Period aggregate: a course period with its tracks and prices, and its code index."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, available_timezones

from eventsourcing.domain import Aggregate

from domain.schedule import ClassSlot, ClassTime, checked_skip_dates, checked_slots, class_times
from domain.shared import Cause, DomainError, stable_id, unprintable

# Every date of a period lies here: its tickets' expiry (the day after its end, in its
# timezone) must be a date too, and nothing past 2100 is a course being sold.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)


class InvalidPeriod(DomainError):
    """Raised when a period's dates, timezone, currency or tracks are not acceptable."""


class UnknownTrack(DomainError):
    """Raised when a registration names a track the period does not have."""


@dataclass(frozen=True)
class Track:
    code: str
    name: str
    price_cents: int
    # Its weekly classes; none in periods scheduled before there were schedules.
    schedule: tuple[ClassSlot, ...] = ()


# A ticket's tracks as shown at the door, on its page and to admins: (code, name) pairs.
TrackNames = tuple[tuple[str, str], ...]


def named_tracks(names: Iterable[tuple[str, str]], codes: Iterable[str]) -> TrackNames:
    """The (code, name) of each code, given a period's (code, name) pairs. A code the period
    does not name (a period's tracks never change, so only a damaged record) shows as itself."""
    by_code = dict(names)
    return tuple((code, by_code.get(code, code)) for code in codes)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar date of ``moment`` in ``timezone``: a ticket is checked in once per day."""
    return moment.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True)
class PeriodPlan:
    """What an admin decides when scheduling a period, checked before it is recorded."""

    code: str
    name: str
    tracks: tuple[Track, ...]
    currency: str
    location: str | None
    timezone: str
    start_date: date
    end_date: date
    skip_dates: tuple[date, ...] = ()  # no classes on these days (a holiday, a break)

    def checked(self) -> PeriodPlan:
        """This plan, trimmed and with its currency in capitals, or InvalidPeriod."""
        _check_period(self)
        return replace(
            self,
            code=self.code.strip(),
            name=self.name.strip(),
            currency=self.currency.upper(),
            tracks=tuple(
                replace(t, schedule=checked_slots(t.code, t.schedule)) for t in self.tracks
            ),
            skip_dates=checked_skip_dates(self.skip_dates, self.start_date, self.end_date),
        )


class Period(Aggregate):
    TOPIC = "tickets:Period"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Period.Created"

    class Scheduled(Created):
        TOPIC = "tickets:Period.Scheduled"
        code: str
        name: str
        currency: str
        tracks: tuple[Track, ...]
        start_date: date
        end_date: date
        timezone: str
        location: str | None
        skip_dates: tuple[date, ...] = ()

    class ScheduleChanged(Event):
        """An admin replaced the weekly classes of the period's tracks and its skipped dates."""

        TOPIC = "tickets:Period.ScheduleChanged"
        schedules: tuple[tuple[str, tuple[ClassSlot, ...]], ...]  # (track code, its classes)
        skip_dates: tuple[date, ...]

        def apply(self, aggregate: Any) -> None:
            period: Period = aggregate
            by_code = dict(self.schedules)
            period.tracks = tuple(
                replace(t, schedule=by_code.get(t.code, ())) for t in period.tracks
            )
            period.skip_dates = self.skip_dates
            period.schedule_sequence += 1

    def __init__(
        self,
        cause: Cause,
        code: str,
        name: str,
        start_date: date,
        end_date: date,
        timezone: str,
        location: str | None,
        currency: str,
        tracks: tuple[Track, ...],
        skip_dates: tuple[date, ...] = (),
    ) -> None:
        self.code = code
        self.name = name
        self.start_date = start_date
        self.end_date = end_date
        self.timezone = timezone
        self.location = location
        self.currency = currency
        self.tracks = tracks
        self.skip_dates = skip_dates
        self.schedule_sequence = 0  # how often the classes changed: the calendar's SEQUENCE

    @classmethod
    def schedule(cls, plan: PeriodPlan, cause: Cause) -> Period:
        plan = plan.checked()
        return cls._create(cls.Scheduled, id=uuid4(), cause=cause, **vars(plan))

    def change_schedule(
        self,
        schedules: Mapping[str, Iterable[ClassSlot]],
        skip_dates: Iterable[date],
        cause: Cause,
    ) -> None:
        """Replaces every track's classes (a track not named has none) and the skipped dates."""
        for code in schedules:
            self.track(code)  # UnknownTrack
        checked = tuple(
            (t.code, checked_slots(t.code, schedules.get(t.code, ()))) for t in self.tracks
        )
        skip = checked_skip_dates(skip_dates, self.start_date, self.end_date)
        self.trigger_event(self.ScheduleChanged, schedules=checked, skip_dates=skip, cause=cause)

    @property
    def has_schedule(self) -> bool:
        return any(track.schedule for track in self.tracks)

    def classes(self, track: Track) -> list[ClassTime]:
        """The track's classes from the period's first day to its last, in order."""
        return list(
            class_times(
                track.schedule, self.start_date, self.end_date, self.skip_dates, self.timezone
            )
        )

    def next_class(
        self, track_codes: Iterable[str], now: datetime
    ) -> tuple[Track, ClassTime] | None:
        """The first class of these tracks that has not ended at ``now``."""
        upcoming = [
            (held.starts_at, track.code, track, held)
            for track in (self.track(code) for code in track_codes)
            for held in self.classes(track)
            if held.ends_at > now
        ]
        if not upcoming:
            return None
        _, _, track, held = min(upcoming, key=lambda item: (item[0], item[1]))
        return track, held

    def track(self, code: str) -> Track:
        for track in self.tracks:
            if track.code == code:
                return track
        raise UnknownTrack(f"period {self.code} has no track {code!r}")

    def ends_at(self) -> datetime:
        """The end of the period's last day in its own timezone: when its tickets expire."""
        local_end = datetime.combine(
            self.end_date + timedelta(days=1), time(), ZoneInfo(self.timezone)
        )
        return local_end.astimezone(UTC)

    def track_names(self, codes: Iterable[str]) -> TrackNames:
        """The (code, name) of each of these track codes, in their order."""
        return named_tracks(((track.code, track.name) for track in self.tracks), codes)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of ``moment`` in the period's timezone (one check-in per day)."""
        return local_date(moment, self.timezone)


@functools.cache
def _iana_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_period(plan: PeriodPlan) -> None:
    code, name, location, tracks = plan.code, plan.name, plan.location, plan.tracks
    start_date, end_date, timezone, currency = (
        plan.start_date,
        plan.end_date,
        plan.timezone,
        plan.currency,
    )
    if not code.strip():
        raise InvalidPeriod("code must not be empty")
    if not name.strip():
        raise InvalidPeriod("name must not be empty")
    texts = [("code", code), ("name", name), ("location", location or "")]
    texts += [(f"track {t.code!r}", f"{t.code}{t.name}") for t in tracks]
    for field, text in texts:
        if (char := unprintable(text)) is not None:
            raise InvalidPeriod(f"{field} must not contain control characters ({char})")
    for field, day in (("startDate", start_date), ("endDate", end_date)):
        if not FIRST_DATE <= day <= LAST_DATE:
            raise InvalidPeriod(f"{field} must lie between {FIRST_DATE} and {LAST_DATE}")
    if end_date < start_date:
        raise InvalidPeriod("endDate must not be before startDate")
    if timezone not in _iana_timezones():
        raise InvalidPeriod(f"unknown timezone {timezone!r}: an IANA name such as Europe/Oslo")
    if len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
        raise InvalidPeriod("currency must be a three-letter ISO 4217 code")
    if not tracks:
        raise InvalidPeriod("a period needs at least one track")
    codes = [track.code for track in tracks]
    if len(set(codes)) != len(codes):
        raise InvalidPeriod("track codes must be unique within a period")
    for track in tracks:
        if not track.code.strip() or not track.name.strip():
            raise InvalidPeriod("every track needs a code and a name")
        if track.price_cents < 0:
            raise InvalidPeriod(f"track {track.code} has a negative price")


class PeriodCode(Aggregate):
    """Index aggregate: makes a period code unique, and finds the period by its code."""

    TOPIC = "tickets:PeriodCode"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:PeriodCode.Created"

    class Claimed(Created):
        TOPIC = "tickets:PeriodCode.Claimed"
        period_id: UUID

    def __init__(self, cause: Cause, period_id: UUID) -> None:
        self.period_id = period_id

    @staticmethod
    def id_for(code: str) -> UUID:
        return stable_id("period-code", code)

    @classmethod
    def claim(cls, code: str, period_id: UUID, cause: Cause) -> PeriodCode:
        return cls._create(cls.Claimed, id=cls.id_for(code), cause=cause, period_id=period_id)
