"""Undoing a check-in at the door: a volunteer tapped the wrong person, or scanned twice.

A check-in's id is its ticket's id and the version of its CheckedIn event, so an ``ok`` answer
names it without writing anything more per scan: ``<ticketId>.<version>``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from application.clock import Clock
from application.errors import CHECK_IN_NOT_FOUND, UNDO_NOT_ALLOWED
from application.store import TicketStore, retry_on_conflict
from domain.check_in import CheckInNotFound, Undo, UndoNotAllowed
from domain.shared import Cause
from domain.ticket import Ticket

log = logging.getLogger(__name__)

# Exactly what ``check_in_id`` writes: a lower-case UUID, a dot, a version (no sign, no zero
# first). Anything else names no check-in; nothing else reaches the store.
_CHECK_IN_ID: Final = re.compile(
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([1-9][0-9]{0,8})"
)


def check_in_id(ticket_id: UUID, version: int) -> str:
    return f"{ticket_id}.{version}"


def parse_check_in_id(text: str) -> tuple[UUID, int] | None:
    """The ticket id and CheckedIn version of a check-in id, or None if it is not one."""
    found = _CHECK_IN_ID.fullmatch(text)
    return (UUID(found[1]), int(found[2])) if found else None


@dataclass(frozen=True)
class UndoneCheckIn:
    check_in_id: str
    ticket_id: UUID
    recorded: bool  # False: undone before (the same answer, nothing changed)


class CheckInUndoing:
    def __init__(self, store: TicketStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def undo(
        self, check_in: str, *, actor: str, admin: bool, reason: str | None, cause: Cause
    ) -> UndoneCheckIn:
        """Takes the check-in back: by whoever made it within 15 minutes, an admin any time."""
        parsed = parse_check_in_id(check_in)
        if parsed is None:
            raise CHECK_IN_NOT_FOUND("no check-in has this id")
        ticket_id, version = parsed

        def attempt() -> UndoneCheckIn:
            ticket = self._store.find(Ticket, ticket_id)
            if ticket is None:
                raise CHECK_IN_NOT_FOUND("no check-in has this id")
            undo = Undo(actor, admin, self._clock.now().replace(microsecond=0), reason)
            try:
                recorded = ticket.undo_check_in(version, undo, cause)
            except CheckInNotFound as missing:
                raise CHECK_IN_NOT_FOUND("no check-in has this id") from missing
            except UndoNotAllowed as refused:
                raise UNDO_NOT_ALLOWED(
                    "only whoever made a check-in may undo it, within 15 minutes; an admin may"
                    " at any time"
                ) from refused
            if recorded:
                self._store.save(ticket)
            return UndoneCheckIn(check_in, ticket_id, recorded)

        done = retry_on_conflict(attempt)
        log.info(
            "check-in undone" if done.recorded else "check-in undone before",
            extra={"step": "undo", "check_in_id": check_in, "staff_user_id": actor},
        )
        return done
