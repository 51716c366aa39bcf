"""The admin alert list: a read model of every alert, open or acknowledged, newest first.

Followed from the log by the worker (or rebuilt by the auditors' replay) like the scan index:
each event's row change and the list's position are written in one transaction, so the list
is exactly the log's up to its position. Table ``alert_list_alerts`` beside the events, its
position in ``follower_positions`` (both made by the migrations), or memory (the in-memory
store, and the replay's scratch copies). Pages are read by position (the notification id of
the alert's ``Raised`` event), which orders the list and makes cursors that stay valid while
new alerts arrive.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.persistence import Notification

from adapters.persistence import read_models
from adapters.persistence.read_models import FollowedReadModel
from adapters.persistence.sql_tables import Run, SqlTables
from adapters.persistence.store_config import StoreConfig
from application.alerts.ports import AlertNotice, AlertQuery, ListedAlert
from domain.alert import Alert, AlertState

NAME: Final = "alert-list"  # names its recorded position: stable
TOPICS: Final = (Alert.Raised.TOPIC, Alert.Acknowledged.TOPIC)
_COLUMNS: Final = (
    "alert_id",
    "position",
    "kind",
    "severity",
    "message",
    "subject",
    "created_at",
    "state",
    "acknowledged_at",
    "acknowledged_by",
)
TABLES: Final = {"alerts": "alert_list_alerts", "positions": read_models.POSITIONS_TABLE}
_Row = dict[str, Any]


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC time: its text order is its time order (``since`` compares text)."""
    # isoformat, not strftime: %Y does not pad years before 1000 on every platform.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _row_of(notification: Notification, event: Any) -> _Row | None:
    """The row a Raised event makes; None for other events."""
    if not isinstance(event, Alert.Raised):
        return None
    return {
        "alert_id": str(event.originator_id),
        "position": notification.id,
        "kind": event.kind.value,
        "severity": event.severity.value,
        "message": event.message,
        "subject": event.subject,
        "created_at": utc_text(event.timestamp),
        "state": AlertState.OPEN.value,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }


def _listed(row: _Row) -> ListedAlert:
    return ListedAlert(
        AlertNotice(
            alert_id=UUID(row["alert_id"]),
            kind=row["kind"],
            severity=row["severity"],
            message=row["message"],
            subject=row["subject"],
            created_at=datetime.fromisoformat(row["created_at"]),
            state=row["state"],
        ),
        int(row["position"]),
    )


class _AlertList(FollowedReadModel):
    """The projection and its queries, whatever stores the rows."""

    name: str = NAME
    topics: tuple[str, ...] = TOPICS

    def _apply(self, rows: _Rows, notification: Notification, event: Any) -> None:
        row = _row_of(notification, event)
        if row is not None:
            rows.insert(row)
        elif isinstance(event, Alert.Acknowledged):
            rows.acknowledge(str(event.originator_id), utc_text(event.timestamp), event.by)

    def scratch(self) -> MemoryAlertList:
        return MemoryAlertList()

    def replace_with(self, rebuilt: Any) -> None:
        if not isinstance(rebuilt, _AlertList):
            raise TypeError(f"an alert list is replaced with an alert list, not {rebuilt!r}")
        self._replace(rebuilt.state(), rebuilt.position())

    @abstractmethod
    def position(self) -> int: ...

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """Every row by alert id."""

    def entries(self) -> Iterator[tuple[str, Any]]:
        # Alerts are few (one per kind and subject): sorting them in memory is fine.
        return iter(sorted(self.state().items()))

    @abstractmethod
    def page(self, query: AlertQuery) -> list[ListedAlert]: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _replace(self, rows: dict[str, _Row], position: int) -> None: ...


class _Rows(ABC):
    @abstractmethod
    def insert(self, row: _Row) -> None: ...

    @abstractmethod
    def acknowledge(self, alert_id: str, at: str, by: str) -> None: ...

    @abstractmethod
    def set_position(self, position: int) -> None: ...


# --- In memory ------------------------------------------------------------------------------


class _MemoryRows(_Rows):
    def __init__(self, rows: dict[str, _Row], position: int) -> None:
        self.rows = rows
        self.position = position
        self.changed: dict[str, _Row] = {}  # applied only when the event has applied

    def insert(self, row: _Row) -> None:
        self.changed[row["alert_id"]] = row

    def acknowledge(self, alert_id: str, at: str, by: str) -> None:
        found = self.changed.get(alert_id) or self.rows.get(alert_id)
        if found is not None:
            self.changed[alert_id] = found | {
                "state": AlertState.ACKNOWLEDGED.value,
                "acknowledged_at": at,
                "acknowledged_by": by,
            }

    def set_position(self, position: int) -> None:
        self.position = position


class MemoryAlertList(_AlertList):
    """The list in memory: for the in-memory store, and the replay's scratch copies."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._position = 0
        self._lock = threading.Lock()

    def position(self) -> int:
        return self._position

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {key: dict(row) for key, row in self._rows.items()}

    def page(self, query: AlertQuery) -> list[ListedAlert]:
        since = utc_text(query.since) if query.since is not None else None
        with self._lock:
            rows = sorted(self._rows.values(), key=lambda row: -row["position"])
        return [
            _listed(row)
            for row in rows
            if (query.kind is None or row["kind"] == query.kind)
            and (query.state is None or row["state"] == query.state)
            and (since is None or row["created_at"] >= since)
            and (query.before is None or row["position"] < query.before)
        ][: query.limit]

    def close(self) -> None:
        return None

    @contextmanager
    def _transaction(self) -> Iterator[tuple[_Rows, int]]:
        with self._lock:
            rows = _MemoryRows(self._rows, self._position)
            yield rows, self._position
            self._rows.update(rows.changed)
            self._position = rows.position

    def _replace(self, rows: dict[str, _Row], position: int) -> None:
        with self._lock:
            self._rows = {key: dict(row) for key, row in rows.items()}
            self._position = position


# --- SQLite and PostgreSQL ------------------------------------------------------------------

_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM {{alerts}}"  # noqa: S608 (constants only)
_INSERT = (
    f"INSERT INTO {{alerts}} ({', '.join(_COLUMNS)})"  # noqa: S608
    f" VALUES ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT (alert_id) DO NOTHING"
)
_ACKNOWLEDGE = (
    "UPDATE {alerts} SET state = ?, acknowledged_at = ?, acknowledged_by = ? WHERE alert_id = ?"
)
# Each filter a fixed fragment; only their parameters vary.
_FILTERS: Final = {
    "kind": "kind = ?",
    "state": "state = ?",
    "since": "created_at >= ?",
    "before": "position < ?",
}


class _SqlRows(_Rows):
    def __init__(self, run: Run) -> None:
        self._run = run

    def insert(self, row: _Row) -> None:
        self._run(_INSERT, tuple(row[c] for c in _COLUMNS))

    def acknowledge(self, alert_id: str, at: str, by: str) -> None:
        self._run(_ACKNOWLEDGE, (AlertState.ACKNOWLEDGED.value, at, by, alert_id))

    def set_position(self, position: int) -> None:
        read_models.set_position(self._run, NAME, position)


class SqlAlertList(_AlertList):
    """The list in tables beside the events (``adapters.persistence.migrations`` makes them)."""

    def __init__(self, config: StoreConfig) -> None:
        self._tables = SqlTables(config, TABLES, pool_name=NAME)

    def position(self) -> int:
        with self._transaction_run() as run:
            return read_models.position(run, NAME)

    def state(self) -> dict[str, Any]:
        with self._transaction_run() as run:
            rows = run(_SELECT)
        return {str(row[0]): dict(zip(_COLUMNS, row, strict=True)) for row in rows}

    def page(self, query: AlertQuery) -> list[ListedAlert]:
        values = {
            "kind": query.kind,
            "state": query.state,
            "since": utc_text(query.since) if query.since is not None else None,
            "before": query.before,
        }
        used = [name for name, value in values.items() if value is not None]
        where = f" WHERE {' AND '.join(_FILTERS[name] for name in used)}" if used else ""
        with self._transaction_run() as run:
            rows = run(
                f"{_SELECT}{where} ORDER BY position DESC LIMIT ?",
                (*(values[name] for name in used), query.limit),
            )
        return [_listed(dict(zip(_COLUMNS, row, strict=True))) for row in rows]

    def close(self) -> None:
        self._tables.close()

    @contextmanager
    def _transaction(self) -> Iterator[tuple[_Rows, int]]:
        with self._transaction_run(write=True) as run:
            yield _SqlRows(run), read_models.position(run, NAME, lock=self._tables.postgres)

    def _replace(self, rows: dict[str, _Row], position: int) -> None:
        with self._transaction_run(write=True) as run:
            run("DELETE FROM {alerts}")
            sql_rows = _SqlRows(run)
            for row in rows.values():
                sql_rows.insert(row)
            sql_rows.set_position(position)

    def _transaction_run(self, *, write: bool = False) -> Any:
        return self._tables.transaction(write=write)
