"""Door check-in: a scanned QR token checked against its signature, hash, status and the day.

Most answers come from the scan index, a read model that may lag behind the log but never
runs ahead of it: what it says against a token (an older version, revoked) can only stay true;
"checked in today" is confirmed on the store, as a check-in can be undone. ``ok`` is decided
on the ticket loaded from the event store and recorded with optimistic concurrency, so a
just-revoked ticket cannot slip through, and of two racing scans of one token one checks in
and the other, re-run, finds that check-in.

One module: scans and manual check-ins are one decision (the same verdict, scan-id rule and
period rule), and the door's lists (search, today, roster, revocations) read the same index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.clock import Clock
from application.door.names import folded as _folded
from application.door.ports import ScanEntry, ScanIndex, ScanMeter, TicketChange
from application.door.undo import check_in_id
from application.errors import SCAN_ID_REUSED
from application.store import TicketStore, retry_on_conflict
from application.tickets.ports import ExpiredToken, InvalidToken, TokenSigner
from application.tickets.tokens import token_hash
from domain.period import Period, TrackNames, local_date
from domain.person import Person
from domain.scan import RecordedTicket, Scan, ScanResult, Verdict, verdict
from domain.shared import Cause
from domain.ticket import Ticket, TicketStatus

log = logging.getLogger(__name__)

# Our tokens are a few hundred characters; anything far longer is answered without reading it.
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class ScannedTicket:
    """What door staff see of the ticket: whose it is and what it covers."""

    ticket_id: UUID
    person_name: str
    period_code: str
    tracks: TrackNames
    checked_in_at: datetime | None = None  # ok: now; already_checked_in: the first time today


@dataclass(frozen=True)
class ScanAnswer:
    result: ScanResult
    ticket: ScannedTicket | None = None
    reason: str = ""  # for the log line only: never shown, never the token
    check_in_id: str | None = None  # ok: the check-in, for an undo (application.door.undo)


@dataclass(frozen=True)
class DoorCall:
    """Who checks a ticket in, from which device, with which scan id, within which period."""

    device_id: str | None
    scan_id: str | None  # the scanner's nonce: the same one again gets the first answer
    staff_user_id: str  # the caller: a user id, or ``device:<deviceId>``
    period_code: str | None = None  # a device paired for a period acts only within it
    track_code: str | None = None  # the class the door is checking in, when it picked one


@dataclass(frozen=True)
class ScanRequest:
    token: str
    call: DoorCall


@dataclass(frozen=True)
class ManualRequest:
    """A check-in by ticket id, without a token: for a participant whose phone died."""

    ticket_id: UUID
    call: DoorCall


@dataclass(frozen=True)
class DoorDay:
    """A period's check-ins on one day at the door."""

    period_code: str
    date: date
    check_ins: tuple[ScanEntry, ...]  # entries whose last check-in is on that date


MAX_SEARCH_RESULTS = 20


class CheckIns:
    def __init__(
        self,
        store: TicketStore,
        signer: TokenSigner,
        index: ScanIndex,
        clock: Clock,
        meter: ScanMeter,
    ) -> None:
        self._store = store
        self._signer = signer
        self._index = index
        self._clock = clock
        self._meter = meter

    def scan(self, request: ScanRequest, cause: Cause) -> ScanAnswer:
        """Answers a scan with one result word, recording a check-in when it is ``ok``."""
        with self._store.one_connection():  # its reads and the save: one pool checkout
            answer = self._answer(request, cause)
        self._log(answer, request)
        return answer

    def manual(self, request: ManualRequest, cause: Cause) -> ScanAnswer:
        """Checks a ticket in by its id, recorded as manual; the same result words as a scan."""
        digest = f"manual:{request.ticket_id}"  # what a repeated scanId must match
        with self._store.one_connection():
            answer = self._checked_in(request, request.ticket_id, None, digest, None, cause)
        self._log(answer, request)
        return answer

    def search(self, period_code: str, query: str) -> list[ScannedTicket]:
        """Active tickets of the period whose person's name holds every word of the query
        (case and accents ignored): for checking someone in by name."""
        words = _folded(query).split()
        if not words:
            return []
        entries = self._index.period_entries(period_code)
        today = local_date(self._clock.now(), entries[0].timezone) if entries else None
        found = [
            _seen_today(entry, today)
            for entry in entries
            if entry.active and all(w in _folded(entry.person_name) for w in words)
        ]
        found.sort(key=lambda seen: _folded(seen.person_name))
        return found[:MAX_SEARCH_RESULTS]

    def today(self, period_code: str) -> DoorDay:
        """The period's check-ins today, in its timezone (the door's count, the offline list)."""
        entries = self._index.period_entries(period_code)
        timezone = entries[0].timezone if entries else "UTC"
        today = local_date(self._clock.now(), timezone)
        checked = tuple(e for e in entries if e.last_check_in_date == today)
        return DoorDay(period_code, today, checked)

    def revocations(self, period_code: str, since: int, limit: int) -> list[TicketChange]:
        """Tickets of the period revoked or rotated since a position: an offline door's feed."""
        return self._index.changes(period_code, since, limit)

    def roster(self, period_code: str) -> list[ScannedTicket]:
        """The period's tickets (revoked ones too: the door names whom it refuses), for a door
        that may lose its network."""
        found = [_seen(e) for e in self._index.period_entries(period_code)]
        return sorted(found, key=lambda seen: _folded(seen.person_name))

    def _log(self, answer: ScanAnswer, request: ScanRequest | ManualRequest) -> None:
        self._meter.count(answer.result.value)
        fields = {
            "step": "scan",
            "result": answer.result.value,
            "ticket_id": str(answer.ticket.ticket_id) if answer.ticket else None,
            "device_id": request.call.device_id,
            "scan_id": request.call.scan_id,
            "staff_user_id": request.call.staff_user_id,
            "manual": isinstance(request, ManualRequest),
        }
        if answer.result in (ScanResult.OK, ScanResult.ALREADY_CHECKED_IN):
            log.info("scan %s", answer.result.value, extra=fields)
        else:
            # The reason is the error class or a fixed phrase: never a part of the token.
            log.warning(
                "scan failed: %s", answer.result.value, extra={**fields, "reason": answer.reason}
            )

    def _answer(self, request: ScanRequest, cause: Cause) -> ScanAnswer:
        if len(request.token) > MAX_TOKEN_CHARS:
            return ScanAnswer(ScanResult.INVALID, None, "token too long")
        digest = token_hash(request.token)
        try:
            claims = self._signer.verify(request.token)
        except ExpiredToken as expired:
            # A scan id answered before keeps its answer: the token may have expired since.
            if repeated := self._first_answer(request, digest):
                return repeated
            ticket = self._describe(expired.claims.ticket_id) if expired.claims else None
            return ScanAnswer(ScanResult.EXPIRED, ticket, "token expired")
        except InvalidToken as invalid:
            answer = ScanAnswer(ScanResult.INVALID, None, str(invalid))
            return self._unless_repeated(answer, request, digest)

        entry = self._index.lookup(claims.ticket_id)
        refused = _refused_here(request, _seen(entry)) if entry is not None else None
        if refused is not None:
            return self._unless_repeated(refused, request, digest)
        # The index's answer is final unless it is ``ok``, ``already_checked_in`` (an undo may
        # not be followed yet) or the token is newer than it knows.
        if entry is not None and claims.version <= entry.token_version:
            recorded = _recorded_in_index(entry, local_date(self._clock.now(), entry.timezone))
            judged = verdict(recorded, digest, claims.version)
            if judged.result not in (ScanResult.OK, ScanResult.ALREADY_CHECKED_IN):
                answer = _answer_of(judged, _seen(entry), recorded)
                return self._unless_repeated(answer, request, digest)
        return self._checked_in(request, claims.ticket_id, claims.version, digest, entry, cause)

    def _checked_in(
        self,
        request: ScanRequest | ManualRequest,
        ticket_id: UUID,
        version: int | None,
        digest: str,
        entry: ScanEntry | None,
        cause: Cause,
    ) -> ScanAnswer:
        """``ok`` decided on the event store, its scan id's record saved with the check-in.

        The record is not looked for first: an ``ok`` is the common answer, and a scan id
        answered before either makes the answer another one (which then gives way to it) or
        makes the save conflict (its record exists).
        """
        try:
            return self._check_in(request, ticket_id, version, digest, entry, cause)
        except IntegrityError:  # a racing check-in, or this scan id's record saved before
            return retry_on_conflict(
                lambda: (
                    self._first_answer(request, digest)
                    or self._check_in(request, ticket_id, version, digest, entry, cause)
                )
            )

    def _check_in(
        self,
        request: ScanRequest | ManualRequest,
        ticket_id: UUID,
        version: int | None,  # the scanned token's; None for a manual check-in
        digest: str,
        entry: ScanEntry | None,
        cause: Cause,
    ) -> ScanAnswer:
        """The event store's answer, recording the check-in when it is ``ok``."""
        ticket = self._store.find(Ticket, ticket_id)
        if ticket is None or ticket.token is None:
            answer = ScanAnswer(ScanResult.INVALID, None, "no such ticket")
            return self._unless_repeated(answer, request, digest)
        if entry is not None:
            seen, timezone = _seen(entry), entry.timezone
        else:
            period = self._store.get(Period, ticket.period_id)
            seen, timezone = self._describe_ticket(ticket, period), period.timezone
        refused = _refused_here(request, seen)
        if refused is not None:
            return self._unless_repeated(refused, request, digest)
        now = self._clock.now().replace(microsecond=0)
        today = local_date(now, timezone)
        recorded = RecordedTicket(
            token_hash=ticket.token.token_hash,
            token_version=ticket.token.version,
            active=ticket.status is not TicketStatus.REVOKED,
            checked_in_today=ticket.checked_in_on(today),
        )
        judged = verdict(recorded, digest, version)
        if judged.result is not ScanResult.OK:
            return self._unless_repeated(_answer_of(judged, seen, recorded), request, digest)
        ticket.check_in(
            at=now,
            local_date=today,
            device_id=request.call.device_id,
            staff_user_id=request.call.staff_user_id,
            scan_id=request.call.scan_id,
            cause=cause,
            manual=version is None,
        )
        if request.call.scan_id is None:
            self._store.save(ticket)
        else:
            record = Scan.answer(
                caller=request.call.staff_user_id,
                scan_id=request.call.scan_id,
                ticket_id=ticket.id,
                token_hash=digest,
                result=ScanResult.OK.value,
                checked_in_at=now,
                cause=cause,
            )
            self._store.save(ticket, record)
        done = check_in_id(ticket.id, ticket.version)  # the CheckedIn's version, saved above
        return ScanAnswer(ScanResult.OK, replace(seen, checked_in_at=now), judged.reason, done)

    def _first_answer(self, request: ScanRequest | ManualRequest, digest: str) -> ScanAnswer | None:
        """The answer recorded for this caller's scan id, if a scan with it checked a ticket in."""
        if request.call.scan_id is None:
            return None
        first = self._store.find(
            Scan, Scan.id_for(request.call.staff_user_id, request.call.scan_id)
        )
        return self._repeated(first, digest) if first is not None else None

    def _unless_repeated(
        self, answer: ScanAnswer, request: ScanRequest | ManualRequest, digest: str
    ) -> ScanAnswer:
        """Any answer but ``ok`` gives way to the first answer of its scan id, if it had one:
        a door sending a scan again gets what it was told, whatever happened since (a
        revocation, a rotation), and ``already_checked_in`` may be the doing of a racing copy
        of this very scan. Looked up after the ticket was read, so a check-in seen there has
        its record visible too (both were saved in one transaction)."""
        if answer.result is ScanResult.OK:
            return answer
        return self._first_answer(request, digest) or answer

    def _repeated(self, first: Scan, digest: str) -> ScanAnswer:
        if first.token_hash != digest:
            raise SCAN_ID_REUSED(
                "this scanId was used for another token; send a new scanId per scan"
            )
        seen = self._describe(first.ticket_id)
        return ScanAnswer(
            ScanResult(first.result),
            replace(seen, checked_in_at=first.checked_in_at) if seen else None,
            "a repeated scanId: its first answer",
            self._check_in_of(first),
        )

    def _check_in_of(self, first: Scan) -> str | None:
        """The check-in a scan id's first answer recorded (the ticket's, at that moment)."""
        ticket = self._store.find(Ticket, first.ticket_id)
        records = ticket.check_ins.items() if ticket is not None else ()
        found = [v for v, c in records if c.at == first.checked_in_at]
        return check_in_id(first.ticket_id, found[0]) if found else None

    def _describe(self, ticket_id: UUID) -> ScannedTicket | None:
        entry = self._index.lookup(ticket_id)
        if entry is not None:
            return _seen(entry)
        ticket = self._store.find(Ticket, ticket_id)
        if ticket is None:
            return None
        return self._describe_ticket(ticket, self._store.get(Period, ticket.period_id))

    def _describe_ticket(self, ticket: Ticket, period: Period) -> ScannedTicket:
        person = self._store.find(Person, ticket.person_id)
        return ScannedTicket(
            ticket_id=ticket.id,
            person_name=person.name if person is not None else "",
            period_code=period.code,
            tracks=period.track_names(ticket.track_codes()),
        )


def _seen(entry: ScanEntry) -> ScannedTicket:
    return ScannedTicket(entry.ticket_id, entry.person_name, entry.period_code, entry.tracks)


def _elsewhere(request: ScanRequest | ManualRequest, period_code: str) -> bool:
    """A ticket outside the period the caller is paired for (devices paired without one, staff
    and admins have none: every period is theirs)."""
    return request.call.period_code is not None and period_code != request.call.period_code


def _refused_here(request: ScanRequest | ManualRequest, seen: ScannedTicket) -> ScanAnswer | None:
    """A ticket of another period than the device's, or not covering the class the door picked:
    refused with whose it is and what it covers, so the volunteer can send them on."""
    if _elsewhere(request, seen.period_code):
        return ScanAnswer(ScanResult.WRONG_PERIOD, seen, "a ticket of another period")
    track = request.call.track_code
    if track is not None and track not in {code for code, _ in seen.tracks}:
        return ScanAnswer(ScanResult.WRONG_CLASS, seen, "a ticket for other classes")
    return None


def _recorded_in_index(entry: ScanEntry, today: date) -> RecordedTicket:
    checked_in_today = entry.last_check_in_at if entry.last_check_in_date == today else None
    return RecordedTicket(entry.token_hash, entry.token_version, entry.active, checked_in_today)


def _answer_of(judged: Verdict, seen: ScannedTicket, recorded: RecordedTicket) -> ScanAnswer:
    """A refusal or a repeat as door staff see it: no ticket shown for a token not ours."""
    if judged.result is ScanResult.INVALID:
        return ScanAnswer(judged.result, None, judged.reason)
    if judged.result is ScanResult.ALREADY_CHECKED_IN:
        seen = replace(seen, checked_in_at=recorded.checked_in_today)
    return ScanAnswer(judged.result, seen, judged.reason)


def _seen_today(entry: ScanEntry, today: date | None) -> ScannedTicket:
    """The ticket, with its check-in time when that was today."""
    at = entry.last_check_in_at if today and entry.last_check_in_date == today else None
    return replace(_seen(entry), checked_in_at=at)
