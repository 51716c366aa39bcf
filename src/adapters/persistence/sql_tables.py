"""The one way to run SQL on the tables beside the events, SQLite or PostgreSQL.

Every table adapter (follower store, scan index, alert list, device activity, PDF cache) and
the migrations run their statements through here. One convention for all of them: ``?``
placeholders, and ``{name}`` table names filled from the caller's constants (``{schema}`` is
the PostgreSQL schema's qualifier, or nothing), never from values: values are always
parameters. One SQLite connection serialized by a lock, or a small PostgreSQL pool that fails
fast when the database is away (``adapters.persistence.pg_connections``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from adapters.persistence.pg_connections import DeadlinePool, deadline_pool
from adapters.persistence.store_config import StoreConfig
from application.errors import StoreUnavailable

STREAMED_PAGE = 2000  # rows fetched at a time by ``streamed``


def table_names(config: StoreConfig, tables: Mapping[str, str]) -> dict[str, str]:
    """``{name}`` -> its table, qualified by the PostgreSQL schema; ``{schema}``: the qualifier."""
    schema = config.env(create_table=False).get("POSTGRES_SCHEMA") if config.is_postgres else None
    qualifier = '"' + schema.replace('"', '""') + '".' if schema else ""
    return {"schema": qualifier} | {name: f"{qualifier}{table}" for name, table in tables.items()}


class Run:
    """Runs statements of this module's convention on a cursor: ``run(statement, params)``
    returns the rows, ``run.many(statement, rows)`` runs one statement for many parameter rows
    (psycopg pipelines them: one round trip, not one each)."""

    def __init__(self, cursor: Any, names: Mapping[str, str], *, postgres: bool) -> None:
        self._cursor = cursor
        self._names = names
        self._postgres = postgres

    def __call__(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        self._cursor.execute(self._sql(statement), tuple(params))
        return list(self._cursor.fetchall()) if self._cursor.description else []

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._sql(statement), rows)

    def _sql(self, statement: str) -> str:
        sql = statement.format(**self._names)
        return sql.replace("?", "%s") if self._postgres else sql


def sqlite_connection(config: StoreConfig) -> sqlite3.Connection:
    """A connection to the store's SQLite file whose transactions are begun explicitly."""
    path = config.env(create_table=False)["SQLITE_DBNAME"]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(
        path,
        timeout=config.lock_timeout_seconds,
        isolation_level=None,  # transactions are begun explicitly
        check_same_thread=False,  # the users' lock serializes them
    )


class SqlTables:
    def __init__(
        self,
        config: StoreConfig,
        tables: Mapping[str, str],
        *,
        pool_name: str,
    ) -> None:
        """``tables``: the ``{name}`` of statements -> the table (made by the migrations)."""
        self._config = config
        self.postgres = config.is_postgres
        self._names = table_names(config, tables)
        self._pool_name = pool_name
        self._pool: DeadlinePool | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # SQLite's one connection, and opening the pool

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Run]:
        """A callable running statements in one transaction, committed when the block ends.

        ``write`` on SQLite takes the write lock at once (``BEGIN IMMEDIATE``): a transaction
        that reads, then writes, cannot fail halfway on another writer.
        """
        with self._cursor() as (connection, cursor):
            if self.postgres:
                with connection.transaction():
                    yield Run(cursor, self._names, postgres=True)
                return
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Run(cursor, self._names, postgres=False)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

    @contextmanager
    def statement(self) -> Iterator[Run]:
        """A callable for one statement, atomic by itself: no BEGIN and COMMIT round trips
        (a door scan's lookup is one SELECT, and the door waits for it)."""
        with self._cursor() as (_, cursor):
            yield Run(cursor, self._names, postgres=self.postgres)

    def streamed(self, statement: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        """The rows of one SELECT of this module's convention, fetched a page at a time, in one
        transaction (a server-side cursor on PostgreSQL): a whole table, never all in memory.

        Read it to its end (or close it): the connection is held until then.
        """
        with self._cursor() as (connection, cursor):
            sql = statement.format(**self._names)
            if self.postgres:
                with connection.transaction():
                    named = connection.cursor(name="streamed")
                    named.itersize = STREAMED_PAGE
                    named.execute(sql.replace("?", "%s"), tuple(params))
                    yield from named
                    named.close()
                return
            cursor.execute("BEGIN")
            try:
                yield from cursor.execute(sql, tuple(params))
            finally:
                connection.rollback()  # it only read

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None

    @contextmanager
    def _cursor(self) -> Iterator[tuple[Any, Any]]:
        if self.postgres:
            try:
                with self._postgres_pool().connection() as connection:
                    yield connection, connection.cursor()
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                raise StoreUnavailable(f"the database failed: {type(error).__name__}") from error
            return
        with self._lock:
            if self._sqlite is None:
                self._sqlite = sqlite_connection(self._config)
            cursor = self._sqlite.cursor()
            try:
                yield self._sqlite, cursor
            finally:
                cursor.close()

    def _postgres_pool(self) -> DeadlinePool:
        with self._lock:
            if self._pool is None:
                config = self._config
                self._pool = deadline_pool(
                    connect_timeout=config.connect_timeout_seconds,
                    statement_timeout=config.statement_timeout_seconds,
                    conninfo=config.postgres_conninfo(),
                    # Transactions are begun where needed; a lone statement needs none.
                    kwargs={"autocommit": True},
                    min_size=1,
                    max_size=config.pool_size,
                    name=self._pool_name,
                )
                self._pool.open()
            return self._pool
