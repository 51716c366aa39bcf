"""The followers' store: each follower's position in the log, and the jobs it queued (emails,
alert deliveries), in tables beside the events (made by the migrations), or in memory.

The read models (scan index, alert list) keep their positions in the same table, each in the
transaction of its own rows.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.persistence.sql_tables import SqlTables
from adapters.persistence.store_config import StoreConfig
from application.worker.ports import Job

PENDING, CLAIMED, DONE = "pending", "claimed", "done"
TABLES = {"positions": "follower_positions", "jobs": "follower_jobs"}


class SqlFollowerStore:
    """A ``FollowerStore`` in tables beside the events, used by the worker's thread.

    Jobs are queued in the same transaction as the position moves past the event that made
    them: a crash either keeps both or neither, so an event's jobs are never lost.
    """

    def __init__(self, config: StoreConfig) -> None:
        self._tables = SqlTables(config, TABLES, pool_name="follower-store")

    def position(self, follower: str) -> int:
        with self._statement() as run:
            rows = run("SELECT position FROM {positions} WHERE follower = ?", (follower,))
        return int(rows[0][0]) if rows else 0

    def advance(
        self, follower: str, position: int, jobs: Sequence[tuple[str, dict[str, str]]] = ()
    ) -> None:
        with self._transaction() as run:
            for key, data in jobs:
                # Due at once (epoch 0), and in log order: the position that queued it.
                run(
                    "INSERT INTO {jobs} (follower, key, data, status, attempts, due_at, queued)"
                    " VALUES (?, ?, ?, ?, 0, 0, ?) ON CONFLICT (follower, key) DO NOTHING",
                    (follower, key, json.dumps(data), PENDING, position),
                )
            run(
                "INSERT INTO {positions} (follower, position) VALUES (?, ?)"
                " ON CONFLICT (follower) DO UPDATE SET position = excluded.position",
                (follower, position),
            )

    def due(self, follower: str, now: datetime, limit: int) -> list[Job]:
        with self._statement() as run:
            rows = run(
                "SELECT key, data, attempts FROM {jobs}"
                " WHERE follower = ? AND status = ? AND due_at <= ?"
                " ORDER BY due_at, queued, key LIMIT ?",
                (follower, PENDING, _epoch(now), limit),
            )
        return [Job(key, json.loads(data), int(attempts)) for key, data, attempts in rows]

    def claim(self, follower: str, key: str) -> bool:
        with self._statement() as run:
            rows = run(
                "UPDATE {jobs} SET status = ? WHERE follower = ? AND key = ? AND status = ?"
                " RETURNING key",
                (CLAIMED, follower, key, PENDING),
            )
        return bool(rows)

    def retry_at(self, follower: str, key: str, when: datetime) -> None:
        with self._statement() as run:
            run(
                "UPDATE {jobs} SET status = ?, attempts = attempts + 1, due_at = ?"
                " WHERE follower = ? AND key = ? AND status != ?",
                (PENDING, _epoch(when), follower, key, DONE),
            )

    def done(self, follower: str, *keys: str) -> None:
        if not keys:
            return
        with self._statement() as run:  # one statement: atomic without BEGIN and COMMIT
            run(
                "UPDATE {jobs} SET status = ? WHERE follower = ?"  # noqa: S608 (only placeholders)
                f" AND key IN ({', '.join('?' * len(keys))})",
                (DONE, follower, *keys),
            )

    def abandon_claimed(self, follower: str) -> list[str]:
        with self._statement() as run:
            rows = run(
                "UPDATE {jobs} SET status = ? WHERE follower = ? AND status = ? RETURNING key",
                (DONE, follower, CLAIMED),
            )
        return [row[0] for row in rows]

    def pending_count(self, follower: str) -> int:
        with self._statement() as run:
            rows = run(
                "SELECT COUNT(*) FROM {jobs} WHERE follower = ? AND status != ?",
                (follower, DONE),
            )
        return int(rows[0][0])

    def close(self) -> None:
        self._tables.close()

    def _transaction(self) -> Any:
        return self._tables.transaction(write=True)

    def _statement(self) -> Any:
        return self._tables.statement()


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

    def done(self, follower: str, *keys: str) -> None:
        with self._lock:
            for key in keys:
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
