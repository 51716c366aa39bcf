"""Bodies of the ticket routes: the participant's and the admins'."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from application.tickets.admin import ManagedTicket
from application.tickets.desk import ServedTicket
from domain.period import Period, TrackNames
from domain.ticket import TicketStatus
from entrypoints.http import fields
from entrypoints.http.periods.schemas import ClassSlotOut
from entrypoints.http.schemas import (
    Camel,
    Out,
    Reason,
)


class TicketTrackOut(Out):
    """A track a ticket covers."""

    code: str
    name: str


def tracks_out(tracks: TrackNames) -> list[TicketTrackOut]:
    return [TicketTrackOut(code, name) for code, name in tracks]


class ScheduledTrackOut(TicketTrackOut):
    """A track of the holder's ticket, with its weekly classes (none without a schedule)."""

    schedule: list[ClassSlotOut]


def scheduled_tracks(period: Period, codes: Iterable[str]) -> list[ScheduledTrackOut]:
    classes = {t.code: [ClassSlotOut.of(slot) for slot in t.schedule] for t in period.tracks}
    named = period.track_names(codes)
    return [ScheduledTrackOut(code, name, classes.get(code, [])) for code, name in named]


class NextClassOut(Out):
    """The first class of the ticket's tracks that is not over yet."""

    track_code: str
    starts_at: datetime
    ends_at: datetime


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
    tracks: list[ScheduledTrackOut]
    next_class: NextClassOut | None
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
            tracks=scheduled_tracks(period, ticket.track_codes()),
            next_class=_next_class(served),
            status=ticket.status,
            qr_token=served.token,
            qr_token_version=ticket.token.version,
            qr_token_expires_at=ticket.token.expires_at,
            view_url=served.view_url,
            pdf_url=served.pdf_url,
        )


def _next_class(served: ServedTicket) -> NextClassOut | None:
    upcoming = served.next_class
    if upcoming is None:
        return None
    return NextClassOut(upcoming.track.code, upcoming.held.starts_at, upcoming.held.ends_at)


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


class ResendOut(Out):
    ticket_id: UUID
    status: Literal["queued"]  # the worker sends it with the ticket's current token
