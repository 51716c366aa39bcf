"""Use cases of course periods: schedule one, find one by its code."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import IntegrityError

from application.errors import Conflict, NotFound
from application.store import TicketStore
from domain.period import Period, PeriodCode, Track
from domain.shared import Cause


class Periods:
    def __init__(self, store: TicketStore) -> None:
        self._store = store

    def schedule(
        self,
        *,
        code: str,
        name: str,
        start_date: date,
        end_date: date,
        timezone: str,
        location: str | None,
        currency: str,
        tracks: tuple[Track, ...],
        cause: Cause,
    ) -> Period:
        period = Period.schedule(
            code=code.strip(),
            name=name.strip(),
            start_date=start_date,
            end_date=end_date,
            timezone=timezone,
            location=location,
            currency=currency,
            tracks=tracks,
            cause=cause,
        )
        try:
            self._store.save(period, PeriodCode.claim(period.code, period.id, cause))
        except IntegrityError:
            raise Conflict(f"period code {period.code!r} is taken", "period_exists") from None
        return period

    def by_code(self, code: str) -> Period:
        index = self._store.find(PeriodCode, PeriodCode.id_for(code))
        period = self._store.find(Period, index.period_id) if index else None
        if period is None:
            raise NotFound(f"no period with code {code!r}", "period_not_found")
        return period
