"""Admins' routes: people and periods, a ticket's token (rotate, revoke), attendance."""

from __future__ import annotations

import re

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.attendance import Attendance
from application.errors import (
    FORBIDDEN,
    PERIOD_EXISTS,
    PERIOD_NOT_FOUND,
    PERSON_EXISTS,
    TICKET_NOT_FOUND,
    TICKET_REVOKED,
    TICKET_WITHOUT_TOKEN,
)
from application.people import People
from application.periods import Periods
from application.ticket_admin import TicketAdmin
from domain.period import Track
from entrypoints.http.deps import Admin, Caused
from entrypoints.http.openapi import (
    BEARER,
    BODY_PROBLEMS,
    INVALID_PERIOD,
    INVALID_PROFILE,
    NOT_FOUND,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    UNKNOWN_TRACK,
    VALIDATION_FAILED,
    problems,
)
from entrypoints.http.params import DateQuery, PeriodCodePath, TicketIdPath
from entrypoints.http.schemas import (
    AdminTicketOut,
    AttendanceOut,
    AttendeeOut,
    PeriodIn,
    PeriodOut,
    PersonIn,
    ProfileOut,
    RevokeIn,
    RotateIn,
)


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]

    @post(
        "/people",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createPerson",
        security=BEARER,
        summary="Add a person without an account, e.g. a partner (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            PERSON_EXISTS,
            INVALID_PROFILE,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def add_person(
        self, people: NamedDependency[People], admin: Admin, cause: Caused, data: JSONBody[PersonIn]
    ) -> ProfileOut:
        person = people.add_partner(
            name=data.name, email=data.email, user_id=data.user_id, cause=cause
        )
        return ProfileOut.of(person)

    @post(
        "/periods",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createPeriod",
        security=BEARER,
        summary="Schedule a course period with its tracks and prices (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            PERIOD_EXISTS,
            INVALID_PERIOD,
            UNKNOWN_TRACK,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def schedule_period(
        self,
        periods: NamedDependency[Periods],
        admin: Admin,
        cause: Caused,
        data: JSONBody[PeriodIn],
    ) -> PeriodOut:
        period = periods.schedule(
            code=data.code,
            name=data.name,
            start_date=data.start_date,
            end_date=data.end_date,
            timezone=data.timezone,
            location=data.location,
            currency=data.currency,
            tracks=tuple(Track(t.code, t.name, t.price_cents) for t in data.tracks),
            cause=cause,
        )
        return PeriodOut.of(period)


class TicketAdminController(Controller):
    path = "/api/admin/tickets"
    tags = ["admin"]

    @post(
        "/{ticketId:uuid}/rotate",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="rotateTicketToken",
        security=BEARER,
        summary="Issue a new QR token version (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            TICKET_NOT_FOUND,
            NOT_FOUND,
            TICKET_REVOKED,
            TICKET_WITHOUT_TOKEN,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def rotate(
        self,
        ticket_admin: NamedDependency[TicketAdmin],
        admin: Admin,
        cause: Caused,
        ticket_id: TicketIdPath,
        data: JSONBody[RotateIn | None] = None,
    ) -> AdminTicketOut:
        """A new token version (emailed to the holder); every older token answers superseded."""
        reason = data.reason.strip() if data is not None and data.reason else None
        return AdminTicketOut.of(ticket_admin.rotate(ticket_id, reason=reason, cause=cause))

    @post(
        "/{ticketId:uuid}/revoke",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="revokeTicket",
        security=BEARER,
        summary="Revoke a ticket (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            TICKET_NOT_FOUND,
            NOT_FOUND,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def revoke(
        self,
        ticket_admin: NamedDependency[TicketAdmin],
        admin: Admin,
        cause: Caused,
        ticket_id: TicketIdPath,
        data: JSONBody[RevokeIn],
    ) -> AdminTicketOut:
        """Scans answer revoked from now on; revoking again changes nothing."""
        return AdminTicketOut.of(ticket_admin.revoke(ticket_id, reason=data.reason, cause=cause))


class AttendanceController(Controller):
    path = "/api/admin/periods"
    tags = ["admin"]

    @get(
        "/{periodCode:str}/attendance",
        sync_to_thread=True,
        operation_id="getAttendance",
        security=BEARER,
        summary="Who checked in on a class day (admin)",
        responses=problems(
            UNAUTHENTICATED, FORBIDDEN, PERIOD_NOT_FOUND, VALIDATION_FAILED, *STORE_PROBLEMS
        ),
    )
    def day(
        self,
        attendance: NamedDependency[Attendance],
        admin: Admin,
        period_code: PeriodCodePath,
        day: DateQuery = None,
    ) -> AttendanceOut:
        """Kept by the worker from the check-ins: it may lag a scan by a moment."""
        found = attendance.day(period_code, day)
        return AttendanceOut(
            date=found.date,
            total=found.total,
            by_track=found.by_track,
            persons=[
                AttendeeOut(
                    person_id=a.person_id,
                    name=a.name,
                    tracks=[code for code, _ in a.tracks],
                    checked_in_at=a.checked_in_at,
                    device_id=a.device_id,
                    manual=a.manual,
                )
                for a in found.persons
            ],
        )

    @get(
        "/{periodCode:str}/attendance.csv",
        sync_to_thread=True,
        operation_id="downloadAttendanceCsv",
        security=BEARER,
        media_type="text/csv",
        summary="The whole period's attendance as CSV (admin)",
        responses=problems(UNAUTHENTICATED, FORBIDDEN, PERIOD_NOT_FOUND, *STORE_PROBLEMS),
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
