"""The Scan aggregate: a door scan that checked a ticket in, keyed by the scanner's scan id."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.shared import Cause, stable_id


class Scan(Aggregate):
    """Saved with the check-in it caused: the same scan id again finds it and gets its answer.

    Two requests racing with one scan id both create version 1; one of them conflicts, runs
    again and finds this record.
    """

    TOPIC = "tickets:Scan"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Scan.Created"

    class Answered(Created):
        TOPIC = "tickets:Scan.Answered"
        scan_id: str
        ticket_id: UUID
        token_hash: str  # which token was scanned: a reused scan id for another is refused
        result: str
        checked_in_at: datetime

    def __init__(
        self,
        cause: Cause,
        scan_id: str,
        ticket_id: UUID,
        token_hash: str,
        result: str,
        checked_in_at: datetime,
    ) -> None:
        self.scan_id = scan_id
        self.ticket_id = ticket_id
        self.token_hash = token_hash
        self.result = result
        self.checked_in_at = checked_in_at

    @staticmethod
    def id_for(scan_id: str) -> UUID:
        return stable_id("scan", scan_id)

    @classmethod
    def answer(
        cls,
        *,
        scan_id: str,
        ticket_id: UUID,
        token_hash: str,
        result: str,
        checked_in_at: datetime,
        cause: Cause,
    ) -> Scan:
        return cls._create(
            cls.Answered,
            id=cls.id_for(scan_id),
            cause=cause,
            scan_id=scan_id,
            ticket_id=ticket_id,
            token_hash=token_hash,
            result=result,
            checked_in_at=checked_in_at,
        )
