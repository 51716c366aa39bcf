"""Bodies of the period routes."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated
from uuid import UUID

import msgspec

from domain.period import InvalidPeriod, Period, PeriodPlan, Track
from domain.schedule import ClassSlot, InvalidSchedule, Weekday
from entrypoints.http import fields
from entrypoints.http.schemas import (
    Camel,
    Cents,
    Code,
    Currency,
    Out,
    Text,
)

# "19:00": a local time in the period's timezone, to the minute.
LocalTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Room = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class ClassSlotIn(Camel):
    """A weekly class: its weekday, its local start and end times, and its room."""

    weekday: Weekday
    start_time: LocalTime
    end_time: LocalTime
    room: Room | None = None

    def __post_init__(self) -> None:
        with fields.refused_as(InvalidSchedule):
            fields.one_line("room", self.room)

    def slot(self) -> ClassSlot:
        start, end = time.fromisoformat(self.start_time), time.fromisoformat(self.end_time)
        return ClassSlot(self.weekday, start, end, self.room)


class ClassSlotOut(Out):
    weekday: Weekday
    start_time: str
    end_time: str
    room: str | None

    @classmethod
    def of(cls, slot: ClassSlot) -> ClassSlotOut:
        start, end = slot.start_time.strftime("%H:%M"), slot.end_time.strftime("%H:%M")
        return cls(slot.weekday, start, end, slot.room)


Schedule = Annotated[list[ClassSlotIn], msgspec.Meta(max_length=14)]
SkipDates = Annotated[list[date], msgspec.Meta(max_length=366)]


class TrackIn(Camel):
    code: Code
    name: Text
    price_cents: Cents
    schedule: Schedule = []

    def __post_init__(self) -> None:
        with fields.refused_as(InvalidPeriod):
            fields.one_line("track code", self.code)
            fields.one_line("track name", self.name)


class PeriodIn(Camel):
    code: Code
    name: Text
    start_date: date
    end_date: date
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    currency: Currency
    tracks: Annotated[list[TrackIn], msgspec.Meta(max_length=100)]
    location: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    skip_dates: SkipDates = []

    def __post_init__(self) -> None:
        # Everything accepted here must be payable, issuable, printable and emailable: a
        # period ending 9999-12-31 once made every payment for it fail on its tickets' expiry.
        with fields.refused_as(InvalidPeriod):
            fields.one_line("code", self.code)
            fields.one_line("name", self.name)
            fields.one_line("location", self.location)
            fields.one_line("timezone", self.timezone)
            fields.period_date("startDate", self.start_date)
            fields.period_date("endDate", self.end_date)
            self.currency = fields.currency_code("currency", self.currency)

    def plan(self) -> PeriodPlan:
        tracks = tuple(
            Track(t.code, t.name, t.price_cents, tuple(c.slot() for c in t.schedule))
            for t in self.tracks
        )
        return PeriodPlan(
            code=self.code,
            name=self.name,
            currency=self.currency,
            tracks=tracks,
            start_date=self.start_date,
            end_date=self.end_date,
            timezone=self.timezone,
            location=self.location,
            skip_dates=tuple(self.skip_dates),
        )


class PeriodTrackOut(Out):
    """A track of a period, with its price."""

    code: str
    name: str
    price_cents: int
    schedule: list[ClassSlotOut]

    @classmethod
    def of(cls, track: Track) -> PeriodTrackOut:
        slots = [ClassSlotOut.of(slot) for slot in track.schedule]
        return cls(track.code, track.name, track.price_cents, slots)


class PeriodOut(Out):
    period_id: UUID
    code: str
    name: str
    start_date: date
    end_date: date
    timezone: str
    location: str | None
    currency: str
    tracks: list[PeriodTrackOut]
    skip_dates: list[date]

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(
            period_id=period.id,
            code=period.code,
            name=period.name,
            start_date=period.start_date,
            end_date=period.end_date,
            timezone=period.timezone,
            location=period.location,
            currency=period.currency,
            tracks=[
                PeriodTrackOut(
                    t.code, t.name, t.price_cents, [ClassSlotOut.of(c) for c in t.schedule]
                )
                for t in period.tracks
            ],
            skip_dates=list(period.skip_dates),
        )


class TrackScheduleIn(Camel):
    code: Code
    schedule: Schedule


class ScheduleIn(Camel):
    """Every track's weekly classes (a track not listed has none) and the days without any."""

    tracks: Annotated[list[TrackScheduleIn], msgspec.Meta(max_length=100)]
    skip_dates: SkipDates = []

    def schedules(self) -> dict[str, tuple[ClassSlot, ...]]:
        return {t.code: tuple(c.slot() for c in t.schedule) for t in self.tracks}
