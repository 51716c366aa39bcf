"""The door's ports: the scan index (a read model) and the scan meter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from domain.period import TrackNames


@dataclass(frozen=True)
class ScanEntry:
    """What the scan index knows of a ticket: enough to answer most scans without the store.

    It may lag behind the event store, never run ahead of it.
    """

    ticket_id: UUID
    person_id: UUID
    active: bool
    token_version: int
    token_hash: str
    period_code: str
    timezone: str
    person_name: str
    tracks: TrackNames  # of the covered registrations
    last_check_in_date: date | None  # in the period's timezone
    last_check_in_at: datetime | None  # the first check-in of that date


@dataclass(frozen=True)
class TicketChange:
    """A ticket revoked or rotated: what an offline door must know to refuse its old tokens."""

    ticket_id: UUID
    active: bool
    token_version: int  # the current one: older versions are superseded
    changed_at: datetime | None
    position: int  # in the log: the cursor of the incremental feed


@dataclass(frozen=True)
class Attendee:
    """A ticket checked in on a class day: who, when, by which door."""

    ticket_id: UUID
    person_id: UUID
    name: str
    local_date: date  # the class day, in the period's timezone
    checked_in_at: datetime
    device_id: str | None
    tracks: TrackNames  # the ticket covered that day
    manual: bool


class ScanIndex(Protocol):
    def lookup(self, ticket_id: UUID) -> ScanEntry | None:
        """The ticket as far as the index has followed the log; None if not (yet) known."""
        ...

    def period_entries(self, period_code: str) -> list[ScanEntry]:
        """Every ticket of the period the index knows (a period holds hundreds, not millions)."""
        ...

    def changes(self, period_code: str, since: int, limit: int) -> list[TicketChange]:
        """The period's tickets revoked or rotated after position ``since``, oldest first."""
        ...

    def attendance(self, period_code: str, day: date | None = None) -> list[Attendee]:
        """The period's check-ins, one per ticket and class day (on ``day`` only, if given)."""
        ...


class ScanMeter(Protocol):
    def count(self, result: str) -> None:
        """Counts one scan by its result word (operators watch the failures)."""
        ...
