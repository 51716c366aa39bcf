"""A ticket's check-ins as the Ticket aggregate keeps them, and who may take one back."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from domain.shared import DomainError


class AlreadyCheckedIn(DomainError):
    """Raised when a ticket is checked in a second time on one calendar day."""


class CheckInNotFound(DomainError):
    """Raised when a check-in is undone that the ticket never recorded (by its version)."""


class UndoNotAllowed(DomainError):
    """Raised when someone else's check-in, or an old one, is undone by a non-admin."""


# A volunteer notices a wrong tap at once; after this only an admin may undo (attendance is
# reported from check-ins, and an old one changed by anyone would make it unreliable).
UNDO_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Undo:
    """Who takes a check-in back, when, and why."""

    by: str  # a user id, or ``device:<deviceId>``
    admin: bool
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class CheckInRecord:
    """A check-in, by the version of its CheckedIn event (its id: ``<ticketId>.<version>``)."""

    local_date: date
    at: datetime
    by: str  # the caller: a user id, or ``device:<deviceId>``
    undone_by: str | None = None

    @property
    def in_force(self) -> bool:
        return self.undone_by is None

    def to_undo(self, undo: Undo) -> bool:
        """Whether this undo records anything: False when it is undone already (the same undo
        sent again); raises UndoNotAllowed when it is not the caller's to undo."""
        if self.undone_by is not None and self.undone_by == undo.by:
            return False  # their own undo again, whatever the time now
        if not (undo.admin or (undo.by == self.by and undo.at - self.at <= UNDO_WINDOW)):
            raise UndoNotAllowed(f"this check-in is not {undo.by}'s to undo")
        return self.undone_by is None

    def undone(self, by: str) -> CheckInRecord:
        return replace(self, undone_by=by)
