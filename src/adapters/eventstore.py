"""The event store's persistence: msgspec mapping, SQLite or PostgreSQL, and the migrate step."""

from __future__ import annotations

import fcntl
import functools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from adapters import pg_connections
from adapters.credentials import redacted_url
from adapters.migrations import MIGRATIONS, Migration, apply_migrations, schema_version
from application.store import TicketStore

MAPPER_TOPIC = f"{__name__}:MsgspecMapper"
PG_FACTORY_TOPIC = f"{pg_connections.__name__}:PostgresFactory"
# Any constant works; it only has to be the same for every process of the service.
MIGRATION_LOCK_KEY = 0x7469636B657473


class MsgspecMapper(Mapper[UUID]):
    """Stores each event as the msgspec JSON of its dataclass, and decodes it into real types.

    About 2.5x faster than the library's JSON transcoder, and dates, enums and nested values
    come back as themselves, not as strings.
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=_encoder().encode(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event: DomainEventProtocol[UUID] = _decoder(resolve_topic(stored_event.topic)).decode(
            stored_event.state
        )
        return event


@functools.cache
def _encoder() -> msgspec.json.Encoder:
    return msgspec.json.Encoder()


@functools.cache
def _decoder(event_class: type[Any]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(event_class)


@dataclass(frozen=True)
class StoreConfig:
    """Where the events live, from ``DATABASE_URL``."""

    url: str = field(repr=False)  # may hold a password
    lock_timeout_seconds: int = 5
    pool_size: int = 5
    # PostgreSQL: how long a new connection, a pool checkout and one statement may take
    # before the store is called unavailable (adapters.pg_connections).
    connect_timeout_seconds: float = 2.0
    statement_timeout_seconds: float = 2.0

    @property
    def is_postgres(self) -> bool:
        return urlsplit(self.url).scheme in ("postgresql", "postgres")

    @property
    def redacted_url(self) -> str:
        return redacted_url(self.url)

    def env(self, *, create_table: bool) -> dict[str, str]:
        """The event store's settings, passed explicitly to the application (never os.environ)."""
        parts = urlsplit(self.url)
        env = {"MAPPER_TOPIC": MAPPER_TOPIC, "CREATE_TABLE": "y" if create_table else "n"}
        if parts.scheme == "sqlite":
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": sqlite_path(self.url),
                "SQLITE_LOCK_TIMEOUT": str(self.lock_timeout_seconds),
            }
        elif self.is_postgres:
            query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
            env |= {
                "PERSISTENCE_MODULE": PG_FACTORY_TOPIC,
                "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
                "POSTGRES_HOST": parts.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(parts.port or 5432),
                "POSTGRES_USER": unquote(parts.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(parts.password or ""),
                "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout_seconds),
                "POSTGRES_POOL_SIZE": str(self.pool_size),
                "POSTGRES_CONNECT_TIMEOUT": str(math.ceil(self.connect_timeout_seconds)),
                "POSTGRES_PRE_PING": "y",
                pg_connections.CONNECT_TIMEOUT: str(self.connect_timeout_seconds),
                pg_connections.STATEMENT_TIMEOUT: str(self.statement_timeout_seconds),
            }
            if "schema" in query:
                env["POSTGRES_SCHEMA"] = query["schema"]
        elif parts.scheme == "memory":
            env |= {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        else:
            raise ValueError(
                f"DATABASE_URL must start with sqlite:/// or postgresql://, not {parts.scheme}:"
            )
        return env

    def postgres_conninfo(self) -> str:
        env = self.env(create_table=False)
        return psycopg.conninfo.make_conninfo(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
        )

    def connect_postgres(
        self, *, autocommit: bool = False, bounded: bool = True
    ) -> pg_connections.DeadlineConnection:
        """A connection of its own, failing fast (``StoreUnavailable``) when the database is
        away; ``bounded``: its statements have a deadline too (not a migration's)."""
        return pg_connections.connect(
            self.postgres_conninfo(),
            connect_timeout=self.connect_timeout_seconds,
            statement_timeout=self.statement_timeout_seconds if bounded else None,
            autocommit=autocommit,
        )


def sqlite_path(url: str) -> str:
    """``sqlite:///./var/x.sqlite3`` is a relative path, ``sqlite:////srv/x.sqlite3`` absolute."""
    path = url.removeprefix("sqlite://")
    return path[1:] if path.startswith("/") else path


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


def migrate_if_behind(config: StoreConfig) -> bool:
    """``migrate``, unless the database is at this release's schema already (or newer).

    What ``tickets serve`` and ``tickets worker`` run at start: after ``tickets migrate`` they
    issue no DDL, so they can run as a role that may not create or alter anything (README,
    "Running in production"). Returns whether it migrated.
    """
    if (config.is_postgres or urlsplit(config.url).scheme == "sqlite") and schema_version(
        config
    ) >= max((m.number for m in MIGRATIONS), default=0) > 0:
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
