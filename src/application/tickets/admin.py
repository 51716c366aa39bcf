"""Admins' hold on a ticket's token: rotate it (older tokens answer superseded) or revoke it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from application.errors import TICKET_NOT_FOUND, TICKET_REVOKED, TICKET_WITHOUT_TOKEN
from application.store import TicketStore, retry_on_conflict
from application.tickets.tokens import TokenIssuer
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import Ticket, TicketRevoked, TokenVersionConflict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ManagedTicket:
    """A ticket as an admin sees it: its state, never its token."""

    ticket: Ticket
    period: Period
    person: Person | None


class TicketAdmin:
    def __init__(self, store: TicketStore, tokens: TokenIssuer) -> None:
        self._store = store
        self._tokens = tokens

    def rotate(self, ticket_id: UUID, *, reason: str | None, cause: Cause) -> ManagedTicket:
        """Issues the next token version; the email worker sends it, older ones are superseded."""

        def command() -> ManagedTicket:
            ticket = self._ticket(ticket_id)
            period = self._store.get(Period, ticket.period_id)
            try:
                ticket.rotate_token(reason=reason, cause=cause)
            except TicketRevoked:
                raise TICKET_REVOKED(
                    f"ticket {ticket_id} is revoked: its token cannot be rotated"
                ) from None
            except TokenVersionConflict:
                raise TICKET_WITHOUT_TOKEN(f"ticket {ticket_id} has no token yet") from None
            self._tokens.issue(ticket, period, cause)
            self._store.save(ticket)
            return self._managed(ticket, period)

        managed = retry_on_conflict(command)
        token = managed.ticket.token
        log.info(
            "ticket token rotated",
            extra={
                "step": "token rotated",
                "ticket_id": str(ticket_id),
                "token_version": token.version if token else None,
                "actor": cause.actor,
            },
        )
        return managed

    def revoke(self, ticket_id: UUID, *, reason: str, cause: Cause) -> ManagedTicket:
        """Revokes the ticket: every scan answers ``revoked``. Revoking again records nothing."""

        def command() -> tuple[ManagedTicket, bool]:
            ticket = self._ticket(ticket_id)
            revoked = ticket.revoke(reason=reason.strip(), cause=cause)
            if revoked:
                self._store.save(ticket)
            return self._managed(ticket, self._store.get(Period, ticket.period_id)), revoked

        managed, revoked = retry_on_conflict(command)
        if revoked:
            log.info(
                "ticket revoked",
                extra={"step": "ticket revoked", "ticket_id": str(ticket_id), "actor": cause.actor},
            )
        return managed

    def _ticket(self, ticket_id: UUID) -> Ticket:
        ticket = self._store.find(Ticket, ticket_id)
        if ticket is None:
            raise TICKET_NOT_FOUND(f"no ticket {ticket_id}")
        return ticket

    def _managed(self, ticket: Ticket, period: Period) -> ManagedTicket:
        return ManagedTicket(ticket, period, self._store.find(Person, ticket.person_id))
