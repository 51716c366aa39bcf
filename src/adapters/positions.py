"""Followers' positions and pending jobs: two small tables beside the events.

Their shapes are made by ``adapters.migrations``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from application.errors import StoreUnavailable
from application.ports import Job

if TYPE_CHECKING:
    from adapters.eventstore import StoreConfig

PENDING, CLAIMED, DONE = "pending", "claimed", "done"


class SqlFollowerStore:
    """A ``FollowerStore`` on one connection of its own, used by the worker's thread.

    Jobs are queued in the same transaction as the position moves past the event that made
    them: a crash either keeps both or neither, so an event's jobs are never lost.
    """

    def __init__(self, config: StoreConfig) -> None:
        self._config = config
        self._postgres = config.is_postgres
        schema = config.env(create_table=False).get("POSTGRES_SCHEMA") if self._postgres else None
        prefix = f"{_quoted(schema)}." if schema else ""
        self._names = {
            "positions": f"{prefix}follower_positions",
            "jobs": f"{prefix}follower_jobs",
            "jobs_index": "follower_jobs_due",
        }
        self._lock = threading.Lock()
        self._connection: Any = None

    def position(self, follower: str) -> int:
        with self._transaction() as run:
            rows = run("SELECT position FROM {positions} WHERE follower = %s", (follower,))
        return int(rows[0][0]) if rows else 0

    def advance(
        self, follower: str, position: int, jobs: Sequence[tuple[str, dict[str, str]]] = ()
    ) -> None:
        with self._transaction() as run:
            for key, data in jobs:
                # Due at once (epoch 0), and in log order: the position that queued it.
                run(
                    "INSERT INTO {jobs} (follower, key, data, status, attempts, due_at, queued)"
                    " VALUES (%s, %s, %s, %s, 0, 0, %s) ON CONFLICT (follower, key) DO NOTHING",
                    (follower, key, json.dumps(data), PENDING, position),
                )
            run(
                "INSERT INTO {positions} (follower, position) VALUES (%s, %s)"
                " ON CONFLICT (follower) DO UPDATE SET position = excluded.position",
                (follower, position),
            )

    def due(self, follower: str, now: datetime, limit: int) -> list[Job]:
        with self._transaction() as run:
            rows = run(
                "SELECT key, data, attempts FROM {jobs}"
                " WHERE follower = %s AND status = %s AND due_at <= %s"
                " ORDER BY due_at, queued, key LIMIT %s",
                (follower, PENDING, _epoch(now), limit),
            )
        return [Job(key, json.loads(data), int(attempts)) for key, data, attempts in rows]

    def claim(self, follower: str, key: str) -> bool:
        with self._transaction() as run:
            rows = run(
                "UPDATE {jobs} SET status = %s WHERE follower = %s AND key = %s AND status = %s"
                " RETURNING key",
                (CLAIMED, follower, key, PENDING),
            )
        return bool(rows)

    def retry_at(self, follower: str, key: str, when: datetime) -> None:
        with self._transaction() as run:
            run(
                "UPDATE {jobs} SET status = %s, attempts = attempts + 1, due_at = %s"
                " WHERE follower = %s AND key = %s AND status != %s",
                (PENDING, _epoch(when), follower, key, DONE),
            )

    def done(self, follower: str, key: str) -> None:
        with self._transaction() as run:
            run(
                "UPDATE {jobs} SET status = %s WHERE follower = %s AND key = %s",
                (DONE, follower, key),
            )

    def abandon_claimed(self, follower: str) -> list[str]:
        with self._transaction() as run:
            rows = run(
                "UPDATE {jobs} SET status = %s WHERE follower = %s AND status = %s RETURNING key",
                (DONE, follower, CLAIMED),
            )
        return [row[0] for row in rows]

    def pending_count(self, follower: str) -> int:
        """Jobs not done yet (for tests and operators)."""
        with self._transaction() as run:
            rows = run(
                "SELECT COUNT(*) FROM {jobs} WHERE follower = %s AND status != %s",
                (follower, DONE),
            )
        return int(rows[0][0])

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A callable running SQL (``%s`` placeholders) in one transaction, committed at exit."""
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
                self._rollback_or_drop(connection)
                raise StoreUnavailable(f"the database failed: {type(error).__name__}") from error
            except BaseException:
                self._rollback_or_drop(connection)
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
                isolation_level=None,  # transactions are begun explicitly (BEGIN IMMEDIATE)
                check_same_thread=False,  # the lock above serializes its users
            )
        return self._connection

    def _rollback_or_drop(self, connection: Any) -> None:
        try:
            connection.rollback()
        except Exception:  # a dead connection: the next call opens a new one
            self._connection = None


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class MemoryFollowerStore:
    """A ``FollowerStore`` in memory: for the in-memory event store and for unit tests."""

    def __init__(self) -> None:
        self._positions: dict[str, int] = {}
        # (follower, key) -> [data, status, attempts, due_at, queued]
        self._jobs: dict[tuple[str, str], list[Any]] = {}
        self._lock = threading.Lock()

    def position(self, follower: str) -> int:
        return self._positions.get(follower, 0)

    def advance(
        self, follower: str, position: int, jobs: Sequence[tuple[str, dict[str, str]]] = ()
    ) -> None:
        with self._lock:
            for key, data in jobs:
                self._jobs.setdefault((follower, key), [dict(data), PENDING, 0, 0.0, position])
            self._positions[follower] = position

    def due(self, follower: str, now: datetime, limit: int) -> list[Job]:
        with self._lock:
            due = sorted(
                (row[3], row[4], key, row)
                for (name, key), row in self._jobs.items()
                if name == follower and row[1] == PENDING and row[3] <= _epoch(now)
            )
            return [Job(key, dict(row[0]), row[2]) for _, _, key, row in due[:limit]]

    def claim(self, follower: str, key: str) -> bool:
        with self._lock:
            row = self._jobs.get((follower, key))
            if row is None or row[1] != PENDING:
                return False
            row[1] = CLAIMED
            return True

    def retry_at(self, follower: str, key: str, when: datetime) -> None:
        with self._lock:
            row = self._jobs.get((follower, key))
            if row is not None and row[1] != DONE:
                row[1:4] = [PENDING, row[2] + 1, _epoch(when)]

    def done(self, follower: str, key: str) -> None:
        with self._lock:
            row = self._jobs.get((follower, key))
            if row is not None:
                row[1] = DONE

    def abandon_claimed(self, follower: str) -> list[str]:
        with self._lock:
            keys = [k for (n, k), row in self._jobs.items() if n == follower and row[1] == CLAIMED]
            for key in keys:
                self._jobs[(follower, key)][1] = DONE
            return keys

    def pending_count(self, follower: str) -> int:
        with self._lock:
            return sum(1 for (n, _), row in self._jobs.items() if n == follower and row[1] != DONE)

    def close(self) -> None:
        return None
