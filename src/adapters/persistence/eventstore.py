"""The event store: opening it, its readiness probe, and the migrate step that makes its tables."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from adapters.persistence import pg_connections
from adapters.persistence.migrations import MIGRATIONS, Migration, apply_migrations, schema_version
from adapters.persistence.store_config import StoreConfig, sqlite_path
from application.store import TicketStore

# Any constant works; it only has to be the same for every process of the service.
MIGRATION_LOCK_KEY = 0x7469636B657473


def open_store(config: StoreConfig) -> TicketStore:
    """The store for serving: the schema must exist already (see ``migrate``)."""
    return TicketStore(env=config.env(create_table=False))


def check_ready(config: StoreConfig, store: TicketStore) -> None:
    """Raises when the store cannot serve now; answers within the connect timeout or so.

    PostgreSQL: a fresh connection and one query with a deadline, rather than the pool, whose
    idle connections may look alive through an outage. SQLite: one read of the file.
    """
    if config.is_postgres:
        pg_connections.probe(
            config.postgres_conninfo(),
            connect_timeout=config.connect_timeout_seconds,
            budget=pg_connections.client_deadline(config.statement_timeout_seconds),
        )
    else:
        store.recorder.max_notification_id()


def migrate(config: StoreConfig, migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Creates the events' table and applies the numbered migrations of the other tables.

    Safe when several processes start at the same moment: the library's own CREATE TABLE is
    not safe under concurrency on PostgreSQL (a duplicate type name can crash a starting
    process), and a migration must run once, so every process takes one lock first.
    """
    with _migration_lock(config):
        if config.is_postgres:
            schema = config.env(create_table=False).get("POSTGRES_SCHEMA")
            if schema:
                with config.connect_postgres(autocommit=True, bounded=False) as conn:
                    conn.execute(
                        psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                            psycopg.sql.Identifier(schema)
                        )
                    )
        store = TicketStore(env=config.env(create_table=True))
        store.close()
        if config.is_postgres or urlsplit(config.url).scheme == "sqlite":
            apply_migrations(config, migrations)


def latest_schema_version() -> int:
    """The schema version this release needs."""
    return max((m.number for m in MIGRATIONS), default=0)


def schema_is_behind(config: StoreConfig) -> bool:
    """Whether the database lacks tables or steps this release needs (``tickets migrate``)."""
    if not (config.is_postgres or urlsplit(config.url).scheme == "sqlite"):
        return False  # the in-memory store of tests: nothing to migrate
    return schema_version(config) < latest_schema_version()


def migrate_if_behind(config: StoreConfig) -> bool:
    """``migrate``, unless the database is at this release's schema already (or newer).

    What ``tickets serve`` and ``tickets worker`` run at start: after ``tickets migrate`` they
    issue no DDL, so they can run as a role that may not create or alter anything
    (docs/operations.md, "Upgrades and migrations"). Returns whether it migrated.
    """
    if not schema_is_behind(config):
        return False
    migrate(config)
    return True


@contextmanager
def _migration_lock(config: StoreConfig) -> Iterator[None]:
    if config.is_postgres:
        with config.connect_postgres(autocommit=True, bounded=False) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    elif urlsplit(config.url).scheme == "sqlite":
        path = Path(sqlite_path(config.url))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.migrate.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield
