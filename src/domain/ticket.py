"""The Ticket aggregate: one per person per period, covering that person's registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.shared import Cause, DomainError, stable_id


class TicketStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


class TokenVersionConflict(DomainError):
    """Raised when a token is recorded for a version other than the next one."""


@dataclass(frozen=True)
class CoveredRegistration:
    registration_id: UUID
    order_id: UUID
    track_code: str


@dataclass(frozen=True)
class QrToken:
    """What is recorded of a QR token: enough to derive it again, and its hash, never itself."""

    version: int
    issued_at: datetime
    expires_at: datetime
    token_hash: str


class Ticket(Aggregate):
    TOPIC = "tickets:Ticket"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Ticket.Created"

    class Issued(Created):
        TOPIC = "tickets:Ticket.Issued"
        period_id: UUID
        person_id: UUID
        registrations: tuple[CoveredRegistration, ...]

    class RegistrationsAdded(Event):
        TOPIC = "tickets:Ticket.RegistrationsAdded"
        registrations: tuple[CoveredRegistration, ...]

        def apply(self, aggregate: Any) -> None:
            aggregate.registrations += self.registrations

    class QrTokenIssued(Event):
        TOPIC = "tickets:Ticket.QrTokenIssued"
        version: int
        issued_at: datetime
        expires_at: datetime
        token_hash: str

        def apply(self, aggregate: Any) -> None:
            aggregate.token = QrToken(
                self.version, self.issued_at, self.expires_at, self.token_hash
            )

    def __init__(
        self,
        cause: Cause,
        period_id: UUID,
        person_id: UUID,
        registrations: tuple[CoveredRegistration, ...],
    ) -> None:
        self.period_id = period_id
        self.person_id = person_id
        self.registrations = registrations
        self.status = TicketStatus.ACTIVE
        self.token: QrToken | None = None

    @staticmethod
    def id_for(period_id: UUID, person_id: UUID) -> UUID:
        """One ticket per (period, person): racing writers collide at version 1."""
        return stable_id("ticket", period_id, person_id)

    @classmethod
    def issue(
        cls,
        *,
        period_id: UUID,
        person_id: UUID,
        registrations: tuple[CoveredRegistration, ...],
        cause: Cause,
    ) -> Ticket:
        return cls._create(
            cls.Issued,
            id=cls.id_for(period_id, person_id),
            cause=cause,
            period_id=period_id,
            person_id=person_id,
            registrations=registrations,
        )

    def add_registrations(
        self, registrations: tuple[CoveredRegistration, ...], cause: Cause
    ) -> bool:
        """Covers registrations not yet covered; says whether anything was added."""
        known = {r.registration_id for r in self.registrations}
        new = tuple(r for r in registrations if r.registration_id not in known)
        if new:
            self.trigger_event(self.RegistrationsAdded, registrations=new, cause=cause)
        return bool(new)

    @property
    def next_token_version(self) -> int:
        return 1 if self.token is None else self.token.version + 1

    def record_token(self, token: QrToken, cause: Cause) -> None:
        if token.version != self.next_token_version:
            raise TokenVersionConflict(
                f"token version {token.version} recorded, {self.next_token_version} expected"
            )
        self.trigger_event(
            self.QrTokenIssued,
            version=token.version,
            issued_at=token.issued_at,
            expires_at=token.expires_at,
            token_hash=token.token_hash,
            cause=cause,
        )

    def track_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.track_code for r in self.registrations))


class PendingTickets(Aggregate):
    """A person's tickets that wait for a profile: paid for, not yet issued."""

    TOPIC = "tickets:PendingTickets"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:PendingTickets.Created"

    class Opened(Created):
        TOPIC = "tickets:PendingTickets.Opened"
        person_id: UUID

    class TicketDeferred(Event):
        TOPIC = "tickets:PendingTickets.TicketDeferred"
        period_id: UUID
        order_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.pending += ((self.period_id, self.order_id),)

    class DeferredTicketsIssued(Event):
        TOPIC = "tickets:PendingTickets.DeferredTicketsIssued"
        ticket_ids: tuple[UUID, ...]

        def apply(self, aggregate: Any) -> None:
            aggregate.pending = ()

    def __init__(self, cause: Cause, person_id: UUID) -> None:
        self.person_id = person_id
        self.pending: tuple[tuple[UUID, UUID], ...] = ()

    @staticmethod
    def id_for(person_id: UUID) -> UUID:
        return stable_id("pending-tickets", person_id)

    @classmethod
    def open(cls, person_id: UUID, cause: Cause) -> PendingTickets:
        return cls._create(cls.Opened, id=cls.id_for(person_id), cause=cause, person_id=person_id)

    def defer(self, *, period_id: UUID, order_id: UUID, cause: Cause) -> None:
        if (period_id, order_id) not in self.pending:
            self.trigger_event(
                self.TicketDeferred, period_id=period_id, order_id=order_id, cause=cause
            )

    def waits_in(self, period_id: UUID) -> bool:
        return any(pending_period == period_id for pending_period, _ in self.pending)

    def release(self, ticket_ids: tuple[UUID, ...], cause: Cause) -> None:
        if self.pending:
            self.trigger_event(self.DeferredTicketsIssued, ticket_ids=ticket_ids, cause=cause)
