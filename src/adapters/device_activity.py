"""When each door device was last seen: one small table beside the events (made by migration
3, ``adapters.migrations``), or memory."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg

from application.errors import StoreUnavailable

if TYPE_CHECKING:
    from adapters.eventstore import StoreConfig

# A later time wins: two processes writing out of order never move it back.
_UPSERT = (
    "INSERT INTO {seen} (device_id, last_seen) VALUES (%s, %s) ON CONFLICT (device_id)"
    " DO UPDATE SET last_seen = excluded.last_seen WHERE excluded.last_seen > {seen}.last_seen"
)
_SELECT = "SELECT device_id, last_seen FROM {seen}"


class SqlDeviceActivity:
    """On one connection of its own (writes are rare: at most one per device per half minute)."""

    def __init__(self, config: StoreConfig) -> None:
        self._config = config
        self._postgres = config.is_postgres
        schema = config.env(create_table=False).get("POSTGRES_SCHEMA") if self._postgres else None
        prefix = '"' + schema.replace('"', '""') + '".' if schema else ""
        self._names = {"seen": f"{prefix}device_last_seen"}
        self._lock = threading.Lock()
        self._connection: Any = None

    def seen(self, device_id: UUID, at: datetime) -> None:
        with self._transaction() as run:
            run(_UPSERT, (str(device_id), at.timestamp()))

    def last_seen(self) -> dict[UUID, datetime]:
        with self._transaction() as run:
            rows = run(_SELECT)
        return {UUID(d): datetime.fromtimestamp(float(t), UTC) for d, t in rows}

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock:
            connection = self._connect()
            cursor = connection.cursor()

            def run(statement: str, params: Sequence[Any] = ()) -> list[Any]:
                sql = statement.format(**self._names)
                if not self._postgres:
                    sql = sql.replace("%s", "?")
                cursor.execute(sql, tuple(params))
                return list(cursor.fetchall()) if cursor.description else []

            try:
                if not self._postgres:
                    cursor.execute("BEGIN IMMEDIATE")
                yield run
                connection.commit()
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                with suppress(Exception):
                    connection.close()  # its state is unknown: the next call opens a new one
                self._connection = None
                raise StoreUnavailable(f"the database failed: {type(error).__name__}") from error
            except BaseException:
                try:
                    connection.rollback()
                except Exception:  # a dead connection: the next call opens a new one
                    self._connection = None
                raise
            finally:
                cursor.close()

    def _connect(self) -> Any:
        if self._connection is not None and not getattr(self._connection, "broken", False):
            return self._connection
        if self._postgres:
            self._connection = self._config.connect_postgres()
        else:
            path = self._config.env(create_table=False)["SQLITE_DBNAME"]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(
                path,
                timeout=self._config.lock_timeout_seconds,
                isolation_level=None,
                check_same_thread=False,  # the lock serializes its users
            )
        return self._connection


class MemoryDeviceActivity:
    def __init__(self) -> None:
        self._seen: dict[UUID, datetime] = {}
        self._lock = threading.Lock()

    def seen(self, device_id: UUID, at: datetime) -> None:
        with self._lock:
            if device_id not in self._seen or at > self._seen[device_id]:
                self._seen[device_id] = at

    def last_seen(self) -> dict[UUID, datetime]:
        with self._lock:
            return dict(self._seen)

    def close(self) -> None:
        return None
