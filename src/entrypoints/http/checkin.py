"""Door routes: scanning a QR token, admins rotating and revoking tokens, the public JWKS."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from application.checkin import ScanAnswer, ScanRequest, ScanResult
from application.errors import Forbidden
from application.ports import Principal
from application.ticket_admin import ManagedTicket
from domain.shared import Cause
from domain.ticket import TicketStatus
from entrypoints.bootstrap import Services
from entrypoints.http.openapi import (
    BEARER,
    BODY_PROBLEMS,
    FORBIDDEN,
    SCAN_ID_REUSED,
    STORE_PROBLEMS,
    TICKET_NOT_FOUND,
    TICKET_REVOKED,
    TICKET_WITHOUT_TOKEN,
    UNAUTHENTICATED,
    problems,
)
from entrypoints.http.params import TicketIdPath
from entrypoints.http.schemas import Camel, Out, TicketTrackOut

DOOR_ROLES = frozenset({"staff", "admin"})
JWKS_CACHE_SECONDS = 300  # door devices refresh their copy; a new key is published ahead of use

Deps = NamedDependency[Services]
Staff = NamedDependency[Principal]
Admin = NamedDependency[Principal]
Caused = NamedDependency[Cause]

# A scanner reads anything: whatever string the QR code held is answered `invalid`, not refused
# (the app's body-size limit bounds it; CheckIns answers an overlong one without reading it).
ScannedText = str
# Device and scan ids are recorded and logged: printable, short.
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[\x20-\x7e]+$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]


class ScanIn(Camel):
    token: ScannedText
    device_id: ClientId | None = None
    scan_id: ClientId | None = None


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
        ticket = ScannedTicketOut(
            ticket_id=seen.ticket_id,
            person_name=seen.person_name,
            period_code=seen.period_code,
            tracks=[TicketTrackOut(code, name) for code, name in seen.tracks],
            checked_in_at=seen.checked_in_at,
        )
        return cls(answer.result, ticket)


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
    tracks: list[TicketTrackOut]
    status: TicketStatus
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
            tracks=[TicketTrackOut(code, names.get(code, code)) for code in ticket.track_codes()],
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


def provide_door_staff(user: NamedDependency[Principal]) -> Principal:
    if not user.roles & DOOR_ROLES:
        raise Forbidden("scanning tickets needs the staff or admin role", "forbidden")
    return user


class CheckInController(Controller):
    path = "/api/checkin"
    tags = ["door"]
    dependencies = {"staff": Provide(provide_door_staff, sync_to_thread=False)}

    @post(
        "/scan",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="scanTicket",
        security=BEARER,
        summary="Check a QR token in at the door",
        responses=problems(
            UNAUTHENTICATED, FORBIDDEN, SCAN_ID_REUSED, *BODY_PROBLEMS, *STORE_PROBLEMS
        ),
    )
    def scan(self, services: Deps, staff: Staff, cause: Caused, data: JSONBody[ScanIn]) -> ScanOut:
        """One result word per scan: ok, already_checked_in, invalid, expired, revoked or
        superseded. The same scanId again returns the first answer and records nothing."""
        answer = services.checkins.scan(
            ScanRequest(
                token=data.token,
                device_id=data.device_id,
                scan_id=data.scan_id,
                staff_user_id=staff.user_id,
            ),
            cause,
        )
        return ScanOut.of(answer)


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
            UNAUTHENTICATED, FORBIDDEN, TICKET_NOT_FOUND, *BODY_PROBLEMS, *STORE_PROBLEMS
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
