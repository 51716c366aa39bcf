"""Use cases of course periods: schedule one, find one by its code."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.errors import Conflict, NotFound
from application.store import TicketStore
from domain.period import Period, PeriodCode, Track
from domain.shared import Cause


class Periods:
    def __init__(self, store: TicketStore) -> None:
        self._store = store
        # A scheduled period never changes (Period and PeriodCode record one event each and
        # have no commands): once found, it is kept, and routes that show a ticket skip two
        # event store reads. An unknown code is not kept: it may be scheduled any moment.
        self._by_code: dict[str, Period] = {}
        self._by_id: dict[UUID, Period] = {}

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
        period = self._by_code.get(code)
        if period is not None:
            return period
        index = self._store.find(PeriodCode, PeriodCode.id_for(code))
        period = self._store.find(Period, index.period_id) if index else None
        if period is None:
            raise NotFound(f"no period with code {code!r}", "period_not_found")
        self._by_code[code] = self._by_id[period.id] = period
        return period

    def get(self, period_id: UUID) -> Period:
        """A period that must exist (a ticket's, an order's)."""
        period = self._by_id.get(period_id)
        if period is None:
            period = self._by_id[period_id] = self._store.get(Period, period_id)
        return period
