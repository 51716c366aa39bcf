"""Transactions on tables beside the events, SQLite or PostgreSQL, for read models.

One SQLite connection serialized by a lock, or a small PostgreSQL pool that fails fast when the
database is away (``adapters.pg_connections``). Statements use ``?``
placeholders and ``{name}`` table names (filled from this module's callers' constants, never
from values: values are always parameters).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from adapters.eventstore import StoreConfig
from adapters.pg_connections import DeadlinePool, deadline_pool
from application.errors import StoreUnavailable

Run = Callable[..., list[Any]]  # run(statement, params=()) -> rows


class SqlTables:
    def __init__(self, config: StoreConfig, tables: Mapping[str, str], *, pool_name: str) -> None:
        """``tables``: the ``{name}`` of statements -> the table (it must exist; no schema)."""
        self._config = config
        self.postgres = config.is_postgres
        schema = config.env(create_table=False).get("POSTGRES_SCHEMA") if self.postgres else None
        qualifier = '"' + schema.replace('"', '""') + '".' if schema else ""
        self._names = {name: f"{qualifier}{table}" for name, table in tables.items()}
        self._pool_name = pool_name
        self._pool: DeadlinePool | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # SQLite's one connection, and opening the pool

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Run]:
        """A callable running statements in one transaction, committed when the block ends."""
        if self.postgres:
            try:
                with (
                    self._postgres_pool().connection() as connection,
                    connection.transaction(),
                ):
                    yield self._runner(connection.cursor())
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                raise StoreUnavailable(f"the database failed: {type(error).__name__}") from error
            return
        with self._lock:
            connection = self._sqlite_connection()
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._runner(cursor)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None

    def _runner(self, cursor: Any) -> Run:
        def run(statement: str, params: Sequence[Any] = ()) -> list[Any]:
            sql = statement.format(**self._names)
            if self.postgres:
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
                    conninfo=config.postgres_conninfo(),
                    kwargs={},
                    min_size=1,
                    max_size=config.pool_size,
                    name=self._pool_name,
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
