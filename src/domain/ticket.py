"""The Ticket aggregate: one per person per period, covering that person's registrations.

One module per aggregate (its events, value objects and errors beside it), with the
PendingTickets index of tickets waiting for a profile: each event class is recorded forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.check_in import AlreadyCheckedIn, CheckInNotFound, CheckInRecord, Undo
from domain.shared import Cause, DomainError, stable_id


class TicketStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


class TokenVersionConflict(DomainError):
    """Raised when a token is recorded for a version other than the next one."""


class NotEmailable(DomainError):
    """Raised when a ticket email is asked for a ticket that is not active or has no token."""


class TicketRevoked(DomainError):
    """Raised when a revoked ticket is checked in or its token rotated."""


@dataclass(frozen=True)
class SentEmail:
    """A ticket email the provider accepted; (token version, reason) is its idempotency key."""

    token_version: int
    reason: str
    message_id: str


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

    class Emailed(Event):
        TOPIC = "tickets:Ticket.Emailed"
        token_version: int
        reason: str  # issued, rotated, or resend-<version of the request>
        message_id: str  # the provider's

        def apply(self, aggregate: Any) -> None:
            aggregate.emails += (SentEmail(self.token_version, self.reason, self.message_id),)

    class EmailResendRequested(Event):
        TOPIC = "tickets:Ticket.EmailResendRequested"

    class CheckedIn(Event):
        TOPIC = "tickets:Ticket.CheckedIn"
        checked_in_at: datetime
        local_date: date  # in the period's timezone: one check-in per day
        token_version: int
        device_id: str | None
        staff_user_id: str
        scan_id: str | None
        # Added later with a default: events recorded before it decode as scans.
        manual: bool = False  # checked in by ticket id (a participant whose phone died)

        def apply(self, aggregate: Any) -> None:
            record = CheckInRecord(self.local_date, self.checked_in_at, self.staff_user_id)
            aggregate.check_ins = {**aggregate.check_ins, self.originator_version: record}

    class CheckInUndone(Event):
        """A mistaken check-in taken back: the ticket may be checked in again that day."""

        TOPIC = "tickets:Ticket.CheckInUndone"
        checked_in_version: int  # the CheckedIn event's
        local_date: date
        undone_at: datetime
        undone_by: str
        reason: str | None

        def apply(self, aggregate: Any) -> None:
            undone = aggregate.check_ins[self.checked_in_version].undone(self.undone_by)
            aggregate.check_ins = {**aggregate.check_ins, self.checked_in_version: undone}

    class TokenRotated(Event):
        """Why the next QrTokenIssued replaces a token that was fine (an admin's decision)."""

        TOPIC = "tickets:Ticket.TokenRotated"
        replaced_version: int
        reason: str | None

    class Revoked(Event):
        TOPIC = "tickets:Ticket.Revoked"
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = TicketStatus.REVOKED
            aggregate.revoked_reason = self.reason

    class RegistrationsRemoved(Event):
        TOPIC = "tickets:Ticket.RegistrationsRemoved"
        registration_ids: tuple[UUID, ...]
        reason: str

        def apply(self, aggregate: Any) -> None:
            removed = set(self.registration_ids)
            aggregate.registrations = tuple(
                r for r in aggregate.registrations if r.registration_id not in removed
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
        self.emails: tuple[SentEmail, ...] = ()
        self.check_ins: dict[int, CheckInRecord] = {}  # by the version of their CheckedIn
        self.revoked_reason: str | None = None

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

    def was_emailed(self, reason: str, token_version: int | None = None) -> bool:
        """Whether an email for this reason (and token version, if given) was recorded."""
        return any(
            e.reason == reason and token_version in (None, e.token_version) for e in self.emails
        )

    def record_emailed(
        self, *, token_version: int, reason: str, message_id: str, cause: Cause
    ) -> None:
        if self.token is None or not 0 < token_version <= self.token.version:
            raise TokenVersionConflict(f"token version {token_version} was never issued")
        self.trigger_event(
            self.Emailed,
            token_version=token_version,
            reason=reason,
            message_id=message_id,
            cause=cause,
        )

    def request_email_resend(self, cause: Cause) -> None:
        if self.status is not TicketStatus.ACTIVE or self.token is None:
            raise NotEmailable(f"ticket {self.id} is not active: no email can be sent")
        self.trigger_event(self.EmailResendRequested, cause=cause)

    def checked_in_on(self, local_date: date) -> datetime | None:
        """When the ticket was checked in on that day (a check-in not undone), or None."""
        found = (c.at for c in self.check_ins.values() if c.local_date == local_date and c.in_force)
        return next(found, None)

    def check_in(
        self,
        *,
        at: datetime,
        local_date: date,
        device_id: str | None,
        staff_user_id: str,
        scan_id: str | None,
        cause: Cause,
        manual: bool = False,
    ) -> None:
        if self.status is TicketStatus.REVOKED:
            raise TicketRevoked(f"ticket {self.id} is revoked")
        if self.token is None:
            raise TokenVersionConflict(f"ticket {self.id} has no token to check in with")
        first = self.checked_in_on(local_date)
        if first is not None:
            raise AlreadyCheckedIn(f"ticket {self.id} was checked in at {first.isoformat()}")
        self.trigger_event(
            self.CheckedIn,
            checked_in_at=at,
            local_date=local_date,
            token_version=self.token.version,
            device_id=device_id,
            staff_user_id=staff_user_id,
            scan_id=scan_id,
            cause=cause,
            manual=manual,
        )

    def undo_check_in(self, version: int, undo: Undo, cause: Cause) -> bool:
        """Takes a check-in back; says whether it was in force (undoing twice records nothing)."""
        record = self.check_ins.get(version)
        if record is None:
            raise CheckInNotFound(f"ticket {self.id} has no check-in at version {version}")
        if not record.to_undo(undo):
            return False
        self.trigger_event(
            self.CheckInUndone,
            checked_in_version=version,
            local_date=record.local_date,
            undone_at=undo.at,
            undone_by=undo.by,
            reason=undo.reason,
            cause=cause,
        )
        return True

    def rotate_token(self, *, reason: str | None, cause: Cause) -> None:
        """Records why the current token is replaced; the new version is recorded next."""
        if self.status is TicketStatus.REVOKED:
            raise TicketRevoked(f"ticket {self.id} is revoked: its token is not rotated")
        if self.token is None:
            raise TokenVersionConflict(f"ticket {self.id} has no token to rotate")
        self.trigger_event(
            self.TokenRotated, replaced_version=self.token.version, reason=reason, cause=cause
        )

    def revoke(self, *, reason: str, cause: Cause) -> bool:
        """Revokes the ticket; says whether it was active (revoking twice records nothing)."""
        if self.status is TicketStatus.REVOKED:
            return False
        self.trigger_event(self.Revoked, reason=reason, cause=cause)
        return True

    def remove_registrations(
        self, registration_ids: tuple[UUID, ...], *, reason: str, cause: Cause
    ) -> bool:
        """Stops covering registrations (a refund); says whether any was covered."""
        covered = {r.registration_id for r in self.registrations}
        removed = tuple(i for i in registration_ids if i in covered)
        if removed:
            self.trigger_event(
                self.RegistrationsRemoved, registration_ids=removed, reason=reason, cause=cause
            )
        return bool(removed)


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
