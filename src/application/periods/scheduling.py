"""Use cases of course periods: schedule one, change its classes, find one by its code."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.errors import PERIOD_EXISTS, PERIOD_NOT_FOUND
from application.store import TicketStore
from domain.period import Period, PeriodCode, PeriodPlan
from domain.schedule import ClassSlot
from domain.shared import Cause

K = TypeVar("K")
V = TypeVar("V")

# Periods cached in memory, as many as a school could run; past it the cache starts again.
CACHED_PERIODS = 4096
# How long a period read by the ticket routes is used before it is read again.
FRESH_SECONDS = 5.0


class Periods:
    def __init__(self, store: TicketStore) -> None:
        self._store = store
        # A period's code never changes: its id, once read, is the truth. Its schedule may
        # (ScheduleChanged): a period read by the ticket routes is kept for a few seconds only,
        # so another process's change shows within them, and this process's at once.
        self._ids: dict[str, UUID] = {}
        self._periods: dict[UUID, tuple[float, Period]] = {}

    def schedule(self, plan: PeriodPlan, cause: Cause) -> Period:
        period = Period.schedule(plan, cause)
        try:
            self._store.save(period, PeriodCode.claim(period.code, period.id, cause))
        except IntegrityError:
            raise PERIOD_EXISTS(f"period code {period.code!r} is taken") from None
        return period

    def change_schedule(
        self,
        code: str,
        schedules: Mapping[str, Iterable[ClassSlot]],
        skip_dates: Iterable[date],
        cause: Cause,
    ) -> Period:
        """Replaces the weekly classes of the period's tracks and its skipped dates."""
        period = self.by_code(code)
        period.change_schedule(schedules, skip_dates, cause)
        self._store.save(period)
        return self._keep(period)

    def by_code(self, code: str) -> Period:
        """The period of a code, read from the store (which must answer)."""
        period_id = self._ids.get(code)
        if period_id is None:
            index = self._store.find(PeriodCode, PeriodCode.id_for(code))
            period_id = self._cache(self._ids, code, index.period_id) if index else None
        period = self._store.find(Period, period_id) if period_id else None
        if period is None:
            raise PERIOD_NOT_FOUND(f"no period with code {code!r}")
        return self._keep(period)

    def cached(self, period_id: UUID) -> Period:
        """A period that a recorded ticket names, from memory after its first read.

        For the routes that read the ticket too: they still fail fast when the store is away.
        """
        return self._fresh(period_id) or self._keep(self._store.get(Period, period_id))

    def by_code_cached(self, code: str) -> Period:
        """``by_code`` from memory once the period was read (see ``cached``)."""
        period_id = self._ids.get(code)
        period = self._fresh(period_id) if period_id else None
        return period if period is not None else self.by_code(code)

    def _fresh(self, period_id: UUID) -> Period | None:
        kept = self._periods.get(period_id)
        if kept is None or time.monotonic() - kept[0] > FRESH_SECONDS:
            return None
        return kept[1]

    def _keep(self, period: Period) -> Period:
        return self._cache(self._periods, period.id, (time.monotonic(), period))[1]

    @staticmethod
    def _cache(memory: dict[K, V], key: K, value: V) -> V:
        if len(memory) >= CACHED_PERIODS:
            memory.clear()
        memory[key] = value
        return value
