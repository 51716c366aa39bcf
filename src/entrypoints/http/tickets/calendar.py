"""A ticket's classes as a calendar file: for its person or an admin, and by its signed link."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from application.errors import SCHEDULE_NOT_FOUND, TICKET_NOT_FOUND
from application.tickets.calendars import TicketCalendars
from entrypoints.http.deps import User
from entrypoints.http.openapi import (
    BEARER,
    NOT_FOUND,
    RATE_LIMITED,
    SIGNED_LINK,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    problems,
)
from entrypoints.http.params import TicketIdPath, ViewKey
from entrypoints.http.rate_limits import rate_limited

CALENDAR = "text/calendar; charset=utf-8"
CALENDAR_DOCS = (
    "One weekly event a class slot of the ticket's tracks (RRULE until the period's last day, "
    "EXDATE for skipped dates, the period's TZID and VTIMEZONE). 404 `schedule_not_found` when "
    "the period has no weekly classes."
)


def calendar_response(calendar: bytes) -> Response[bytes]:
    headers = {
        "Cache-Control": "private, no-cache",
        "Content-Disposition": 'inline; filename="calendar.ics"',
        "X-Content-Type-Options": "nosniff",
    }
    return Response(calendar, media_type=CALENDAR, headers=headers)


class TicketCalendarController(Controller):
    tags = ["tickets"]

    @get(
        "/api/tickets/{ticketId:uuid}/calendar.ics",
        sync_to_thread=True,
        opt=rate_limited("ticket-calendar"),
        media_type=CALENDAR,
        operation_id="getTicketCalendar",
        security=BEARER,
        summary="The ticket's classes as a calendar file (the ticket's person or an admin)",
        description=CALENDAR_DOCS,
        responses=problems(
            UNAUTHENTICATED,
            TICKET_NOT_FOUND,
            SCHEDULE_NOT_FOUND,
            NOT_FOUND,
            RATE_LIMITED,
            *STORE_PROBLEMS,
        ),
    )
    def holder_calendar(
        self,
        calendars: NamedDependency[TicketCalendars],
        user: User,
        ticket_id: TicketIdPath,
    ) -> Response[bytes]:
        calendar = calendars.for_holder(ticket_id, user_id=user.user_id, is_admin=user.is_admin)
        return calendar_response(calendar)

    @get(
        "/tickets/{ticketId:uuid}/calendar.ics",
        sync_to_thread=True,
        opt=rate_limited("ticket-calendar"),
        media_type=CALENDAR,
        operation_id="getTicketCalendarByLink",
        security=SIGNED_LINK,
        summary="The ticket's classes as a calendar file, by the ticket's signed link",
        description=CALENDAR_DOCS + " A phone may subscribe to this address.",
        responses=problems(
            TICKET_NOT_FOUND, SCHEDULE_NOT_FOUND, NOT_FOUND, RATE_LIMITED, *STORE_PROBLEMS
        ),
    )
    def linked_calendar(
        self,
        calendars: NamedDependency[TicketCalendars],
        ticket_id: TicketIdPath,
        key: ViewKey = None,
    ) -> Response[bytes]:
        return calendar_response(calendars.for_view_key(ticket_id, key or ""))
