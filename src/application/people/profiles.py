"""Use cases of person profiles; creating one issues the tickets that waited for it."""

from __future__ import annotations

import logging
from uuid import UUID

from application.errors import (
    PERSON_EXISTS,
    PERSON_NOT_FOUND,
    PROFILE_NOT_FOUND,
    UNSUPPORTED_LOCALE,
)
from application.store import TicketStore, retry_on_conflict
from application.tickets.issuing import Covered, TicketIssuing
from domain.order import Order
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import PendingTickets, Ticket

log = logging.getLogger(__name__)


class People:
    """``locales``: the languages offered (those with a catalogue); ``default_locale``: the one
    of a profile created without one (DEFAULT_LOCALE), and of profiles recorded before people
    had a language."""

    def __init__(
        self,
        store: TicketStore,
        issuing: TicketIssuing,
        *,
        locales: frozenset[str] = frozenset({"nb", "en"}),
        default_locale: str = "nb",
    ) -> None:
        self._store = store
        self._issuing = issuing
        self._locales = locales
        self._default_locale = default_locale

    def locale_of(self, person: Person) -> str:
        """The language the person is addressed in: their own, or the default."""
        return person.locale or self._default_locale

    def _checked(self, locale: str | None) -> str | None:
        if locale is not None and locale not in self._locales:
            offered = ", ".join(sorted(self._locales))
            raise UNSUPPORTED_LOCALE(f"locale {locale!r} is not offered; choose one of {offered}")
        return locale

    def profile_of(self, user_id: str) -> Person:
        person = self._store.find(Person, Person.id_for_user(user_id))
        if person is None:
            raise PROFILE_NOT_FOUND("you have no profile yet")
        return person

    def put_profile(
        self,
        *,
        user_id: str,
        name: str,
        email: str,
        phone: str | None,
        cause: Cause,
        locale: str | None = None,
    ) -> Person:
        """``locale`` None: an existing profile keeps its language, a new one gets the default."""
        locale = self._checked(locale)

        def command() -> Person:
            person = self._store.find(Person, Person.id_for_user(user_id))
            if person is not None:
                person.update_profile(name=name, email=email, phone=phone, cause=cause)
                if locale is not None:
                    person.choose_locale(locale, cause=cause)
                self._store.save(person)
                return person
            person = Person.register(
                user_id=user_id, name=name, email=email, phone=phone, cause=cause
            )
            person.choose_locale(locale or self._default_locale, cause=cause)
            self._register_with_pending_tickets(person, cause)
            return person

        return retry_on_conflict(command)

    def add_partner(
        self,
        *,
        name: str,
        email: str,
        user_id: str | None,
        cause: Cause,
        locale: str | None = None,
    ) -> Person:
        """A person an admin registers, e.g. a partner without an account (``user_id`` None)."""
        locale = self._checked(locale)

        def command() -> Person:
            person = Person.register(
                user_id=user_id, name=name, email=email, phone=None, cause=cause
            )
            person.choose_locale(locale or self._default_locale, cause=cause)
            if user_id is None:
                self._store.save(person)
            elif self._store.find(Person, person.id) is not None:
                raise PERSON_EXISTS(f"user {user_id} has a profile already")
            else:
                self._register_with_pending_tickets(person, cause)
            return person

        return retry_on_conflict(command)

    def _register_with_pending_tickets(self, person: Person, cause: Cause) -> None:
        """Saves a new person with the tickets that waited for their profile, in one save.

        The pending list is saved even when empty: a payment deferring a ticket at the same
        moment then conflicts with this save, and one of the two runs again and sees the other.
        """
        pending = self._store.find(PendingTickets, PendingTickets.id_for(person.id))
        if pending is None:
            pending = PendingTickets.open(person.id, cause)
        covered: list[Covered] = []
        tickets: dict[UUID, Ticket] = {}
        for period_id, order_id in pending.pending:
            order = self._store.get(Order, order_id)
            period = self._store.get(Period, period_id)
            result = self._issuing.cover(order, period, person.id, cause, unsaved=tickets)
            if result is not None:
                covered.append(result)
                tickets[result.ticket.id] = result.ticket
        pending.release(tuple(tickets), cause)
        self._store.save(person, pending, *tickets.values())
        for c in covered:
            log.info(
                "deferred ticket %s",
                c.coverage.value,
                extra={
                    "step": f"ticket {c.coverage.value}",
                    "ticket_id": str(c.ticket.id),
                    "person_id": str(person.id),
                },
            )

    def get(self, person_id: UUID) -> Person:
        person = self._store.find(Person, person_id)
        if person is None:
            raise PERSON_NOT_FOUND("no such person")
        return person
