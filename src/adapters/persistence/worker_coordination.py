"""How workers wake and share followers: LISTEN/NOTIFY and advisory locks, or polls and flocks."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from application.errors import StoreUnavailable

if TYPE_CHECKING:
    from adapters.persistence.store_config import StoreConfig

log = logging.getLogger(__name__)

# The eventsourcing PostgreSQL recorder NOTIFYs this channel (its events table's name) on insert.
EVENTS_CHANNEL = "tickets_events"
# A payment's inserts come within a millisecond or two of each other; a longer wait delays
# every email by as much.
BURST_SECONDS = 0.002


class PollWakeup:
    """SQLite has no notifications: the worker just looks again after the timeout."""

    def wait(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False

    def close(self) -> None:
        return None


class PostgresWakeup:
    """Wakes on the event store's NOTIFY; without a connection it degrades to polling.

    A lost connection is tried again with a growing pause, and logged when it is lost and
    when it is back, not at every attempt (an outage of minutes made hundreds of lines).
    """

    def __init__(self, config: StoreConfig) -> None:
        self._config = config
        self._connection: psycopg.Connection[Any] | None = None
        self._outage = _Outage("worker wake-up connection")

    def wait(self, timeout: float) -> bool:
        started = time.monotonic()
        if self._outage.may_try():
            try:
                connection = self._listening()
                woken = any(True for _ in connection.notifies(timeout=timeout, stop_after=1))
                if woken:
                    # Drain the burst: one look at the log serves every insert that woke us.
                    # Briefly: every email waits this long before its worker looks.
                    for _ in connection.notifies(timeout=BURST_SECONDS):
                        pass
                self._outage.ended()
                return woken
            except (psycopg.Error, StoreUnavailable) as error:
                self._outage.failed(error)
                self.close()
        time.sleep(max(0.0, timeout - (time.monotonic() - started)))
        return False

    def _listening(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            self._connection = self._config.connect_postgres(autocommit=True)
            self._connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(EVENTS_CHANNEL)))
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


class _Outage:
    """When a connection of the worker's may be tried again, and one log line per change."""

    def __init__(self, what: str, first_pause: float = 0.5, max_pause: float = 10.0) -> None:
        self._what = what
        self._first_pause = first_pause
        self._max_pause = max_pause
        self._failures = 0
        self._retry_at = 0.0

    def may_try(self) -> bool:
        return time.monotonic() >= self._retry_at

    def failed(self, error: BaseException) -> None:
        if self._failures == 0:
            log.warning(
                f"{self._what} lost; retrying quietly", extra={"error": type(error).__name__}
            )
        self._failures += 1
        pause = min(self._max_pause, self._first_pause * 2 ** (self._failures - 1))
        self._retry_at = time.monotonic() + pause

    def ended(self) -> None:
        if self._failures:
            log.info(f"{self._what} back", extra={"failed_attempts": self._failures})
        self._failures = 0
        self._retry_at = 0.0


class PostgresFollowerLocks:
    """Session advisory locks, one per follower (and schema), held while the worker runs.

    A worker that dies loses its session and so its locks: another worker takes the follower
    over at its next try.
    """

    def __init__(self, config: StoreConfig) -> None:
        self._config = config
        self._schema = config.env(create_table=False).get("POSTGRES_SCHEMA", "public")
        self._connection: psycopg.Connection[Any] | None = None
        self._held: set[str] = set()
        self._outage = _Outage("follower lock connection")

    def try_acquire(self, follower: str) -> bool:
        if not self._outage.may_try():
            return False
        try:
            connection = self._connected()
            if follower in self._held:
                return True
            row = connection.execute(
                "SELECT pg_try_advisory_lock(%s)", (self.key(follower),)
            ).fetchone()
        except (psycopg.Error, StoreUnavailable) as error:
            self._outage.failed(error)
            self.release_all()
            return False
        self._outage.ended()
        if row is not None and row[0]:
            self._held.add(follower)
            return True
        return False

    def key(self, follower: str) -> int:
        digest = hashlib.sha256(f"{self._schema}/{follower}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def _connected(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed or self._connection.broken:
            self._held.clear()  # a new session holds nothing
            self._connection = self._config.connect_postgres(autocommit=True)
        return self._connection

    def release_all(self) -> None:
        self._held.clear()
        if self._connection is not None:
            try:
                self._connection.close()  # ending the session releases its advisory locks
            finally:
                self._connection = None


class FileFollowerLocks:
    """For SQLite: an flock per follower beside the database file, so two processes on one
    file do not run the same follower."""

    def __init__(self, database_path: str) -> None:
        self._base = Path(database_path)
        self._held: dict[str, IO[str]] = {}

    def try_acquire(self, follower: str) -> bool:
        if follower in self._held:
            return True
        self._base.parent.mkdir(parents=True, exist_ok=True)
        handle = open(f"{self._base}.{follower}.worker.lock", "w")  # noqa: SIM115 (kept open)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._held[follower] = handle
        return True

    def release_all(self) -> None:
        for handle in self._held.values():
            handle.close()
        self._held.clear()


class NoFollowerLocks:
    """In-memory stores: one process, nothing to share."""

    def try_acquire(self, follower: str) -> bool:
        return True

    def release_all(self) -> None:
        return None
