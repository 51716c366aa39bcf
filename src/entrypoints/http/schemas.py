"""Request and response bodies of the HTTP API (camelCase on the wire, as API.md says)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from application.audit.auditing import AuditEvent
from application.checkin import ScanAnswer, ScannedTicket
from application.devices import DeviceView
from application.ports import AlertNotice
from application.ticket_admin import ManagedTicket
from application.tickets import ServedTicket
from application.worker.stalls import Stalled
from domain.order import Order, OrderStatus, RegistrationStatus
from domain.period import InvalidPeriod, Period, TrackNames
from domain.person import InvalidProfile, Person
from domain.scan import ScanResult
from domain.ticket import TicketStatus
from entrypoints.http import fields

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
# One address (the domain refuses anything else): `format: email` tells client generators.
Email = Annotated[
    str,
    msgspec.Meta(min_length=3, max_length=254, extra_json_schema={"extra": {"format": "email"}}),
]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
Currency = Annotated[
    str,
    msgspec.Meta(
        min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", description="ISO 4217, e.g. NOK"
    ),
]


class Role(StrEnum):
    """A dancer's role in a couple dance (the order may leave it out)."""

    LEADER = "leader"
    FOLLOWER = "follower"


class Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A request body: camelCase, unknown fields refused."""


class Out(msgspec.Struct, rename="camel"):
    """A response body: camelCase. Its class name names the type in generated clients."""


class HealthOut(Out):
    status: Literal["ok", "ready"]


class StalledFollowerOut(Out):
    """A worker follower held at one event by repeated failures (a follower_stalled alert)."""

    follower: str
    position: int
    notification_id: int | None

    @classmethod
    def of(cls, stalled: Stalled) -> StalledFollowerOut:
        return cls(stalled.follower, stalled.position, stalled.notification_id)


class ReadyOut(Out):
    status: Literal["ready"]
    stalled_followers: list[StalledFollowerOut]


class ProfileIn(Camel):
    name: Text
    email: Email
    phone: Phone | None = None

    def __post_init__(self) -> None:
        with fields.refused_as(InvalidProfile):
            fields.one_line("name", self.name)
            self.email = fields.email_address("email", self.email)
            fields.one_line("phone", self.phone)


class PersonIn(Camel):
    name: Text
    email: Email
    user_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None

    def __post_init__(self) -> None:
        with fields.refused_as(InvalidProfile):
            fields.one_line("name", self.name)
            self.email = fields.email_address("email", self.email)
            fields.one_line("userId", self.user_id)


class ProfileOut(Out):
    person_id: UUID
    user_id: str | None
    name: str
    email: str
    phone: str | None

    @classmethod
    def of(cls, person: Person) -> ProfileOut:
        return cls(person.id, person.user_id, person.name, person.email, person.phone)


class TrackIn(Camel):
    code: Code
    name: Text
    price_cents: Cents

    def __post_init__(self) -> None:
        with fields.refused_as(InvalidPeriod):
            fields.one_line("track code", self.code)
            fields.one_line("track name", self.name)


class PeriodIn(Camel):
    code: Code
    name: Text
    start_date: date
    end_date: date
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    currency: Currency
    tracks: Annotated[list[TrackIn], msgspec.Meta(max_length=100)]
    location: Annotated[str, msgspec.Meta(max_length=200)] | None = None

    def __post_init__(self) -> None:
        # Everything accepted here must be payable, issuable, printable and emailable: a
        # period ending 9999-12-31 once made every payment for it fail on its tickets' expiry.
        with fields.refused_as(InvalidPeriod):
            fields.one_line("code", self.code)
            fields.one_line("name", self.name)
            fields.one_line("location", self.location)
            fields.one_line("timezone", self.timezone)
            fields.period_date("startDate", self.start_date)
            fields.period_date("endDate", self.end_date)
            self.currency = fields.currency_code("currency", self.currency)


class PeriodTrackOut(Out):
    """A track of a period, with its price."""

    code: str
    name: str
    price_cents: int


class PeriodOut(Out):
    period_id: UUID
    code: str
    name: str
    start_date: date
    end_date: date
    timezone: str
    location: str | None
    currency: str
    tracks: list[PeriodTrackOut]

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(
            period_id=period.id,
            code=period.code,
            name=period.name,
            start_date=period.start_date,
            end_date=period.end_date,
            timezone=period.timezone,
            location=period.location,
            currency=period.currency,
            tracks=[PeriodTrackOut(t.code, t.name, t.price_cents) for t in period.tracks],
        )


class RegistrationIn(Camel):
    track_code: Code
    person_id: UUID | None = None
    role: Role | None = None

    def __post_init__(self) -> None:
        fields.one_line("trackCode", self.track_code)


class OrderIn(Camel):
    period_code: Code
    registrations: Annotated[list[RegistrationIn], msgspec.Meta(min_length=1, max_length=20)]

    def __post_init__(self) -> None:
        fields.one_line("periodCode", self.period_code)


class RegistrationOut(Out):
    registration_id: UUID
    person_id: UUID
    track_code: str
    role: Role | None
    price_cents: int
    status: RegistrationStatus


class OrderOut(Out):
    order_id: UUID
    status: OrderStatus
    period_code: str
    purchaser_person_id: UUID
    total_cents: int
    currency: str
    checkout_url: str | None
    registrations: list[RegistrationOut]

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            order_id=order.id,
            status=order.status,
            period_code=order.period_code,
            purchaser_person_id=order.purchaser_person_id,
            total_cents=order.total_cents,
            currency=order.currency,
            checkout_url=order.checkout_url,
            registrations=[
                RegistrationOut(
                    registration_id=r.registration_id,
                    person_id=r.person_id,
                    track_code=r.track_code,
                    role=_role(r.role),
                    price_cents=r.price_cents,
                    status=order.registration_status[r.registration_id],
                )
                for r in order.registrations
            ],
        )


def _role(role: str | None) -> Role | None:
    # Orders record a role the domain checked against the same two words.
    return Role(role) if role is not None else None


class WebhookOut(Out):
    received: bool


class TicketTrackOut(Out):
    """A track a ticket covers."""

    code: str
    name: str


def tracks_out(tracks: TrackNames) -> list[TicketTrackOut]:
    return [TicketTrackOut(code, name) for code, name in tracks]


class TicketOut(Out):
    ticket_id: UUID
    period_id: UUID
    period_code: str
    period_name: str
    start_date: date
    end_date: date
    location: str | None
    person_id: UUID
    person_name: str
    tracks: list[TicketTrackOut]
    status: TicketStatus
    qr_token: str
    qr_token_version: int
    qr_token_expires_at: datetime
    view_url: str | None
    pdf_url: str | None

    @classmethod
    def of(cls, served: ServedTicket) -> TicketOut:
        ticket, period = served.ticket, served.period
        assert ticket.token is not None
        return cls(
            ticket_id=ticket.id,
            period_id=period.id,
            period_code=period.code,
            period_name=period.name,
            start_date=period.start_date,
            end_date=period.end_date,
            location=period.location,
            person_id=served.person.id,
            person_name=served.person.name,
            tracks=tracks_out(period.track_names(ticket.track_codes())),
            status=ticket.status,
            qr_token=served.token,
            qr_token_version=ticket.token.version,
            qr_token_expires_at=ticket.token.expires_at,
            view_url=served.view_url,
            pdf_url=served.pdf_url,
        )


class AlertOut(Out):
    alert_id: UUID
    kind: str
    severity: str
    message: str
    subject: str | None
    created_at: datetime
    state: Literal["open", "acknowledged"]

    @classmethod
    def of(cls, alert: AlertNotice) -> AlertOut:
        return cls(
            alert.alert_id,
            alert.kind,
            alert.severity,
            alert.message,
            alert.subject,
            alert.created_at,
            "acknowledged" if alert.state == "acknowledged" else "open",
        )


class AlertPageOut(Out):
    """A page of alerts, newest first; ``nextCursor`` asks for the next one (null: the last)."""

    items: list[AlertOut]
    next_cursor: str | None


# The door: scans, search, offline lists; admins' token changes; the JWKS.

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

    @classmethod
    def of(cls, answer: ScanAnswer) -> ScanOut:
        seen = answer.ticket
        if seen is None:
            return cls(answer.result)
        return cls(answer.result, ScannedTicketOut.of(seen))


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


# Door devices and attendance.

DeviceName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")
]
PairingCode = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
]


class DeviceIn(Camel):
    name: DeviceName
    period_code: Code | None = None

    def __post_init__(self) -> None:
        # The pattern's $ lets one trailing line feed through (Python's re).
        fields.one_line("name", self.name)
        fields.one_line("periodCode", self.period_code)


class RenameDeviceIn(Camel):
    name: DeviceName

    def __post_init__(self) -> None:
        fields.one_line("name", self.name)


class PairingIn(Camel):
    pairing_code: PairingCode

    def __post_init__(self) -> None:
        fields.one_line("pairingCode", self.pairing_code)


class NewDeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None
    pairing_code: str
    pairing_url: str
    pairing_expires_at: datetime
    # The pairing link as a QR code (a PNG data URI) for the admin page: the phone scans it.
    pairing_qr: str


class DeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None
    status: str
    paired_at: datetime | None
    revoked_at: datetime | None
    last_seen_at: datetime | None

    @classmethod
    def of(cls, view: DeviceView) -> DeviceOut:
        device = view.device
        return cls(
            device_id=device.id,
            name=device.name,
            period_code=device.period_code,
            status=device.status.value,
            paired_at=device.paired_at,
            revoked_at=device.revoked_at,
            last_seen_at=view.last_seen_at,
        )


class DeviceListOut(Out):
    items: list[DeviceOut]


class PairedDeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None
    credential: str  # shown once: the door page keeps it; only its hash is recorded


class DoorDeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None


class AttendeeOut(Out):
    person_id: UUID
    name: str
    tracks: list[str]  # track codes
    checked_in_at: datetime
    device_id: str | None
    manual: bool


class AttendanceOut(Out):
    """Who came to class on one day: totals per track, the persons in the order they came."""

    date: date
    total: int
    by_track: dict[str, int]
    persons: list[AttendeeOut]


# The auditors' history and the ticket email.


class AuditEventOut(Out):
    """One event: its data are the recorded fields (token hashes at most, never a token)."""

    version: int
    type: str
    timestamp: datetime
    actor: str
    reference: str | None
    request_id: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            version=event.version,
            type=event.type,
            timestamp=event.timestamp,
            actor=event.actor,
            reference=event.reference,
            request_id=event.request_id,
            data=msgspec.to_builtins(event.data),
        )


class ResendOut(Out):
    ticket_id: UUID
    status: Literal["queued"]  # the worker sends it with the ticket's current token
