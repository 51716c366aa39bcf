"""The stores a table adapter's contract runs on: SQLite and PostgreSQL, migrated, each fresh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from adapters.persistence.eventstore import migrate
from adapters.persistence.store_config import StoreConfig
from tests.support.service import PG_ADMIN, postgres_or_skip

# The fake first, then the real adapter on each database: pytest params for a contract fixture.
STORES = [
    pytest.param("memory", marks=pytest.mark.unit),
    pytest.param("sqlite", marks=pytest.mark.integration),
    pytest.param("postgres", marks=[pytest.mark.integration, pytest.mark.postgres]),
]


@contextmanager
def migrated(kind: str, tmp_path: Path) -> Iterator[StoreConfig]:
    """A new database of ``kind`` (sqlite or postgres) at this release's schema."""
    if kind == "sqlite":
        config = StoreConfig(url=f"sqlite:///{tmp_path}/tickets.sqlite3")
        migrate(config)
        yield config
        return
    postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    config = StoreConfig(url=f"{PG_ADMIN}?schema={schema}")
    migrate(config)
    try:
        yield config
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
