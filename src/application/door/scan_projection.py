"""The scan index's meaning: which events it follows, the rows each one changes, rows read back.

Pure: no storage here. An adapter (``adapters.persistence.scan_index``) keeps the rows, in
memory or in tables beside the events, and calls ``row_changes`` for each event it follows,
in one transaction with its position.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from application.door.ports import Attendee, ScanEntry, TicketChange
from domain.period import Period, named_tracks
from domain.person import Person
from domain.ticket import Ticket

NAME: Final = "scan-index"  # names its recorded position: stable

Row = dict[str, Any]  # a row as plain JSON-able values
# (table, the row to insert or replace by its first column; or the key of a row to delete)
RowChange = tuple[str, Row | str]

TOPICS: Final = (
    Period.Scheduled.TOPIC,
    Person.Registered.TOPIC,
    Person.ProfileUpdated.TOPIC,
    Ticket.Issued.TOPIC,
    Ticket.RegistrationsAdded.TOPIC,
    Ticket.RegistrationsRemoved.TOPIC,
    Ticket.QrTokenIssued.TOPIC,
    Ticket.CheckedIn.TOPIC,
    Ticket.CheckInUndone.TOPIC,
    Ticket.Revoked.TOPIC,
)

TICKET_COLUMNS: Final = (
    "ticket_id",
    "period_id",
    "person_id",
    "active",
    "token_version",
    "token_hash",
    "registrations",
    "check_in_date",
    "check_in_at",
)
PERIOD_COLUMNS: Final = ("period_id", "code", "timezone", "tracks")
PERSON_COLUMNS: Final = ("person_id", "name")
# A ticket revoked or rotated, for offline doors: its last change, by the log's position.
CHANGE_COLUMNS: Final = (
    "ticket_id",
    "period_id",
    "active",
    "token_version",
    "changed_at",
    "position",
)
# Attendance: a ticket checked in on a day (in the period's timezone), keyed "<ticket>/<date>".
ATTENDANCE_COLUMNS: Final = (
    "key",
    "period_id",
    "ticket_id",
    "person_id",
    "local_date",
    "checked_in_at",
    "device_id",
    "tracks",
    "manual",
)
# Each table's columns, its key first.
TABLES: Final = {
    "tickets": TICKET_COLUMNS,
    "periods": PERIOD_COLUMNS,
    "persons": PERSON_COLUMNS,
    "changes": CHANGE_COLUMNS,
    "attendance": ATTENDANCE_COLUMNS,
}
JSON_COLUMNS: Final = frozenset({"registrations", "tracks"})  # lists of values


def ticket_of(event: Any) -> str | None:
    """The ticket whose current row ``row_changes`` needs for this event, if any."""
    if isinstance(event, Ticket.Event) and not isinstance(event, Ticket.Issued):
        return str(event.originator_id)
    return None


def row_changes(event: Any, position: int, ticket: Row | None = None) -> list[RowChange]:
    """The rows an event at ``position`` in the log inserts, replaces or deletes.

    ``ticket``: the current row of ``ticket_of(event)``; without one, a ticket's later event
    changes nothing (its Issued was not followed: nothing sane to add to).
    """
    return [
        (table, row if isinstance(row, str) else _storable_row(row))
        for table, row in _changes(event, position, ticket)
    ]


def _changes(event: Any, position: int, ticket: Row | None) -> list[RowChange]:
    if isinstance(event, Period.Scheduled):
        return [
            (
                "periods",
                {
                    "period_id": str(event.originator_id),
                    "code": event.code,
                    "timezone": event.timezone,
                    "tracks": [[t.code, t.name] for t in event.tracks],
                },
            )
        ]
    if isinstance(event, Person.Registered | Person.ProfileUpdated):
        return [("persons", {"person_id": str(event.originator_id), "name": event.name})]
    if isinstance(event, Ticket.Issued):
        return [
            (
                "tickets",
                {
                    "ticket_id": str(event.originator_id),
                    "period_id": str(event.period_id),
                    "person_id": str(event.person_id),
                    "active": 1,
                    "token_version": 0,
                    "token_hash": "",
                    "registrations": [
                        [str(r.registration_id), r.track_code] for r in event.registrations
                    ],
                    "check_in_date": None,
                    "check_in_at": None,
                },
            )
        ]
    if not isinstance(event, Ticket.Event) or ticket is None:
        return []
    ticket = _ticket_after(dict(ticket), event)
    changes: list[RowChange] = [("tickets", ticket)]
    if isinstance(event, Ticket.CheckedIn):
        # Who came to class: one row per ticket and day, with the tracks it covered then.
        day = event.local_date.isoformat()
        changes.append(
            (
                "attendance",
                {
                    "key": f"{ticket['ticket_id']}/{day}",
                    "period_id": ticket["period_id"],
                    "ticket_id": ticket["ticket_id"],
                    "person_id": ticket["person_id"],
                    "local_date": day,
                    "checked_in_at": event.checked_in_at.isoformat(),
                    "device_id": event.device_id,
                    "tracks": list(dict.fromkeys(code for _, code in ticket["registrations"])),
                    "manual": 1 if event.manual else 0,
                },
            )
        )
    if isinstance(event, Ticket.CheckInUndone):
        # Not at class after all: the day's row goes (a check-in again that day adds it anew).
        changes.append(("attendance", f"{ticket['ticket_id']}/{event.local_date.isoformat()}"))
    if isinstance(event, Ticket.Revoked) or (
        isinstance(event, Ticket.QrTokenIssued) and event.version > 1
    ):
        # What an offline door must learn: this ticket's status or current version moved.
        changes.append(
            (
                "changes",
                {
                    "ticket_id": ticket["ticket_id"],
                    "period_id": ticket["period_id"],
                    "active": ticket["active"],
                    "token_version": ticket["token_version"],
                    "changed_at": event.timestamp.isoformat(),
                    "position": position,
                },
            )
        )
    return changes


def _ticket_after(ticket: Row, event: Ticket.Event) -> Row:
    if isinstance(event, Ticket.RegistrationsAdded):
        ticket["registrations"] = ticket["registrations"] + [
            [str(r.registration_id), r.track_code] for r in event.registrations
        ]
    elif isinstance(event, Ticket.RegistrationsRemoved):
        removed = {str(i) for i in event.registration_ids}
        ticket["registrations"] = [r for r in ticket["registrations"] if r[0] not in removed]
    elif isinstance(event, Ticket.QrTokenIssued):
        ticket["token_version"] = event.version
        ticket["token_hash"] = event.token_hash
    elif isinstance(event, Ticket.CheckedIn):
        last = _date(ticket["check_in_date"])
        if last is None or event.local_date > last:
            ticket["check_in_date"] = event.local_date.isoformat()
            ticket["check_in_at"] = event.checked_in_at.isoformat()
    elif isinstance(event, Ticket.CheckInUndone):
        # The day's check-in was the undone one (one in force per day): none is left that day.
        if ticket["check_in_date"] == event.local_date.isoformat():
            ticket["check_in_date"] = ticket["check_in_at"] = None
    elif isinstance(event, Ticket.Revoked):
        ticket["active"] = 0
    return ticket


# PostgreSQL text cannot hold NUL, and no database a lone surrogate. The edge refuses both now,
# but the log is forever: a name recorded with one stopped this index for everyone (the same
# row failing on every retry). Such characters are shown as U+FFFD here, in every store alike,
# so that the rebuilt and the live index stay equal.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _storable_row(row: Row) -> Row:
    return {column: _storable(value) for column, value in row.items()}


# --- Rows read back -------------------------------------------------------------------------


def scan_entry(ticket: Row, period: Row, person_name: str | None) -> ScanEntry:
    codes = dict.fromkeys(code for _, code in ticket["registrations"])
    return ScanEntry(
        ticket_id=UUID(ticket["ticket_id"]),
        person_id=UUID(ticket["person_id"]),
        active=bool(ticket["active"]),
        token_version=ticket["token_version"],
        token_hash=ticket["token_hash"],
        period_code=period["code"],
        timezone=period["timezone"],
        person_name=person_name or "",
        tracks=named_tracks(period["tracks"], codes),
        last_check_in_date=_date(ticket["check_in_date"]),
        last_check_in_at=_datetime(ticket["check_in_at"]),
    )


def attendee(row: Row, person_name: str | None, period_tracks: list[Any]) -> Attendee:
    return Attendee(
        ticket_id=UUID(row["ticket_id"]),
        person_id=UUID(row["person_id"]),
        name=person_name or "",
        local_date=date.fromisoformat(row["local_date"]),
        checked_in_at=datetime.fromisoformat(row["checked_in_at"]),
        device_id=row["device_id"],
        tracks=named_tracks(period_tracks, row["tracks"]),
        manual=bool(row["manual"]),
    )


def ticket_change(row: Row) -> TicketChange:
    return TicketChange(
        UUID(row["ticket_id"]),
        bool(row["active"]),
        int(row["token_version"]),
        _datetime(row["changed_at"]),
        int(row["position"]),
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
