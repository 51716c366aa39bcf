"""The scan index: a read model of each ticket's status, current token hash and last check-in.

Followed from the log by the worker (or rebuilt by the auditors' replay); each event's view
update and the index's position are written in one transaction, so the view is exactly the
log's up to its position. Kept in the event store's own database: SQLite or PostgreSQL tables
beside the events (adapters.persistence.scan_index_sql), or memory (here: the in-memory
store, and the replay's scratch copies); what both share is here too.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from adapters.persistence.read_models import FollowedReadModel
from application.door.ports import Attendee, ScanEntry, TicketChange
from application.door.scan_projection import (
    NAME,
    TABLES,
    TOPICS,
    Row,
    attendee,
    row_changes,
    scan_entry,
    ticket_change,
    ticket_of,
)

# A change of a ticket as both stores read it back, in this order.
CHANGE_COLUMNS = ("ticket_id", "active", "token_version", "changed_at", "position")


class Rows(ABC):
    """One transaction's access to the three tables, rows as plain JSON-able dicts."""

    @abstractmethod
    def get(self, table: str, key: str) -> Row | None: ...

    @abstractmethod
    def put(self, table: str, row: Row) -> None: ...

    @abstractmethod
    def delete(self, table: str, key: str) -> None: ...

    @abstractmethod
    def set_position(self, position: int) -> None:
        """The last notification handled: written in the same transaction as the rows."""


class ScanIndexModel(FollowedReadModel):
    """The index's rows and queries, whatever stores them (their meaning: scan_projection)."""

    name: str = NAME
    topics: tuple[str, ...] = TOPICS

    def _apply(self, rows: Rows, notification: Notification, event: Any) -> None:
        key = ticket_of(event)
        ticket = rows.get("tickets", key) if key is not None else None
        for table, change in row_changes(event, notification.id, ticket):
            if isinstance(change, str):
                rows.delete(table, change)
            else:
                rows.put(table, change)

    def lookup(self, ticket_id: UUID) -> ScanEntry | None:
        found = self._joined(str(ticket_id))
        return scan_entry(*found) if found is not None else None

    def period_entries(self, period_code: str) -> list[ScanEntry]:
        return [scan_entry(*found) for found in self._joined_of_period(period_code)]

    def attendance(self, period_code: str, day: date | None = None) -> list[Attendee]:
        found = [attendee(*row) for row in self._attendance_rows(period_code, day)]
        return sorted(found, key=lambda a: (a.local_date, a.checked_in_at, a.name))

    def changes(self, period_code: str, since: int, limit: int) -> list[TicketChange]:
        return [
            ticket_change(dict(zip(CHANGE_COLUMNS, row, strict=True)))
            for row in self._changes_of_period(period_code, since, limit)
        ]

    def scratch(self) -> ScanIndexModel:
        return MemoryScanIndex()

    def replace_with(self, rebuilt: Any) -> None:
        if not isinstance(rebuilt, ScanIndexModel):
            raise TypeError(f"a scan index is replaced with a scan index, not {rebuilt!r}")
        self._replace(rebuilt.rows_of, rebuilt.position())

    def rows_of(self, table: str) -> Iterator[Row]:
        """The table's rows, in the order of their keys, read as they are used."""
        return (row for _, row in self._rows_by_key(table))

    def state(self) -> dict[str, Any]:
        return dict(self.entries())

    def entries(self) -> Iterator[tuple[str, Row]]:
        """``("<table>:<key>", row)``: the tables by name, each table's rows by key."""
        for table in sorted(TABLES):
            for key, row in self._rows_by_key(table):
                yield f"{table}:{key}", row

    @abstractmethod
    def position(self) -> int: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _rows_by_key(self, table: str) -> Iterator[tuple[str, Row]]:
        """The table's rows as plain JSON values, in the order of their keys (code points)."""

    @abstractmethod
    def _joined(self, ticket_id: str) -> tuple[Row, Row, str | None] | None: ...

    @abstractmethod
    def _joined_of_period(self, period_code: str) -> list[tuple[Row, Row, str | None]]: ...

    @abstractmethod
    def _attendance_rows(self, period_code: str, day: date | None) -> list[Any]:
        """(attendance row, person's name, period's tracks) of the period, on a day or all."""

    @abstractmethod
    def _changes_of_period(self, period_code: str, since: int, limit: int) -> list[Any]:
        """(ticket_id, active, token_version, changed_at, position) rows, by position."""

    @abstractmethod
    def _replace(self, rows_of: Callable[[str], Iterator[Row]], position: int) -> None:
        """Every row of every table replaced with ``rows_of(table)``'s, and the position."""


# --- In memory ------------------------------------------------------------------------------


class _MemoryRows(Rows):
    """One event's changes, kept apart until it has applied: a failing event changes nothing.

    Only the rows an event touches are buffered; copying whole tables per event made a replay
    of the log quadratic in its length.
    """

    def __init__(self, tables: dict[str, dict[str, Row]], position: int) -> None:
        self.tables = tables
        self.position = position
        self.changed: dict[tuple[str, str], Row | None] = {}  # None: deleted

    def get(self, table: str, key: str) -> Row | None:
        # As it is: the projection changes a copy (scan_projection.row_changes), never the row.
        if (table, key) in self.changed:
            return self.changed[(table, key)]
        return self.tables[table].get(key)

    def put(self, table: str, row: Row) -> None:
        self.changed[(table, str(row[TABLES[table][0]]))] = row

    def delete(self, table: str, key: str) -> None:
        self.changed[(table, key)] = None

    def set_position(self, position: int) -> None:
        self.position = position

    def commit(self) -> None:
        for (table, key), row in self.changed.items():
            if row is None:
                self.tables[table].pop(key, None)
            else:
                self.tables[table][key] = row


class MemoryScanIndex(ScanIndexModel):
    """The index in memory: for the in-memory store, and the replay's scratch copies."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, Row]] = {
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

    def close(self) -> None:
        return None

    def _rows_by_key(self, table: str) -> Iterator[tuple[str, Row]]:
        with self._lock:
            rows = self._tables[table]
            keys = sorted(rows)
        for key in keys:
            # As JSON values (tuples become lists), as the tables beside the events give them.
            yield key, json.loads(json.dumps(rows[key]))

    @contextmanager
    def _transaction(self) -> Iterator[tuple[Rows, int]]:
        with self._lock:
            rows = _MemoryRows(self._tables, self._position)
            yield rows, self._position
            rows.commit()
            self._position = rows.position

    def _joined(self, ticket_id: str) -> tuple[Row, Row, str | None] | None:
        with self._lock:
            ticket = self._tables["tickets"].get(ticket_id)
            period = self._tables["periods"].get(ticket["period_id"]) if ticket else None
            if ticket is None or period is None:
                return None
            person = self._tables["persons"].get(ticket["person_id"])
            return ticket, period, person["name"] if person else None

    def _joined_of_period(self, period_code: str) -> list[tuple[Row, Row, str | None]]:
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

    def _replace(self, rows_of: Callable[[str], Iterator[Row]], position: int) -> None:
        tables = {t: {str(row[c[0]]): row for row in rows_of(t)} for t, c in TABLES.items()}
        with self._lock:
            self._tables = tables
            self._position = position
