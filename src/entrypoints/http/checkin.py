"""Door routes: scanning a QR token (staff or a paired device), finding a participant by name,
today's check-ins; admins rotating and revoking tokens; the public JWKS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from application.checkin import ManualRequest, ScanAnswer, ScannedTicket, ScanRequest
from application.devices import DoorDevice
from application.errors import Forbidden
from application.ports import Principal
from application.ticket_admin import ManagedTicket
from domain.scan import ScanResult
from domain.shared import Cause
from domain.ticket import TicketStatus
from entrypoints.bootstrap import Services
from entrypoints.http import fields
from entrypoints.http.auth import bearer_token
from entrypoints.http.devices import device_credential
from entrypoints.http.openapi import (
    BAD_REQUEST,
    BEARER,
    BEARER_OR_DEVICE,
    BODY_PROBLEMS,
    FORBIDDEN,
    NOT_FOUND,
    SCAN_ID_REUSED,
    STORE_PROBLEMS,
    TICKET_NOT_FOUND,
    TICKET_REVOKED,
    TICKET_WITHOUT_TOKEN,
    UNAUTHENTICATED,
    VALIDATION_FAILED,
    problems,
)
from entrypoints.http.params import TicketIdPath
from entrypoints.http.request_context import request_id
from entrypoints.http.schemas import Camel, Out, TicketTrackOut, tracks_out

DOOR_ROLES = frozenset({"staff", "admin"})
JWKS_CACHE_SECONDS = 300  # door devices refresh their copy; a new key is published ahead of use

Deps = NamedDependency[Services]
Door = NamedDependency["DoorCaller"]
Admin = NamedDependency[Principal]
Caused = NamedDependency[Cause]

# A scanner reads anything: whatever string the QR code held is answered `invalid`, not refused
# (the app's body-size limit bounds it; CheckIns answers an overlong one without reading it).
ScannedText = str
# Device and scan ids are recorded and logged: printable, short.
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[\x20-\x7e]+$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]


SinceQuery = Annotated[
    int,
    QueryParameter(
        name="since",
        ge=0,
        description="The `nextSince` of the previous answer; 0 (the default) for everything.",
    ),
]
REVOCATIONS_PAGE = 1000
SearchText = Annotated[
    str, QueryParameter(max_length=100, description="Words of the participant's name.")
]
PeriodCodeQuery = Annotated[
    str | None,
    QueryParameter(
        name="periodCode",
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="The period; a device's own period when omitted.",
    ),
]


class ScanIn(Camel):
    token: ScannedText
    device_id: ClientId | None = None
    scan_id: ClientId | None = None

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


class ScanOut(Out, omit_defaults=True):
    result: ScanResult
    ticket: ScannedTicketOut | None = None

    @classmethod
    def of(cls, answer: ScanAnswer) -> ScanOut:
        seen = answer.ticket
        if seen is None:
            return cls(answer.result)
        return cls(answer.result, _ticket_out(seen))


def _ticket_out(seen: ScannedTicket) -> ScannedTicketOut:
    return ScannedTicketOut(
        ticket_id=seen.ticket_id,
        person_name=seen.person_name,
        period_code=seen.period_code,
        tracks=tracks_out(seen.tracks),
        checked_in_at=seen.checked_in_at,
    )


class ManualCheckInIn(Camel):
    ticket_id: UUID
    device_id: ClientId | None = None
    scan_id: ClientId | None = None

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


class RotateIn(Camel):
    reason: Reason | None = None

    def __post_init__(self) -> None:
        fields.lines("reason", self.reason)


class RevokeIn(Camel):
    reason: Reason

    def __post_init__(self) -> None:
        fields.lines("reason", self.reason)


class AdminTicketOut(Out):
    """A ticket as an admin sees it: never its token (the holder gets it, by email)."""

    ticket_id: UUID
    period_id: UUID
    period_code: str
    person_id: UUID
    person_name: str | None
    tracks: list[TicketTrackOut]
    status: TicketStatus
    qr_token_version: int | None
    qr_token_expires_at: datetime | None
    revoked_reason: str | None

    @classmethod
    def of(cls, managed: ManagedTicket) -> AdminTicketOut:
        ticket, period = managed.ticket, managed.period
        return cls(
            ticket_id=ticket.id,
            period_id=period.id,
            period_code=period.code,
            person_id=ticket.person_id,
            person_name=managed.person.name if managed.person else None,
            tracks=tracks_out(period.track_names(ticket.track_codes())),
            status=ticket.status,
            qr_token_version=ticket.token.version if ticket.token else None,
            qr_token_expires_at=ticket.token.expires_at if ticket.token else None,
            revoked_reason=ticket.revoked_reason,
        )


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


@dataclass(frozen=True)
class DoorCaller:
    """Who works the door: staff or an admin (bearer token), or a paired device."""

    actor: str  # the user id, or ``device:<deviceId>``
    device: DoorDevice | None = None

    def device_id(self, given: str | None) -> str | None:
        """A device's own id is what its scans record; staff may name theirs."""
        return str(self.device.device_id) if self.device is not None else given

    def period_code(self, given: str | None) -> str:
        code = given or (self.device.period_code if self.device is not None else None)
        if not code:
            message = "periodCode is required: this caller has no period of its own"
            raise ValidationException(message, extra=[{"key": "periodCode", "message": message}])
        return code


def provide_door_caller(request: Request[Any, Any, Any], state: State) -> DoorCaller:
    services: Services = state.services
    credential = device_credential(request)
    if credential is not None:
        device = services.devices.authenticate(credential)
        return DoorCaller(device.actor, device)
    user = services.identity.verify(bearer_token(request))
    if not user.roles & DOOR_ROLES:
        raise Forbidden("the door needs the staff or admin role, or a paired device", "forbidden")
    return DoorCaller(user.user_id)


def provide_door_cause(request: Request[Any, Any, Any], door: Door) -> Cause:
    rid = request_id(request)
    return Cause(actor=door.actor, reference=rid, request_id=rid)


DOOR_PROBLEMS = (UNAUTHENTICATED, FORBIDDEN, *STORE_PROBLEMS)


class CheckInController(Controller):
    path = "/api/checkin"
    tags = ["door"]
    dependencies = {
        "door": Provide(provide_door_caller, sync_to_thread=True),
        "cause": Provide(provide_door_cause, sync_to_thread=False),
    }

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
        self, services: Deps, request: Request[Any, Any, Any], data: JSONBody[ScanIn]
    ) -> ScanOut:
        """One result word per scan: ok, already_checked_in, invalid, expired, revoked or
        superseded. The same scanId again returns the first answer and records nothing. A
        paired device's scans record its own id, whatever `deviceId` says."""
        # The caller is resolved here, on the handler's thread, not as a dependency on a
        # thread of its own: the door's busiest route hops threads once, not twice.
        door = provide_door_caller(request, request.app.state)
        cause = provide_door_cause(request, door)
        answer = services.checkins.scan(
            ScanRequest(
                token=data.token,
                device_id=door.device_id(data.device_id),
                scan_id=data.scan_id,
                staff_user_id=door.actor,
            ),
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
        self, services: Deps, door: Door, cause: Caused, data: JSONBody[ManualCheckInIn]
    ) -> ScanOut:
        """For a participant whose phone died (found by name): recorded as manual, the same
        result words as a scan; an unknown ticket answers invalid."""
        answer = services.checkins.manual(
            ManualRequest(
                ticket_id=data.ticket_id,
                device_id=door.device_id(data.device_id),
                scan_id=data.scan_id,
                staff_user_id=door.actor,
            ),
            cause,
        )
        return ScanOut.of(answer)

    @get(
        "/search",
        sync_to_thread=True,
        operation_id="searchCheckInTickets",
        security=BEARER_OR_DEVICE,
        summary="Find a period's active tickets by the person's name",
        responses=problems(*DOOR_PROBLEMS, BAD_REQUEST, VALIDATION_FAILED),
    )
    def search(
        self, services: Deps, door: Door, q: SearchText, period_code: PeriodCodeQuery = None
    ) -> CheckInSearchOut:
        """Every word of `q` must be in the name; case and accents do not matter."""
        found = services.checkins.search(door.period_code(period_code), q)
        return CheckInSearchOut([_ticket_out(seen) for seen in found])

    @get(
        "/revocations",
        sync_to_thread=True,
        operation_id="listRevocations",
        security=BEARER_OR_DEVICE,
        summary="Tickets revoked or rotated since a position, for offline checking",
        responses=problems(*DOOR_PROBLEMS, VALIDATION_FAILED),
    )
    def revocations(
        self, services: Deps, door: Door, period_code: PeriodCodeQuery = None, since: SinceQuery = 0
    ) -> RevocationsOut:
        """Each ticket's current status and token version (older versions are superseded), at
        most 1000 a page, oldest change first; `nextSince` is an opaque cursor."""
        changes = services.checkins.revocations(
            door.period_code(period_code), since, REVOCATIONS_PAGE
        )
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
    def roster(self, services: Deps, door: Door, period_code: PeriodCodeQuery = None) -> RosterOut:
        """Whose ticket a token is, when the door verifies it without the network."""
        found = services.checkins.roster(door.period_code(period_code))
        return RosterOut([_ticket_out(seen) for seen in found])

    @get(
        "/today",
        sync_to_thread=True,
        operation_id="getTodaysCheckIns",
        security=BEARER_OR_DEVICE,
        summary="Today's check-ins of a period",
        responses=problems(*DOOR_PROBLEMS, VALIDATION_FAILED),
    )
    def today(
        self, services: Deps, door: Door, period_code: PeriodCodeQuery = None
    ) -> TodayCheckInsOut:
        """Today in the period's timezone: the door's count, and what an offline door refuses
        as a repeat. Kept by the worker: it may lag a scan by a moment."""
        day = services.checkins.today(door.period_code(period_code))
        items = [TodayCheckInOut(e.ticket_id, e.last_check_in_at) for e in day.check_ins]
        return TodayCheckInsOut(day.period_code, day.date, len(items), items)


class TicketAdminController(Controller):
    path = "/api/admin/tickets"
    tags = ["admin"]

    @post(
        "/{ticketId:uuid}/rotate",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="rotateTicketToken",
        security=BEARER,
        summary="Issue a new QR token version (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            TICKET_NOT_FOUND,
            NOT_FOUND,
            TICKET_REVOKED,
            TICKET_WITHOUT_TOKEN,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def rotate(
        self,
        services: Deps,
        admin: Admin,
        cause: Caused,
        ticket_id: TicketIdPath,
        data: JSONBody[RotateIn | None] = None,
    ) -> AdminTicketOut:
        """A new token version (emailed to the holder); every older token answers superseded."""
        reason = data.reason.strip() if data is not None and data.reason else None
        return AdminTicketOut.of(
            services.ticket_admin.rotate(ticket_id, reason=reason, cause=cause)
        )

    @post(
        "/{ticketId:uuid}/revoke",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="revokeTicket",
        security=BEARER,
        summary="Revoke a ticket (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            TICKET_NOT_FOUND,
            NOT_FOUND,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def revoke(
        self,
        services: Deps,
        admin: Admin,
        cause: Caused,
        ticket_id: TicketIdPath,
        data: JSONBody[RevokeIn],
    ) -> AdminTicketOut:
        """Scans answer revoked from now on; revoking again changes nothing."""
        return AdminTicketOut.of(
            services.ticket_admin.revoke(ticket_id, reason=data.reason, cause=cause)
        )


class JwksController(Controller):
    tags = ["door"]

    @get("/.well-known/jwks.json", sync_to_thread=False, operation_id="getTicketJwks")
    def jwks(self, services: Deps) -> Response[JwksOut]:
        """The public keys of EdDSA ticket tokens, for offline door devices; none with HS256."""
        return Response(
            msgspec.convert(services.ticket_jwks, JwksOut),
            headers={"Cache-Control": f"public, max-age={JWKS_CACHE_SECONDS}"},
        )
