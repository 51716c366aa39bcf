"""Bodies of the door routes: scans, search, offline lists, the JWKS, attendance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import msgspec

from application.door.attendance import AttendanceDay
from application.door.checkin import ScanAnswer, ScannedTicket
from domain.scan import ScanResult
from domain.ticket import TicketStatus
from entrypoints.http import fields
from entrypoints.http.schemas import (
    Camel,
    ClientId,
    Code,
    Out,
    Reason,
)
from entrypoints.http.tickets.schemas import TicketTrackOut, tracks_out

# A scanner reads anything: whatever string the QR code held is answered `invalid`, not refused
# (the app's body-size limit bounds it; CheckIns answers an overlong one without reading it).
ScannedText = str


class ScanIn(Camel):
    token: ScannedText
    device_id: ClientId | None = None
    scan_id: ClientId | None = None
    track_code: Code | None = None  # the class being checked in: another one's ticket is refused

    def __post_init__(self) -> None:
        # The pattern's $ lets one trailing line feed through (Python's re): not in a log line.
        fields.one_line("deviceId", self.device_id)
        fields.one_line("scanId", self.scan_id)


class ScannedTicketOut(Out, omit_defaults=True):
    ticket_id: UUID
    person_name: str
    period_code: str
    tracks: list[TicketTrackOut]
    checked_in_at: datetime | None = None

    @classmethod
    def of(cls, seen: ScannedTicket) -> ScannedTicketOut:
        return cls(
            ticket_id=seen.ticket_id,
            person_name=seen.person_name,
            period_code=seen.period_code,
            tracks=tracks_out(seen.tracks),
            checked_in_at=seen.checked_in_at,
        )


class ScanOut(Out, omit_defaults=True):
    result: ScanResult
    ticket: ScannedTicketOut | None = None
    # ok: the check-in, to undo it (`POST /api/checkin/{checkInId}/undo`)
    check_in_id: str | None = None

    @classmethod
    def of(cls, answer: ScanAnswer) -> ScanOut:
        seen = answer.ticket
        ticket = ScannedTicketOut.of(seen) if seen is not None else None
        return cls(answer.result, ticket, answer.check_in_id)


class UndoCheckInIn(Camel):
    reason: Reason | None = None

    def __post_init__(self) -> None:
        fields.lines("reason", self.reason)


class UndoneCheckInOut(Out):
    """The check-in is undone (now, or before: undoing twice changes nothing)."""

    check_in_id: str
    ticket_id: UUID
    undone: Literal[True] = True


class ManualCheckInIn(Camel):
    ticket_id: UUID
    device_id: ClientId | None = None
    scan_id: ClientId | None = None
    track_code: Code | None = None

    def __post_init__(self) -> None:
        fields.one_line("deviceId", self.device_id)
        fields.one_line("scanId", self.scan_id)


class CheckInSearchOut(Out):
    """Active tickets of the period whose person's name matched, at most 20."""

    items: list[ScannedTicketOut]


class RevocationOut(Out):
    ticket_id: UUID
    status: TicketStatus
    current_token_version: int
    changed_at: datetime | None


class RevocationsOut(Out):
    """Tickets revoked or rotated since `since`; pass `nextSince` back for the next changes."""

    items: list[RevocationOut]
    next_since: str


class RosterOut(Out):
    """The period's tickets (revoked ones too): names at a door that may lose its network."""

    items: list[ScannedTicketOut]


class TodayCheckInOut(Out):
    ticket_id: UUID
    checked_in_at: datetime | None


class TodayCheckInsOut(Out):
    """A period's check-ins today (its timezone): the door's count and its offline list."""

    period_code: str
    date: date
    count: int
    items: list[TodayCheckInOut]


class JwkOut(msgspec.Struct):
    """An Ed25519 public key (RFC 8037) that signs QR tokens."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str
    kid: str
    alg: Literal["EdDSA"]
    use: Literal["sig"]


class JwksOut(msgspec.Struct):
    """The QR tokens' public keys (RFC 7517); empty when tokens are HS256."""

    keys: list[JwkOut]


class AttendeeOut(Out):
    person_id: UUID
    name: str
    tracks: list[str]  # track codes
    checked_in_at: datetime
    device_id: str | None
    manual: bool


class HeldClassOut(Out):
    """A class held on the day: how many are registered for its track, and how many came."""

    track_code: str
    start_time: str  # "19:00", local
    end_time: str
    expected: int
    present: int


class AbsenteeOut(Out):
    person_id: UUID
    name: str
    tracks: list[str]  # their track codes with a class that day


class AttendanceOut(Out):
    """Who came to class on one day: totals per track, the persons in the order they came;
    with a schedule, the day's classes and who was absent from them."""

    date: date
    total: int
    by_track: dict[str, int]
    persons: list[AttendeeOut]
    classes: list[HeldClassOut]
    absent: list[AbsenteeOut]

    @classmethod
    def of(cls, found: AttendanceDay) -> AttendanceOut:
        return cls(
            date=found.date,
            total=found.total,
            by_track=found.by_track,
            persons=[
                AttendeeOut(
                    person_id=a.person_id,
                    name=a.name,
                    tracks=[code for code, _ in a.tracks],
                    checked_in_at=a.checked_in_at,
                    device_id=a.device_id,
                    manual=a.manual,
                )
                for a in found.persons
            ],
            classes=[
                HeldClassOut(
                    c.track_code,
                    c.start_time.strftime("%H:%M"),
                    c.end_time.strftime("%H:%M"),
                    c.expected,
                    c.present,
                )
                for c in found.classes
            ],
            absent=[
                AbsenteeOut(a.person_id, a.name, [code for code, _ in a.tracks])
                for a in found.absent
            ],
        )
