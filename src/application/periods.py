"""Use cases of course periods: schedule one, find one by its code."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.errors import Conflict, NotFound
from application.store import TicketStore
from domain.period import Period, PeriodCode, Track
from domain.shared import Cause

# Period codes kept in memory, as many as a school could run; past it the cache starts again.
KNOWN_CODES = 4096


class Periods:
    def __init__(self, store: TicketStore) -> None:
        self._store = store
        # A code is claimed once and never released or moved (PeriodCode has one event), so its
        # period id is read from the store once per process. The period itself is always loaded.
        self._period_ids: dict[str, UUID] = {}

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
        period_id = self._period_ids.get(code)
        if period_id is None:
            index = self._store.find(PeriodCode, PeriodCode.id_for(code))
            if index is not None:
                if len(self._period_ids) >= KNOWN_CODES:
                    self._period_ids.clear()
                period_id = self._period_ids[code] = index.period_id
        period = self._store.find(Period, period_id) if period_id else None
        if period is None:
            raise NotFound(f"no period with code {code!r}", "period_not_found")
        return period
