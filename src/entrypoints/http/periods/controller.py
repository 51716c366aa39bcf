"""A period with its tracks, prices and classes, for anyone; scheduling it, for admins."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.errors import (
    PERIOD_EXISTS,
    PERIOD_NOT_FOUND,
)
from application.periods.scheduling import Periods
from entrypoints.http.deps import Admin, Caused
from entrypoints.http.openapi import (
    BEARER,
    INVALID_PERIOD,
    INVALID_SCHEDULE,
    ROLE_PROBLEMS,
    STORE_PROBLEMS,
    UNKNOWN_TRACK,
    WRITE_PROBLEMS,
    problems,
)
from entrypoints.http.params import PeriodCodePath
from entrypoints.http.periods.schemas import PeriodIn, PeriodOut, ScheduleIn


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


class PeriodAdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]

    @post(
        "/periods",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createPeriod",
        security=BEARER,
        summary="Schedule a course period with its tracks and prices (admin)",
        responses=problems(
            *ROLE_PROBLEMS,
            PERIOD_EXISTS,
            INVALID_PERIOD,
            INVALID_SCHEDULE,
            UNKNOWN_TRACK,
            *WRITE_PROBLEMS,
        ),
    )
    def schedule_period(
        self,
        periods: NamedDependency[Periods],
        admin: Admin,
        cause: Caused,
        data: JSONBody[PeriodIn],
    ) -> PeriodOut:
        period = periods.schedule(data.plan(), cause)
        return PeriodOut.of(period)

    @put(
        "/periods/{periodCode:str}/schedule",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="putPeriodSchedule",
        security=BEARER,
        summary="Replace the weekly classes of a period's tracks and its skipped dates (admin)",
        description="A track not listed has no classes afterwards. Recorded as an event: the "
        "audit history shows who changed a class time and when; calendars follow (SEQUENCE).",
        responses=problems(
            *ROLE_PROBLEMS, PERIOD_NOT_FOUND, INVALID_SCHEDULE, UNKNOWN_TRACK, *WRITE_PROBLEMS
        ),
    )
    def put_schedule(
        self,
        periods: NamedDependency[Periods],
        admin: Admin,
        cause: Caused,
        period_code: PeriodCodePath,
        data: JSONBody[ScheduleIn],
    ) -> PeriodOut:
        changed = periods.change_schedule(period_code, data.schedules(), data.skip_dates, cause)
        return PeriodOut.of(changed)
