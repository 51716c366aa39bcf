"""Repairing a ticket token that no longer scans: rotated, and an admin alerted, once."""

from __future__ import annotations

from uuid import UUID

from application.alerts.alerts import Alerts, new_alert
from application.store import TicketStore, retry_on_conflict
from application.tickets.tokens import TokenIssuer
from domain.alert import AlertKind, Severity
from domain.period import Period
from domain.shared import SYSTEM
from domain.ticket import Ticket


class TokenRepair:
    """The one write a read of a ticket may make: when the recorded token hash no longer
    matches the token derived from it (the signing secret changed?), serving it would give a
    QR code that does not scan, so the read calls ``repair`` first.
    """

    def __init__(self, store: TicketStore, tokens: TokenIssuer, alerts: Alerts) -> None:
        self._store = store
        self._tokens = tokens
        self._alerts = alerts

    def repair(self, ticket_id: UUID, period: Period) -> tuple[Ticket, str]:
        """Rotates the ticket's unverifiable token and raises a critical ``token_mismatch``
        alert in the same save; returns the ticket as saved and its new token. A token that
        scans by now (another request repaired it meanwhile) is returned as it is."""
        return retry_on_conflict(lambda: self._repair(ticket_id, period))

    def _repair(self, ticket_id: UUID, period: Period) -> tuple[Ticket, str]:
        ticket = self._store.get(Ticket, ticket_id)
        token = self._tokens.current(ticket)
        if token is not None:
            return ticket, token  # another request rotated it meanwhile
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
        self._alerts.announce([alert])
        token = self._tokens.current(ticket)
        assert token is not None
        return ticket, token
