"""Door scans: the verdict on a scanned token, and the Scan aggregate (a scan that checked a
ticket in, keyed by the scanner's scan id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.shared import Cause, stable_id


class ScanResult(StrEnum):
    OK = "ok"
    ALREADY_CHECKED_IN = "already_checked_in"
    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    WRONG_PERIOD = "wrong_period"  # a device paired for another period
    WRONG_CLASS = "wrong_class"  # the ticket does not cover the class being checked in


@dataclass(frozen=True)
class RecordedTicket:
    """What a scan is judged against: the ticket as the event store or the scan index has it."""

    token_hash: str
    token_version: int
    active: bool
    checked_in_today: datetime | None  # its first check-in on the door's day, if any


@dataclass(frozen=True)
class Verdict:
    result: ScanResult
    reason: str  # a fixed phrase for the log line: never a part of the token


def verdict(ticket: RecordedTicket, scanned_hash: str, scanned_version: int | None) -> Verdict:
    """The answer to a scan of a token with that hash and version (None: a manual check-in,
    no token to compare). ``ok`` means the ticket may be checked in now."""
    if scanned_version is not None and scanned_hash != ticket.token_hash:
        if scanned_version < ticket.token_version:
            return Verdict(ScanResult.SUPERSEDED, "an older token version")
        return Verdict(ScanResult.INVALID, "token is not the recorded one")
    if not ticket.active:
        return Verdict(ScanResult.REVOKED, "ticket revoked")
    if ticket.checked_in_today is not None:
        return Verdict(ScanResult.ALREADY_CHECKED_IN, "checked in today already")
    return Verdict(ScanResult.OK, "checked in")


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
    def id_for(caller: str, scan_id: str) -> UUID:
        """A scan id is its caller's nonce: another device or user sending the same one finds
        nothing of it (the first answer is not theirs to replay). Neither holds a newline."""
        return stable_id("scan", f"{caller}\n{scan_id}")

    @classmethod
    def answer(
        cls,
        *,
        caller: str,  # who sent the scan id: the door's user id or ``device:<deviceId>``
        scan_id: str,
        ticket_id: UUID,
        token_hash: str,
        result: str,
        checked_in_at: datetime,
        cause: Cause,
    ) -> Scan:
        return cls._create(
            cls.Answered,
            id=cls.id_for(caller, scan_id),
            cause=cause,
            scan_id=scan_id,
            ticket_id=ticket_id,
            token_hash=token_hash,
            result=result,
            checked_in_at=checked_in_at,
        )
