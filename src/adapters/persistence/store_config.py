"""Where the events and the tables beside them live (``DATABASE_URL``): the library's settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import psycopg
from eventsourcing.utils import get_topic

from adapters.credentials import redacted_url
from adapters.persistence import pg_connections
from adapters.persistence.mapper import MsgspecMapper

MAPPER_TOPIC = get_topic(MsgspecMapper)
PG_FACTORY_TOPIC = get_topic(pg_connections.PostgresFactory)


@dataclass(frozen=True)
class StoreConfig:
    """Where the events live, from ``DATABASE_URL``."""

    url: str = field(repr=False)  # may hold a password
    lock_timeout_seconds: int = 5
    pool_size: int = 5
    # PostgreSQL: how long a new connection, a pool checkout and one statement may take
    # before the store is called unavailable (adapters.persistence.pg_connections).
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
