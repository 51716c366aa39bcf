"""Serving a ticket: the caller's ticket of a period with its QR token, derived, never stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from application.alerts import Alerts, new_alert
from application.errors import Conflict, NotFound
from application.periods import Periods
from application.store import TicketStore, retry_on_conflict
from application.tokens import TokenIssuer
from domain.alert import AlertKind, Severity
from domain.period import Period
from domain.person import Person
from domain.shared import SYSTEM
from domain.ticket import PendingTickets, Ticket, TicketStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedTicket:
    ticket: Ticket
    period: Period
    person: Person
    token: str


class TicketDesk:
    def __init__(
        self, store: TicketStore, periods: Periods, tokens: TokenIssuer, alerts: Alerts
    ) -> None:
        self._store = store
        self._periods = periods
        self._tokens = tokens
        self._alerts = alerts

    def for_user(self, user_id: str, period_code: str) -> ServedTicket:
        period = self._periods.by_code(period_code)
        person_id = Person.id_for_user(user_id)
        ticket = self._store.find(Ticket, Ticket.id_for(period.id, person_id))
        person = self._store.find(Person, person_id)
        if ticket is None or ticket.status is not TicketStatus.ACTIVE or person is None:
            pending = self._store.find(PendingTickets, PendingTickets.id_for(person_id))
            if person is None and pending is not None and pending.waits_in(period.id):
                raise Conflict(
                    "your registration is paid: create your profile (PUT /api/me/profile) "
                    "and your ticket is issued",
                    "profile_required",
                )
            raise NotFound(f"you have no ticket for {period.code}", "ticket_not_found")
        return ServedTicket(ticket, period, person, self._current_token(ticket, period))

    def _current_token(self, ticket: Ticket, period: Period) -> str:
        token = self._tokens.current(ticket)
        if token is not None:
            return token
        # The recorded hash no longer matches what we derive (the signing secret changed?):
        # serving it would give a QR code that does not scan. Rotate, and tell an admin.
        return retry_on_conflict(lambda: self._rotate_unverifiable(ticket.id, period))

    def _rotate_unverifiable(self, ticket_id: UUID, period: Period) -> str:
        ticket = self._store.get(Ticket, ticket_id)
        token = self._tokens.current(ticket)
        if token is not None:
            return token  # another request rotated it meanwhile
        self._tokens.issue(ticket, period, SYSTEM)
        alert = new_alert(
            AlertKind.TOKEN_MISMATCH,
            f"ticket {ticket.id}: the recorded token hash does not match the derived token "
            "(was the signing secret changed?); the token was rotated",
            subject=str(ticket.id),
            cause=SYSTEM,
            severity=Severity.CRITICAL,
        )
        self._store.save(ticket, alert)
        self._alerts.told([alert])
        token = self._tokens.current(ticket)
        assert token is not None
        return token
