"""Serving a ticket with its QR token, derived, never stored: to its person, an admin or a link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.alerts.alerts import Alerts
from application.clock import Clock
from application.errors import PROFILE_REQUIRED, TICKET_NOT_FOUND
from application.periods.scheduling import Periods
from application.store import TicketStore
from application.tickets.ports import TicketLinks
from application.tickets.token_repair import TokenRepair
from application.tickets.tokens import TokenIssuer
from domain.period import Period, Track
from domain.person import Person
from domain.schedule import ClassTime
from domain.ticket import PendingTickets, Ticket, TicketStatus


@dataclass(frozen=True)
class NextClass:
    """The first class of a ticket's tracks that is not over yet."""

    track: Track
    held: ClassTime


@dataclass(frozen=True)
class ServedTicket:
    """An active ticket as served: ``token`` is the current one and scans (its hash matches)."""

    ticket: Ticket
    period: Period
    person: Person
    token: str
    view_url: str | None = None  # signed links, when the desk has TicketLinks
    pdf_url: str | None = None
    served_at: datetime | None = None  # the desk's clock when served

    @property
    def next_class(self) -> NextClass | None:
        """The first class of its tracks not yet over: worked out only where it is shown (the
        JSON ticket), not for every PDF, page and email served."""
        if self.served_at is None:
            return None
        upcoming = self.period.next_class(self.ticket.track_codes(), self.served_at)
        return NextClass(*upcoming) if upcoming else None

    @property
    def token_version(self) -> int:
        assert self.ticket.token is not None  # served tickets always have one
        return self.ticket.token.version


class TicketDesk:
    """Every route that shows a ticket (JSON, PDF, web view, email) serves it through here."""

    def __init__(
        self,
        store: TicketStore,
        periods: Periods,
        tokens: TokenIssuer,
        alerts: Alerts,
        clock: Clock,
        links: TicketLinks | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._periods = periods
        self._tokens = tokens
        self._links = links
        # A token that no longer scans is repaired before it is served (a write in a read).
        self._token_repair = TokenRepair(store, tokens, alerts)

    def for_user(self, user_id: str, period_code: str) -> ServedTicket:
        """The caller's ticket of a period."""
        with self._store.one_connection():  # its reads: one pool checkout
            return self._for_user(user_id, period_code)

    def _for_user(self, user_id: str, period_code: str) -> ServedTicket:
        period = self._periods.by_code_cached(period_code)
        person_id = Person.id_for_user(user_id)
        ticket = self._store.find(Ticket, Ticket.id_for(period.id, person_id))
        person = self._store.find(Person, person_id)
        if ticket is None or ticket.status is not TicketStatus.ACTIVE or person is None:
            pending = self._store.find(PendingTickets, PendingTickets.id_for(person_id))
            if person is None and pending is not None and pending.waits_in(period.id):
                raise PROFILE_REQUIRED(
                    "your registration is paid: create your profile (PUT /api/me/profile) "
                    "and your ticket is issued"
                )
            raise TICKET_NOT_FOUND(f"you have no ticket for {period.code}")
        return self._serve(ticket, period, person)

    def for_holder(self, ticket_id: UUID, *, user_id: str, is_admin: bool) -> ServedTicket:
        """A ticket by id, for its person or an admin."""
        with self._store.one_connection():
            return self._served(self.holder_ticket(ticket_id, user_id=user_id, is_admin=is_admin))

    def holder_ticket(self, ticket_id: UUID, *, user_id: str, is_admin: bool) -> Ticket:
        """The active ticket, if the caller is its person or an admin.

        Anyone else gets the same NotFound as for a ticket that does not exist: whether another
        person's ticket exists is not theirs to learn.
        """
        person_id = Person.id_for_user(user_id)
        return self._active(ticket_id, lambda ticket: is_admin or ticket.person_id == person_id)

    def for_view_key(self, ticket_id: UUID, key: str) -> ServedTicket:
        """A ticket for the holder of its signed link; a wrong or outdated key is NotFound."""
        links = self._links
        if links is None:
            raise TICKET_NOT_FOUND("no such ticket")
        with self._store.one_connection():
            ticket = self._active(
                ticket_id,
                lambda t: t.token is not None and links.check_view_key(t.id, t.token.version, key),
            )
            return self._served(ticket)

    def served(self, ticket: Ticket, person: Person) -> ServedTicket:
        """An active ticket and its person as the caller has just read them (the worker)."""
        return self._serve(ticket, self._periods.cached(ticket.period_id), person)

    def _served(self, ticket: Ticket) -> ServedTicket:
        # The ticket as the caller's check read it: read again, it would cost a second replay.
        return self.served(ticket, self._store.get(Person, ticket.person_id))

    def _active(self, ticket_id: UUID, may_see: Callable[[Ticket], bool]) -> Ticket:
        ticket = self._store.find(Ticket, ticket_id)
        if ticket is None or ticket.status is not TicketStatus.ACTIVE or not may_see(ticket):
            raise TICKET_NOT_FOUND("no such ticket")
        return ticket

    def _serve(self, ticket: Ticket, period: Period, person: Person) -> ServedTicket:
        ticket, token = self._current_token(ticket, period)
        assert ticket.token is not None
        version = ticket.token.version
        return ServedTicket(
            ticket,
            period,
            person,
            token,
            view_url=self._links.view_url(ticket.id, version) if self._links else None,
            pdf_url=self._links.pdf_url(ticket.id, version) if self._links else None,
            served_at=self._clock.now(),
        )

    def _current_token(self, ticket: Ticket, period: Period) -> tuple[Ticket, str]:
        """The ticket as it is now (its token repaired, maybe) and its current token, which
        scans."""
        token = self._tokens.current(ticket)
        if token is not None:
            return ticket, token
        return self._token_repair.repair(ticket.id, period)
