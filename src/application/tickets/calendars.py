"""A ticket's classes as a calendar file: for its person or an admin, or the signed link."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from application.errors import SCHEDULE_NOT_FOUND
from application.tickets.desk import ServedTicket, TicketDesk


class CalendarWriter(Protocol):
    def calendar(self, served: ServedTicket) -> bytes:
        """The ticket's classes as an iCalendar file (text/calendar)."""
        ...


class TicketCalendars:
    def __init__(self, desk: TicketDesk, writer: CalendarWriter) -> None:
        self._desk = desk
        self._writer = writer

    def for_holder(self, ticket_id: UUID, *, user_id: str, is_admin: bool) -> bytes:
        """The ticket's person or an admin; anyone else: NotFound ``ticket_not_found``."""
        return self._of(self._desk.for_holder(ticket_id, user_id=user_id, is_admin=is_admin))

    def for_view_key(self, ticket_id: UUID, key: str) -> bytes:
        """The holder of the ticket's signed link (a phone subscribing to the calendar)."""
        return self._of(self._desk.for_view_key(ticket_id, key))

    def _of(self, served: ServedTicket) -> bytes:
        if not served.period.has_schedule:
            raise SCHEDULE_NOT_FOUND(f"the period {served.period.code} has no weekly classes")
        return self._writer.calendar(served)
