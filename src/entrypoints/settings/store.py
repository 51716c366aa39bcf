"""The event store's settings: DATABASE_URL and its PostgreSQL timeouts."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.persistence.store_config import StoreConfig
from entrypoints.environment import collect, number

DEFAULT_DATABASE_URL = "sqlite:///./var/tickets.sqlite3"


def database_url(env: Mapping[str, str]) -> str:
    """DATABASE_URL, or the SQLite file under ./var; also what a start-up error names."""
    return env.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def store_config(env: Mapping[str, str]) -> StoreConfig:
    url = database_url(env)
    with collect() as problems:
        # An unknown scheme fails here, not at the first query.
        problems.read(lambda: StoreConfig(url).env(create_table=False))
        # PostgreSQL: how soon an absent database is called unavailable (503, exit 2).
        connect = problems.read(lambda: number(env, "DATABASE_CONNECT_TIMEOUT", 2.0, at_most=600))
        statement = problems.read(
            lambda: number(env, "DATABASE_STATEMENT_TIMEOUT", 2.0, at_most=600)
        )
    return StoreConfig(
        url=url, connect_timeout_seconds=connect, statement_timeout_seconds=statement
    )
