"""Admins' attendance routes: who checked in on a class day, and the whole period as CSV."""

from __future__ import annotations

import re

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from application.door.attendance import Attendance
from application.errors import (
    PERIOD_NOT_FOUND,
)
from entrypoints.http.deps import Admin
from entrypoints.http.door.schemas import AttendanceOut
from entrypoints.http.openapi import (
    BEARER,
    ROLE_PROBLEMS,
    STORE_PROBLEMS,
    VALIDATION_FAILED,
    problems,
)
from entrypoints.http.params import DateQuery, PeriodCodePath


class AttendanceController(Controller):
    path = "/api/admin/periods"
    tags = ["admin"]

    @get(
        "/{periodCode:str}/attendance",
        sync_to_thread=True,
        operation_id="getAttendance",
        security=BEARER,
        summary="Who checked in on a class day, and with a schedule who was absent (admin)",
        responses=problems(*ROLE_PROBLEMS, PERIOD_NOT_FOUND, VALIDATION_FAILED, *STORE_PROBLEMS),
    )
    def day(
        self,
        attendance: NamedDependency[Attendance],
        admin: Admin,
        period_code: PeriodCodePath,
        day: DateQuery = None,
    ) -> AttendanceOut:
        """Kept by the worker from the check-ins: it may lag a scan by a moment."""
        return AttendanceOut.of(attendance.day(period_code, day))

    @get(
        "/{periodCode:str}/attendance.csv",
        sync_to_thread=True,
        operation_id="downloadAttendanceCsv",
        security=BEARER,
        media_type="text/csv",
        summary="The whole period's attendance as CSV (admin)",
        responses=problems(*ROLE_PROBLEMS, PERIOD_NOT_FOUND, *STORE_PROBLEMS),
    )
    def csv(
        self, attendance: NamedDependency[Attendance], admin: Admin, period_code: PeriodCodePath
    ) -> Response[str]:
        """A row per person, a column per class day holding the time they came (local)."""
        body = attendance.csv(period_code)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", period_code)
        return Response(
            body,
            media_type="text/csv",  # Litestar adds `; charset=utf-8` to a text/ type itself
            headers={
                "Content-Disposition": f'attachment; filename="attendance-{safe}.csv"',
                "Cache-Control": "no-store",
            },
        )
