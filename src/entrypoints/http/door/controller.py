"""Door routes: scanning a QR token (staff or a paired device), finding a participant by name,
today's check-ins and the lists an offline door keeps; the public JWKS."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from application.devices.pairing import Devices
from application.door.checkin import CheckIns, ManualRequest, ScanRequest
from application.door.undo import CheckInUndoing
from application.errors import CHECK_IN_NOT_FOUND, SCAN_ID_REUSED, UNDO_NOT_ALLOWED, WRONG_PERIOD
from application.identity import IdentityVerifier
from application.store import TicketStore
from domain.ticket import TicketStatus
from entrypoints.http.deps import (
    DOOR_DEPENDENCIES,
    Caused,
    Door,
    Jwks,
    Port,
    provide_door_caller,
    provide_door_cause,
)
from entrypoints.http.door.schemas import (
    CheckInSearchOut,
    JwksOut,
    ManualCheckInIn,
    RevocationOut,
    RevocationsOut,
    RosterOut,
    ScanIn,
    ScannedTicketOut,
    ScanOut,
    TodayCheckInOut,
    TodayCheckInsOut,
    UndoCheckInIn,
    UndoneCheckInOut,
)
from entrypoints.http.openapi import (
    BAD_REQUEST,
    BEARER_OR_DEVICE,
    BODY_PROBLEMS,
    ROLE_PROBLEMS,
    STORE_PROBLEMS,
    VALIDATION_FAILED,
    WRITE_PROBLEMS,
    problems,
)
from entrypoints.http.params import CheckInIdPath, PeriodCodeQuery, SearchText, SinceQuery

JWKS_CACHE_SECONDS = 300  # door devices refresh their copy; a new key is published ahead of use
REVOCATIONS_PAGE = 1000

DOOR_PROBLEMS = (*ROLE_PROBLEMS, WRONG_PERIOD, *STORE_PROBLEMS)


class CheckInController(Controller):
    path = "/api/checkin"
    tags = ["door"]
    dependencies = DOOR_DEPENDENCIES

    @post(
        "/scan",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="scanTicket",
        security=BEARER_OR_DEVICE,
        summary="Check a QR token in at the door",
        responses=problems(*DOOR_PROBLEMS, SCAN_ID_REUSED, *BODY_PROBLEMS),
    )
    def scan(
        self,
        checkins: NamedDependency[CheckIns],
        store: Port[TicketStore],
        devices: Port[Devices],
        identity: Port[IdentityVerifier],
        request: Request[Any, Any, Any],
        data: JSONBody[ScanIn],
    ) -> ScanOut:
        """One result word per scan: ok, already_checked_in, invalid, expired, revoked,
        superseded or wrong_period (a device paired for another period). The same scanId
        again from the same caller returns the first answer and records nothing. A paired
        device's scans record its own id, whatever `deviceId` says."""
        # The caller is resolved here, on the handler's thread, not as a dependency on a
        # thread of its own: the door's busiest route hops threads once, not twice; and the
        # device's read shares the scan's one pool checkout.
        with store.one_connection():
            door = provide_door_caller(request, devices, identity)
            cause = provide_door_cause(request, door)
            answer = checkins.scan(
                ScanRequest(data.token, door.call(data.device_id, data.scan_id, data.track_code)),
                cause,
            )
        return ScanOut.of(answer)

    @post(
        "/manual",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="checkInManually",
        security=BEARER_OR_DEVICE,
        summary="Check a ticket in by its id, without a QR code",
        responses=problems(*DOOR_PROBLEMS, SCAN_ID_REUSED, *BODY_PROBLEMS),
    )
    def manual(
        self,
        checkins: NamedDependency[CheckIns],
        door: Door,
        cause: Caused,
        data: JSONBody[ManualCheckInIn],
    ) -> ScanOut:
        """For a participant whose phone died (found by name): recorded as manual, the same
        result words as a scan; an unknown ticket answers invalid."""
        answer = checkins.manual(
            ManualRequest(data.ticket_id, door.call(data.device_id, data.scan_id, data.track_code)),
            cause,
        )
        return ScanOut.of(answer)

    @post(
        "/{checkInId:str}/undo",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="undoCheckIn",
        security=BEARER_OR_DEVICE,
        summary="Undo a check-in (a mistaken tap)",
        responses=problems(
            *ROLE_PROBLEMS, CHECK_IN_NOT_FOUND, UNDO_NOT_ALLOWED, VALIDATION_FAILED, *WRITE_PROBLEMS
        ),
    )
    def undo(
        self,
        undoing: NamedDependency[CheckInUndoing],
        door: Door,
        cause: Caused,
        check_in_id: CheckInIdPath,
        data: JSONBody[UndoCheckInIn | None] = None,
    ) -> UndoneCheckInOut:
        """By the device or staff member that made the check-in, within 15 minutes; by an
        admin at any time. The ticket can then be checked in again that day. Undoing again
        answers the same and changes nothing."""
        reason = data.reason.strip() if data is not None and data.reason else None
        done = undoing.undo(
            check_in_id, actor=door.actor, admin=door.admin, reason=reason, cause=cause
        )
        return UndoneCheckInOut(done.check_in_id, done.ticket_id)

    @get(
        "/search",
        sync_to_thread=True,
        operation_id="searchCheckInTickets",
        security=BEARER_OR_DEVICE,
        summary="Find a period's active tickets by the person's name",
        responses=problems(*DOOR_PROBLEMS, BAD_REQUEST, VALIDATION_FAILED),
    )
    def search(
        self,
        checkins: NamedDependency[CheckIns],
        door: Door,
        q: SearchText,
        period_code: PeriodCodeQuery = None,
    ) -> CheckInSearchOut:
        """Every word of `q` must be in the name; case and accents do not matter."""
        found = checkins.search(door.period_code(period_code), q)
        return CheckInSearchOut([ScannedTicketOut.of(seen) for seen in found])

    @get(
        "/revocations",
        sync_to_thread=True,
        operation_id="listRevocations",
        security=BEARER_OR_DEVICE,
        summary="Tickets revoked or rotated since a position, for offline checking",
        responses=problems(*DOOR_PROBLEMS, VALIDATION_FAILED),
    )
    def revocations(
        self,
        checkins: NamedDependency[CheckIns],
        door: Door,
        period_code: PeriodCodeQuery = None,
        since: SinceQuery = 0,
    ) -> RevocationsOut:
        """Each ticket's current status and token version (older versions are superseded), at
        most 1000 a page, oldest change first; `nextSince` is an opaque cursor."""
        changes = checkins.revocations(door.period_code(period_code), since, REVOCATIONS_PAGE)
        items = [
            RevocationOut(
                ticket_id=c.ticket_id,
                status=TicketStatus.ACTIVE if c.active else TicketStatus.REVOKED,
                current_token_version=c.token_version,
                changed_at=c.changed_at,
            )
            for c in changes
        ]
        return RevocationsOut(items, str(changes[-1].position if changes else since))

    @get(
        "/roster",
        sync_to_thread=True,
        operation_id="getCheckInRoster",
        security=BEARER_OR_DEVICE,
        summary="A period's tickets with names, for a door going offline",
        responses=problems(*DOOR_PROBLEMS, VALIDATION_FAILED),
    )
    def roster(
        self, checkins: NamedDependency[CheckIns], door: Door, period_code: PeriodCodeQuery = None
    ) -> RosterOut:
        """Whose ticket a token is, when the door verifies it without the network."""
        found = checkins.roster(door.period_code(period_code))
        return RosterOut([ScannedTicketOut.of(seen) for seen in found])

    @get(
        "/today",
        sync_to_thread=True,
        operation_id="getTodaysCheckIns",
        security=BEARER_OR_DEVICE,
        summary="Today's check-ins of a period",
        responses=problems(*DOOR_PROBLEMS, VALIDATION_FAILED),
    )
    def today(
        self, checkins: NamedDependency[CheckIns], door: Door, period_code: PeriodCodeQuery = None
    ) -> TodayCheckInsOut:
        """Today in the period's timezone: the door's count, and what an offline door refuses
        as a repeat. Kept by the worker: it may lag a scan by a moment."""
        day = checkins.today(door.period_code(period_code))
        items = [TodayCheckInOut(e.ticket_id, e.last_check_in_at) for e in day.check_ins]
        return TodayCheckInsOut(day.period_code, day.date, len(items), items)


class JwksController(Controller):
    tags = ["door"]

    @get("/.well-known/jwks.json", sync_to_thread=False, operation_id="getTicketJwks")
    def jwks(self, ticket_jwks: NamedDependency[Jwks]) -> Response[JwksOut]:
        """The public keys of EdDSA ticket tokens, for offline door devices; none with HS256."""
        return Response(
            msgspec.convert(ticket_jwks, JwksOut),
            headers={"Cache-Control": f"public, max-age={JWKS_CACHE_SECONDS}"},
        )
