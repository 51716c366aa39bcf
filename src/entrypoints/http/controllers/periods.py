"""A period with its tracks and prices, for anyone."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from application.errors import PERIOD_NOT_FOUND
from application.periods import Periods
from entrypoints.http.openapi import STORE_PROBLEMS, problems
from entrypoints.http.params import PeriodCodePath
from entrypoints.http.schemas import PeriodOut


class PeriodController(Controller):
    path = "/api/periods"
    tags = ["periods"]

    @get(
        "/{periodCode:str}",
        sync_to_thread=True,
        operation_id="getPeriod",
        summary="A period with its tracks and prices",
        responses=problems(PERIOD_NOT_FOUND, *STORE_PROBLEMS),
    )
    def get_period(
        self, periods: NamedDependency[Periods], period_code: PeriodCodePath
    ) -> PeriodOut:
        return PeriodOut.of(periods.by_code(period_code))
