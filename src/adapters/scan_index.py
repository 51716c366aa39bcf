"""The scan index: a read model of each ticket's status, current token hash and last check-in.

Followed from the log by the worker (or rebuilt by the auditors' replay); each event's view
update and the index's position are written in one transaction, so the view is exactly the
log's up to its position. Kept in the event store's own database: SQLite or PostgreSQL tables
beside the events, or memory (the in-memory store, and the replay's scratch copies).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification

from adapters.eventstore import StoreConfig
from adapters.pg_connections import DeadlinePool, deadline_pool
from application.errors import StoreUnavailable
from application.ports import Attendee, ScanEntry, TicketChange
from domain.period import Period
from domain.person import Person
from domain.ticket import Ticket

NAME = "scan-index"  # names its recorded position: stable
PREFIX = "scan_index"

_Row = dict[str, Any]

TOPICS = (
    Period.Scheduled.TOPIC,
    Person.Registered.TOPIC,
    Person.ProfileUpdated.TOPIC,
    Ticket.Issued.TOPIC,
    Ticket.RegistrationsAdded.TOPIC,
    Ticket.RegistrationsRemoved.TOPIC,
    Ticket.QrTokenIssued.TOPIC,
    Ticket.CheckedIn.TOPIC,
    Ticket.Revoked.TOPIC,
)

_TICKET_COLUMNS = (
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
_PERIOD_COLUMNS = ("period_id", "code", "timezone", "tracks")
_PERSON_COLUMNS = ("person_id", "name")
# A ticket revoked or rotated, for offline doors: its last change, by the log's position.
_CHANGE_COLUMNS = ("ticket_id", "period_id", "active", "token_version", "changed_at", "position")
# Attendance: a ticket checked in on a day (in the period's timezone), keyed "<ticket>/<date>".
_ATTENDANCE_COLUMNS = (
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


class _Rows(ABC):
    """One transaction's access to the three tables, rows as plain JSON-able dicts."""

    @abstractmethod
    def get(self, table: str, key: str) -> _Row | None: ...

    @abstractmethod
    def put(self, table: str, row: _Row) -> None: ...

    @abstractmethod
    def set_position(self, position: int) -> None:
        """The last notification handled: written in the same transaction as the rows."""


class _ScanIndex(ABC):
    """The projection, whatever stores it: ``handle`` turns each event into row changes."""

    name: str = NAME
    topics: tuple[str, ...] = TOPICS

    def handle(self, notification: Notification, event: Any) -> None:
        with self._transaction() as (rows, position):
            if notification.id <= position:
                return  # handled before a crash or a takeover: at-least-once made exactly-once
            _project(_StorableRows(rows), event, notification.id)
            rows.set_position(notification.id)

    def lookup(self, ticket_id: UUID) -> ScanEntry | None:
        found = self._joined(str(ticket_id))
        return _entry(*found) if found is not None else None

    def period_entries(self, period_code: str) -> list[ScanEntry]:
        return [_entry(*found) for found in self._joined_of_period(period_code)]

    def attendance(self, period_code: str, day: date | None = None) -> list[Attendee]:
        found = []
        for row, name, period_tracks in self._attendance_rows(period_code, day):
            names = dict(period_tracks)
            found.append(
                Attendee(
                    ticket_id=UUID(row["ticket_id"]),
                    person_id=UUID(row["person_id"]),
                    name=name or "",
                    local_date=date.fromisoformat(row["local_date"]),
                    checked_in_at=datetime.fromisoformat(row["checked_in_at"]),
                    device_id=row["device_id"],
                    tracks=tuple((code, names.get(code, code)) for code in row["tracks"]),
                    manual=bool(row["manual"]),
                )
            )
        return sorted(found, key=lambda a: (a.local_date, a.checked_in_at, a.name))

    def changes(self, period_code: str, since: int, limit: int) -> list[TicketChange]:
        return [
            TicketChange(UUID(row[0]), bool(row[1]), int(row[2]), _datetime(row[3]), int(row[4]))
            for row in self._changes_of_period(period_code, since, limit)
        ]

    def scratch(self) -> MemoryScanIndex:
        return MemoryScanIndex()

    def replace_with(self, rebuilt: Any) -> None:
        if not isinstance(rebuilt, _ScanIndex):
            raise TypeError(f"a scan index is replaced with a scan index, not {rebuilt!r}")
        self._replace(rebuilt.dump(), rebuilt.position())

    def state(self) -> dict[str, Any]:
        tables = self.dump()
        return {
            f"{table}:{key}": row
            for table, table_rows in tables.items()
            for key, row in sorted(table_rows.items())
        }

    @abstractmethod
    def position(self) -> int: ...

    @abstractmethod
    def dump(self) -> dict[str, dict[str, _Row]]:
        """Every row, by table and key."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _transaction(self) -> Any:
        """A context giving (rows, position) for one atomic update."""

    @abstractmethod
    def _joined(self, ticket_id: str) -> tuple[_Row, _Row, str | None] | None: ...

    @abstractmethod
    def _joined_of_period(self, period_code: str) -> list[tuple[_Row, _Row, str | None]]: ...

    @abstractmethod
    def _attendance_rows(self, period_code: str, day: date | None) -> list[Any]:
        """(attendance row, person's name, period's tracks) of the period, on a day or all."""

    @abstractmethod
    def _changes_of_period(self, period_code: str, since: int, limit: int) -> list[Any]:
        """(ticket_id, active, token_version, changed_at, position) rows, by position."""

    @abstractmethod
    def _replace(self, tables: dict[str, dict[str, _Row]], position: int) -> None: ...


def _entry(ticket: _Row, period: _Row, person_name: str | None) -> ScanEntry:
    names = dict(period["tracks"])
    codes = dict.fromkeys(code for _, code in ticket["registrations"])
    return ScanEntry(
        ticket_id=UUID(ticket["ticket_id"]),
        active=bool(ticket["active"]),
        token_version=ticket["token_version"],
        token_hash=ticket["token_hash"],
        period_code=period["code"],
        timezone=period["timezone"],
        person_name=person_name or "",
        tracks=tuple((code, names.get(code, code)) for code in codes),
        last_check_in_date=_date(ticket["check_in_date"]),
        last_check_in_at=_datetime(ticket["check_in_at"]),
    )


# --- The projection: one event, its row changes ---------------------------------------------

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


class _StorableRows(_Rows):
    """The rows of one transaction, with text every store can hold."""

    def __init__(self, rows: _Rows) -> None:
        self._rows = rows

    def get(self, table: str, key: str) -> _Row | None:
        return self._rows.get(table, key)

    def put(self, table: str, row: _Row) -> None:
        self._rows.put(table, {column: _storable(value) for column, value in row.items()})

    def set_position(self, position: int) -> None:
        self._rows.set_position(position)


def _project(rows: _Rows, event: Any, position: int) -> None:
    if isinstance(event, Period.Scheduled):
        rows.put(
            "periods",
            {
                "period_id": str(event.originator_id),
                "code": event.code,
                "timezone": event.timezone,
                "tracks": [[t.code, t.name] for t in event.tracks],
            },
        )
    elif isinstance(event, Person.Registered | Person.ProfileUpdated):
        rows.put("persons", {"person_id": str(event.originator_id), "name": event.name})
    elif isinstance(event, Ticket.Issued):
        rows.put(
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
    elif isinstance(event, Ticket.Event):
        ticket = rows.get("tickets", str(event.originator_id))
        if ticket is None:
            return  # its Issued was not followed: nothing sane to add to
        _project_ticket(ticket, event)
        rows.put("tickets", ticket)
        if isinstance(event, Ticket.CheckedIn):
            # Who came to class: one row per ticket and day, with the tracks it covered then.
            day = event.local_date.isoformat()
            rows.put(
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
        if isinstance(event, Ticket.Revoked) or (
            isinstance(event, Ticket.QrTokenIssued) and event.version > 1
        ):
            # What an offline door must learn: this ticket's status or current version moved.
            rows.put(
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


def _project_ticket(ticket: _Row, event: Ticket.Event) -> None:
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
    elif isinstance(event, Ticket.Revoked):
        ticket["active"] = 0


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- In memory ------------------------------------------------------------------------------


class _MemoryRows(_Rows):
    """One event's changes, kept apart until it has applied: a failing event changes nothing.

    Only the rows an event touches are buffered; copying whole tables per event made a replay
    of the log quadratic in its length.
    """

    def __init__(self, tables: dict[str, dict[str, _Row]], position: int) -> None:
        self.tables = tables
        self.position = position
        self.changed: dict[tuple[str, str], _Row] = {}

    def get(self, table: str, key: str) -> _Row | None:
        row = self.changed.get((table, key)) or self.tables[table].get(key)
        return json.loads(json.dumps(row)) if row is not None else None  # a copy, like SQL's

    def put(self, table: str, row: _Row) -> None:
        self.changed[(table, str(row[_TABLES[table][0]]))] = row

    def set_position(self, position: int) -> None:
        self.position = position

    def commit(self) -> None:
        for (table, key), row in self.changed.items():
            self.tables[table][key] = row


class MemoryScanIndex(_ScanIndex):
    """The index in memory: for the in-memory store, and the replay's scratch copies."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, _Row]] = {
            "tickets": {},
            "periods": {},
            "persons": {},
            "changes": {},
            "attendance": {},
        }
        self._position = 0
        self._lock = threading.Lock()

    def position(self) -> int:
        return self._position

    def dump(self) -> dict[str, dict[str, _Row]]:
        with self._lock:
            return json.loads(json.dumps(self._tables))  # type: ignore[no-any-return]

    def close(self) -> None:
        return None

    @contextmanager
    def _transaction(self) -> Iterator[tuple[_Rows, int]]:
        with self._lock:
            rows = _MemoryRows(self._tables, self._position)
            yield rows, self._position
            rows.commit()
            self._position = rows.position

    def _joined(self, ticket_id: str) -> tuple[_Row, _Row, str | None] | None:
        with self._lock:
            ticket = self._tables["tickets"].get(ticket_id)
            period = self._tables["periods"].get(ticket["period_id"]) if ticket else None
            if ticket is None or period is None:
                return None
            person = self._tables["persons"].get(ticket["person_id"])
            return ticket, period, person["name"] if person else None

    def _joined_of_period(self, period_code: str) -> list[tuple[_Row, _Row, str | None]]:
        with self._lock:
            ids = {
                p["period_id"] for p in self._tables["periods"].values() if p["code"] == period_code
            }
        return [
            found
            for ticket_id, ticket in list(self._tables["tickets"].items())
            if ticket["period_id"] in ids and (found := self._joined(ticket_id)) is not None
        ]

    def _attendance_rows(self, period_code: str, day: date | None) -> list[Any]:
        with self._lock:
            periods = {
                p["period_id"]: p
                for p in self._tables["periods"].values()
                if p["code"] == period_code
            }
            return [
                (
                    a,
                    (self._tables["persons"].get(a["person_id"]) or {}).get("name"),
                    periods[a["period_id"]]["tracks"],
                )
                for a in self._tables["attendance"].values()
                if a["period_id"] in periods and (day is None or a["local_date"] == day.isoformat())
            ]

    def _changes_of_period(self, period_code: str, since: int, limit: int) -> list[Any]:
        with self._lock:
            ids = {
                p["period_id"] for p in self._tables["periods"].values() if p["code"] == period_code
            }
            rows = sorted(
                (c["position"], c)
                for c in self._tables["changes"].values()
                if c["period_id"] in ids and c["position"] > since
            )
        return [
            (c["ticket_id"], c["active"], c["token_version"], c["changed_at"], c["position"])
            for _, c in rows[:limit]
        ]

    def _replace(self, tables: dict[str, dict[str, _Row]], position: int) -> None:
        with self._lock:
            self._tables = tables
            self._position = position


# --- SQLite and PostgreSQL ------------------------------------------------------------------

_JSON_COLUMNS = frozenset({"registrations", "tracks"})  # attendance.tracks too
_TABLES = {
    "tickets": _TICKET_COLUMNS,
    "periods": _PERIOD_COLUMNS,
    "persons": _PERSON_COLUMNS,
    "changes": _CHANGE_COLUMNS,
    "attendance": _ATTENDANCE_COLUMNS,
}
# Statements with ``?`` placeholders and ``{table}`` names, filled in by the runner. Only this
# module's constants go into them, never a value: values are always parameters.
_SELECT_ALL = {t: f"SELECT {', '.join(c)} FROM {{{t}}}" for t, c in _TABLES.items()}  # noqa: S608
_SELECT_ONE = {t: f"{_SELECT_ALL[t]} WHERE {c[0]} = ?" for t, c in _TABLES.items()}


def _upsert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    insert = f"INSERT INTO {{{table}}} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    return f"{insert} ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}"


_UPSERT = {t: _upsert(t, c) for t, c in _TABLES.items()}
_DELETE_ALL = {t: f"DELETE FROM {{{t}}}" for t in _TABLES}  # noqa: S608
_JOINED = (
    "SELECT "  # noqa: S608
    + ", ".join([*(f"t.{c}" for c in _TICKET_COLUMNS), *(f"p.{c}" for c in _PERIOD_COLUMNS)])
    + ", s.name FROM {tickets} t JOIN {periods} p ON p.period_id = t.period_id"
    " LEFT JOIN {persons} s ON s.person_id = t.person_id"
)
_LOOKUP = _JOINED + " WHERE t.ticket_id = ?"
_OF_PERIOD = _JOINED + " WHERE p.code = ?"
_CHANGES = (
    "SELECT c.ticket_id, c.active, c.token_version, c.changed_at, c.position"
    " FROM {changes} c JOIN {periods} p ON p.period_id = c.period_id"
    " WHERE p.code = ? AND c.position > ? ORDER BY c.position LIMIT ?"
)
_ATTENDANCE = (
    "SELECT "  # noqa: S608
    + ", ".join(f"a.{c}" for c in _ATTENDANCE_COLUMNS)
    + ", s.name, p.tracks FROM {attendance} a JOIN {periods} p ON p.period_id = a.period_id"
    " LEFT JOIN {persons} s ON s.person_id = a.person_id WHERE p.code = ?"
)
_ATTENDANCE_ON = _ATTENDANCE + " AND a.local_date = ?"
_POSITION = "SELECT position FROM {tracking} WHERE name = ?"
_SET_POSITION = "UPDATE {tracking} SET position = ? WHERE name = ?"


class _SqlRows(_Rows):
    def __init__(self, run: Any, names: dict[str, str]) -> None:
        self._run = run
        self._names = names

    def get(self, table: str, key: str) -> _Row | None:
        found = self._run(_SELECT_ONE[table], (key,))
        return _decoded(_TABLES[table], found[0]) if found else None

    def put(self, table: str, row: _Row) -> None:
        self._run(_UPSERT[table], _encoded(_TABLES[table], row))

    def set_position(self, position: int) -> None:
        self._run(_SET_POSITION, (position, NAME))


class SqlScanIndex(_ScanIndex):
    """The index in tables beside the events: SQLite (one connection) or PostgreSQL (a pool)."""

    def __init__(self, config: StoreConfig) -> None:
        """The tables must exist: ``adapters.migrations`` makes them."""
        self._config = config
        self._postgres = config.is_postgres
        schema = config.env(create_table=False).get("POSTGRES_SCHEMA") if self._postgres else None
        qualifier = f"{_quoted(schema)}." if schema else ""
        self._names = {
            table: f"{qualifier}{PREFIX}_{table}"
            for table in ("tickets", "periods", "persons", "changes", "attendance", "tracking")
        }
        self._pool: DeadlinePool | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # SQLite's one connection, and opening the pool

    def position(self) -> int:
        with self._connection(single=True) as run:
            found = run(_POSITION, (NAME,))
        return int(found[0][0]) if found else 0

    def dump(self) -> dict[str, dict[str, _Row]]:
        with self._connection() as run:
            return {
                table: {str(row[0]): _decoded(columns, row) for row in run(_SELECT_ALL[table])}
                for table, columns in _TABLES.items()
            }

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None

    @contextmanager
    def _transaction(self) -> Iterator[tuple[_Rows, int]]:
        with self._connection(write=True) as run:
            # Locks the position row: a second worker waits, then sees the event handled.
            found = run(f"{_POSITION} FOR UPDATE" if self._postgres else _POSITION, (NAME,))
            yield _SqlRows(run, self._names), int(found[0][0]) if found else 0

    def _joined(self, ticket_id: str) -> tuple[_Row, _Row, str | None] | None:
        with self._connection(single=True) as run:
            found = run(_LOOKUP, (ticket_id,))
        return _split(found[0]) if found else None

    def _joined_of_period(self, period_code: str) -> list[tuple[_Row, _Row, str | None]]:
        with self._connection(single=True) as run:
            return [_split(row) for row in run(_OF_PERIOD, (period_code,))]

    def _attendance_rows(self, period_code: str, day: date | None) -> list[Any]:
        with self._connection(single=True) as run:
            found = (
                run(_ATTENDANCE, (period_code,))
                if day is None
                else run(_ATTENDANCE_ON, (period_code, day.isoformat()))
            )
        split = len(_ATTENDANCE_COLUMNS)
        return [
            (_decoded(_ATTENDANCE_COLUMNS, row[:split]), row[split], json.loads(row[split + 1]))
            for row in found
        ]

    def _changes_of_period(self, period_code: str, since: int, limit: int) -> list[Any]:
        with self._connection(single=True) as run:
            rows: list[Any] = run(_CHANGES, (period_code, since, limit))
        return rows

    def _replace(self, tables: dict[str, dict[str, _Row]], position: int) -> None:
        with self._connection(write=True) as run:
            rows = _SqlRows(run, self._names)
            for table in _TABLES:
                run(_DELETE_ALL[table])
                for row in tables[table].values():
                    rows.put(table, row)
            rows.set_position(position)

    @contextmanager
    def _connection(self, *, write: bool = False, single: bool = False) -> Iterator[Any]:
        """A callable running SQL (``?`` placeholders, ``{table}`` names) in one transaction.

        ``single``: one statement, atomic by itself: no BEGIN and COMMIT round trips (a scan's
        lookup is one SELECT, and the door waits for it).
        """
        if self._postgres:
            try:
                with self._postgres_pool().connection() as connection:
                    if single:
                        yield self._runner(connection.cursor())
                        return
                    with connection.transaction():
                        yield self._runner(connection.cursor())
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                raise StoreUnavailable(f"the database failed: {type(error).__name__}") from error
            return
        with self._lock:
            connection = self._sqlite_connection()
            cursor = connection.cursor()
            if single:
                try:
                    yield self._runner(cursor)
                finally:
                    cursor.close()
                return
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._runner(cursor)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()

    def _runner(self, cursor: Any) -> Any:
        def run(statement: str, params: Sequence[Any] = ()) -> list[Any]:
            sql = statement.format(**self._names)
            if self._postgres:
                sql = sql.replace("?", "%s")
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall()) if cursor.description else []

        return run

    def _postgres_pool(self) -> DeadlinePool:
        with self._lock:
            if self._pool is None:
                config = self._config
                self._pool = deadline_pool(
                    connect_timeout=config.connect_timeout_seconds,
                    statement_timeout=config.statement_timeout_seconds,
                    # Transactions are begun where needed; a lone SELECT needs none.
                    conninfo=config.postgres_conninfo(),
                    kwargs={"autocommit": True},
                    min_size=1,
                    max_size=config.pool_size,
                    name="scan-index",
                )
                self._pool.open()
            return self._pool

    def _sqlite_connection(self) -> sqlite3.Connection:
        if self._sqlite is None:
            path = self._config.env(create_table=False)["SQLITE_DBNAME"]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._sqlite = sqlite3.connect(
                path,
                timeout=self._config.lock_timeout_seconds,
                isolation_level=None,  # transactions are begun explicitly
                check_same_thread=False,  # the lock serializes its users
            )
        return self._sqlite


def open_scan_index(config: StoreConfig) -> SqlScanIndex | MemoryScanIndex:
    """The index beside the event store (its tables are made by the migrations)."""
    if config.is_postgres or config.url.startswith("sqlite"):
        return SqlScanIndex(config)
    return MemoryScanIndex()


def _encoded(columns: Sequence[str], row: _Row) -> tuple[Any, ...]:
    return tuple(json.dumps(row[c]) if c in _JSON_COLUMNS else row[c] for c in columns)


def _decoded(columns: Sequence[str], values: Sequence[Any]) -> _Row:
    return {
        c: json.loads(v) if c in _JSON_COLUMNS else v for c, v in zip(columns, values, strict=True)
    }


def _split(row: Sequence[Any]) -> tuple[_Row, _Row, str | None]:
    """A joined row: the ticket's columns, the period's, the person's name."""
    split = len(_TICKET_COLUMNS)
    return (
        _decoded(_TICKET_COLUMNS, row[:split]),
        _decoded(_PERIOD_COLUMNS, row[split : split + len(_PERIOD_COLUMNS)]),
        row[-1],
    )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
