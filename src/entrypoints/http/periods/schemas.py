"""Bodies of the period routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import msgspec

from domain.period import InvalidPeriod, Period, PeriodPlan, Track
from entrypoints.http import fields
from entrypoints.http.schemas import (
    Camel,
    Cents,
    Code,
    Currency,
    Out,
    Text,
)


class TrackIn(Camel):
    code: Code
    name: Text
    price_cents: Cents

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
        tracks = tuple(Track(t.code, t.name, t.price_cents) for t in self.tracks)
        return PeriodPlan(
            code=self.code,
            name=self.name,
            currency=self.currency,
            tracks=tracks,
            start_date=self.start_date,
            end_date=self.end_date,
            timezone=self.timezone,
            location=self.location,
        )


class PeriodTrackOut(Out):
    """A track of a period, with its price."""

    code: str
    name: str
    price_cents: int


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
            tracks=[PeriodTrackOut(t.code, t.name, t.price_cents) for t in period.tracks],
        )
