"""Door routes: scanning a QR token, admins rotating and revoking tokens, the public JWKS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from application.checkin import ManualRequest, ScanAnswer, ScannedTicket, ScanRequest
from application.devices import DoorDevice
from application.errors import Forbidden
from application.ports import Principal
from application.ticket_admin import ManagedTicket
from domain.shared import Cause
from entrypoints.bootstrap import Services
from entrypoints.http.auth import bearer_token, request_id
from entrypoints.http.devices import device_credential
from entrypoints.http.schemas import Camel, Out

DOOR_ROLES = frozenset({"staff", "admin"})
JWKS_CACHE_SECONDS = 300  # door devices refresh their copy; a new key is published ahead of use

Deps = NamedDependency[Services]
Door = NamedDependency["DoorCaller"]
Admin = NamedDependency[Principal]
Caused = NamedDependency[Cause]

# A scanner reads anything: whatever the QR code held is answered `invalid`, not refused.
ScannedText = Annotated[str, msgspec.Meta(max_length=8192)]
# Device and scan ids are recorded and logged: printable, short.
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[\x20-\x7e]+$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]


SearchText = Annotated[str, QueryParameter(max_length=100)]
PeriodCodeQuery = Annotated[
    str | None,
    QueryParameter(name="periodCode", max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
]


class ScanIn(Camel):
    token: ScannedText
    device_id: ClientId | None = None
    scan_id: ClientId | None = None


class TrackOut(Out):
    code: str
    name: str


class ScannedTicketOut(Out, omit_defaults=True):
    ticket_id: UUID
    person_name: str
    period_code: str
    tracks: list[TrackOut]
    checked_in_at: datetime | None = None


class ScanOut(Out, omit_defaults=True):
    result: str
    ticket: ScannedTicketOut | None = None

    @classmethod
    def of(cls, answer: ScanAnswer) -> ScanOut:
        seen = answer.ticket
        if seen is None:
            return cls(answer.result.value)
        return cls(answer.result.value, _ticket_out(seen))


class ManualIn(Camel):
    ticket_id: UUID
    device_id: ClientId | None = None
    scan_id: ClientId | None = None


class SearchOut(Out):
    items: list[ScannedTicketOut]


class CheckInOut(Out):
    ticket_id: UUID
    checked_in_at: datetime | None


class TodayOut(Out):
    """A period's check-ins today (its timezone): the door's count and its offline list."""

    period_code: str
    date: date
    count: int
    items: list[CheckInOut]


def _ticket_out(seen: ScannedTicket) -> ScannedTicketOut:
    return ScannedTicketOut(
        ticket_id=seen.ticket_id,
        person_name=seen.person_name,
        period_code=seen.period_code,
        tracks=[TrackOut(code, name) for code, name in seen.tracks],
        checked_in_at=seen.checked_in_at,
    )


class RotateIn(Camel):
    reason: Reason | None = None


class RevokeIn(Camel):
    reason: Reason


class AdminTicketOut(Out):
    """A ticket as an admin sees it: never its token (the holder gets it, by email)."""

    ticket_id: UUID
    period_id: UUID
    period_code: str
    person_id: UUID
    person_name: str | None
    tracks: list[TrackOut]
    status: str
    qr_token_version: int | None
    qr_token_expires_at: datetime | None
    revoked_reason: str | None

    @classmethod
    def of(cls, managed: ManagedTicket) -> AdminTicketOut:
        ticket, period = managed.ticket, managed.period
        names = {track.code: track.name for track in period.tracks}
        return cls(
            ticket_id=ticket.id,
            period_id=period.id,
            period_code=period.code,
            person_id=ticket.person_id,
            person_name=managed.person.name if managed.person else None,
            tracks=[TrackOut(code, names.get(code, code)) for code in ticket.track_codes()],
            status=ticket.status.value,
            qr_token_version=ticket.token.version if ticket.token else None,
            qr_token_expires_at=ticket.token.expires_at if ticket.token else None,
            revoked_reason=ticket.revoked_reason,
        )


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
    return Cause(actor=door.actor, reference=request_id(request))


class CheckInController(Controller):
    path = "/api/checkin"
    tags = ["door"]
    security = [{"BearerToken": []}, {"DeviceCredential": []}]
    dependencies = {
        "door": Provide(provide_door_caller, sync_to_thread=True),
        "cause": Provide(provide_door_cause, sync_to_thread=False),
    }

    @post("/scan", sync_to_thread=True, status_code=HTTP_200_OK)
    def scan(self, services: Deps, door: Door, cause: Caused, data: JSONBody[ScanIn]) -> ScanOut:
        """One result word per scan: ok, already_checked_in, invalid, expired, revoked or
        superseded. The same scanId again returns the first answer and records nothing."""
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

    @post("/manual", sync_to_thread=True, status_code=HTTP_200_OK)
    def manual(
        self, services: Deps, door: Door, cause: Caused, data: JSONBody[ManualIn]
    ) -> ScanOut:
        """Checks a ticket in by its id (found by name), recorded as manual: the same result
        words as a scan; an unknown ticket answers invalid."""
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

    @get("/search", sync_to_thread=True)
    def search(
        self,
        services: Deps,
        door: Door,
        q: SearchText,
        period_code: PeriodCodeQuery = None,
    ) -> SearchOut:
        """Active tickets of the period whose person's name holds every word of ``q`` (case
        and accents ignored); ``periodCode`` defaults to the device's period."""
        found = services.checkins.search(door.period_code(period_code), q)
        return SearchOut([_ticket_out(seen) for seen in found])

    @get("/today", sync_to_thread=True)
    def today(
        self,
        services: Deps,
        door: Door,
        period_code: PeriodCodeQuery = None,
    ) -> TodayOut:
        """The period's check-ins today (in its timezone): the door's count, and what an
        offline door refuses as a repeat."""
        day = services.checkins.today(door.period_code(period_code))
        items = [CheckInOut(e.ticket_id, e.last_check_in_at) for e in day.check_ins]
        return TodayOut(day.period_code, day.date, len(items), items)


class TicketAdminController(Controller):
    path = "/api/admin/tickets"
    tags = ["admin"]

    @post("/{ticket_id:uuid}/rotate", sync_to_thread=True, status_code=HTTP_200_OK)
    def rotate(
        self,
        services: Deps,
        admin: Admin,
        cause: Caused,
        ticket_id: FromPath[UUID],
        data: JSONBody[RotateIn | None] = None,
    ) -> AdminTicketOut:
        """A new token version (emailed to the holder); every older token answers superseded."""
        reason = data.reason.strip() if data is not None and data.reason else None
        return AdminTicketOut.of(
            services.ticket_admin.rotate(ticket_id, reason=reason, cause=cause)
        )

    @post("/{ticket_id:uuid}/revoke", sync_to_thread=True, status_code=HTTP_200_OK)
    def revoke(
        self,
        services: Deps,
        admin: Admin,
        cause: Caused,
        ticket_id: FromPath[UUID],
        data: JSONBody[RevokeIn],
    ) -> AdminTicketOut:
        """Scans answer revoked from now on; revoking again changes nothing."""
        return AdminTicketOut.of(
            services.ticket_admin.revoke(ticket_id, reason=data.reason, cause=cause)
        )


class JwksController(Controller):
    tags = ["door"]

    @get("/.well-known/jwks.json", sync_to_thread=False, security=[])
    def jwks(self, services: Deps) -> Response[Any]:
        """The public keys of EdDSA ticket tokens, for offline door devices; none with HS256."""
        return Response(
            services.ticket_jwks,
            headers={"Cache-Control": f"public, max-age={JWKS_CACHE_SECONDS}"},
        )
