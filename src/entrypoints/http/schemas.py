"""Request and response bodies of the HTTP API (camelCase on the wire, as API.md says)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from application.ports import AlertNotice
from application.tickets import ServedTicket
from application.worker.stalls import Stalled
from domain.order import Order, OrderStatus, RegistrationStatus
from domain.period import InvalidPeriod, Period, TrackNames
from domain.person import InvalidProfile, Person
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
