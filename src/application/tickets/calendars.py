"""A ticket's classes as a calendar file: for its person or an admin, or the signed link."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from application.errors import SCHEDULE_NOT_FOUND
from application.tickets.documents import TicketDocuments
from application.tickets.ports import TicketDocument


class CalendarWriter(Protocol):
    def calendar(self, document: TicketDocument) -> bytes:
        """The ticket's classes as an iCalendar file (text/calendar)."""
        ...


class TicketCalendars:
    def __init__(self, documents: TicketDocuments, writer: CalendarWriter) -> None:
        self._documents = documents
        self._writer = writer

    def for_holder(self, ticket_id: UUID, *, user_id: str, is_admin: bool) -> bytes:
        """The ticket's person or an admin; anyone else: NotFound ``ticket_not_found``."""
        return self._of(self._documents.for_holder(ticket_id, user_id=user_id, is_admin=is_admin))

    def for_view_key(self, ticket_id: UUID, key: str) -> bytes:
        """The holder of the ticket's signed link (a phone subscribing to the calendar)."""
        return self._of(self._documents.for_view_key(ticket_id, key))

    def _of(self, document: TicketDocument) -> bytes:
        if not document.has_schedule:
            raise SCHEDULE_NOT_FOUND(f"the period {document.period_code} has no weekly classes")
        return self._writer.calendar(document)
