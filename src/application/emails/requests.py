"""Asking for a ticket email again: the resend its holder or an admin asks for."""

from __future__ import annotations

from uuid import UUID

from application.errors import TICKET_NOT_FOUND
from application.store import TicketStore, retry_on_conflict
from domain.person import Person
from domain.shared import Cause
from domain.ticket import NotEmailable, Ticket


class EmailRequests:
    """Asking for a ticket email again (the participant lost it)."""

    def __init__(self, store: TicketStore) -> None:
        self._store = store

    def resend(self, ticket_id: UUID, *, user_id: str, is_admin: bool, cause: Cause) -> None:
        """Records the request; the worker sends the email with the token current by then."""

        def command() -> None:
            ticket = self._store.find(Ticket, ticket_id)
            mine = ticket is not None and ticket.person_id == Person.id_for_user(user_id)
            if ticket is None or not (mine or is_admin):
                raise TICKET_NOT_FOUND(f"no ticket {ticket_id}")
            try:
                ticket.request_email_resend(cause)
            except NotEmailable:
                raise TICKET_NOT_FOUND(f"ticket {ticket_id} is not active") from None
            self._store.save(ticket)

        retry_on_conflict(command)
