"""Issuing a person's ticket for a period, or extending it with newly paid registrations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from application.store import TicketStore
from application.tickets.tokens import TokenIssuer
from domain.order import Order, RegistrationStatus
from domain.period import Period
from domain.shared import Cause
from domain.ticket import CoveredRegistration, Ticket


class Coverage(StrEnum):
    ISSUED = "issued"
    EXTENDED = "extended"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Covered:
    ticket: Ticket
    coverage: Coverage


class TicketIssuing:
    def __init__(self, store: TicketStore, tokens: TokenIssuer) -> None:
        self._store = store
        self._tokens = tokens

    def cover(
        self,
        order: Order,
        period: Period,
        person_id: UUID,
        cause: Cause,
        unsaved: dict[UUID, Ticket] | None = None,
    ) -> Covered | None:
        """Gets or creates the person's ticket and covers their active registrations of the order.

        The ticket id is derived from (period, person): two racing writers both create version 1
        and one of them conflicts, so a person never gets two tickets for one period. ``unsaved``
        holds tickets this same command already changed (several orders, one save). None when
        there is nothing to cover: no ticket is issued without an active registration.
        """
        registrations = tuple(
            CoveredRegistration(r.registration_id, order.id, r.track_code)
            for r in order.registrations_of(person_id)
            if order.registration_status[r.registration_id] is RegistrationStatus.ACTIVE
        )
        ticket_id = Ticket.id_for(period.id, person_id)
        ticket = (unsaved or {}).get(ticket_id) or self._store.find(Ticket, ticket_id)
        if ticket is None and not registrations:
            return None
        if ticket is None:
            ticket = Ticket.issue(
                period_id=period.id, person_id=person_id, registrations=registrations, cause=cause
            )
            self._tokens.issue(ticket, period, cause)
            return Covered(ticket, Coverage.ISSUED)
        added = ticket.add_registrations(registrations, cause)
        return Covered(ticket, Coverage.EXTENDED if added else Coverage.UNCHANGED)
