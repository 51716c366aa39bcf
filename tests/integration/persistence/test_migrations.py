"""Schema versions of the tables that are not events: numbered steps, applied once, in order."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from adapters.persistence.alert_list import SqlAlertList
from adapters.persistence.eventstore import migrate
from adapters.persistence.follower_store import SqlFollowerStore
from adapters.persistence.migrations import MIGRATIONS, Migration, apply_migrations, schema_version
from adapters.persistence.scan_index_sql import SqlScanIndex
from adapters.persistence.store_config import StoreConfig, sqlite_path
from application.store import TicketStore
from tests.support.service import PG_ADMIN

pytestmark = pytest.mark.integration

# What release 0.1 ran at every start (CREATE TABLE IF NOT EXISTS, no version anywhere), copied
# from its adapters.positions and adapters.scan_index: the database the first step meets.
RELEASE_0_1 = (
    "CREATE TABLE IF NOT EXISTS {s}follower_positions ("
    " follower TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {s}follower_jobs ("
    " follower TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, status TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, due_at DOUBLE PRECISION NOT NULL, queued BIGINT NOT NULL,"
    " PRIMARY KEY (follower, key))",
    "CREATE INDEX IF NOT EXISTS follower_jobs_due ON {s}follower_jobs (follower, status, due_at)",
    "CREATE TABLE IF NOT EXISTS {s}scan_index_tickets (ticket_id TEXT PRIMARY KEY,"
    " period_id TEXT NOT NULL, person_id TEXT NOT NULL, active INTEGER NOT NULL,"
    " token_version INTEGER NOT NULL, token_hash TEXT NOT NULL, registrations TEXT NOT NULL,"
    " check_in_date TEXT, check_in_at TEXT)",
    "CREATE TABLE IF NOT EXISTS {s}scan_index_periods (period_id TEXT PRIMARY KEY,"
    " code TEXT NOT NULL, timezone TEXT NOT NULL, tracks TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {s}scan_index_persons (person_id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {s}scan_index_tracking (name TEXT PRIMARY KEY,"
    " position BIGINT NOT NULL)",
    "INSERT INTO {s}scan_index_tracking (name, position) VALUES ('scan-index', 0)"
    " ON CONFLICT (name) DO NOTHING",
)


@contextmanager
def sql(database_url: str) -> Iterator[Any]:
    """A callable running one statement (``{s}`` = the schema's qualifier) and committing it."""
    config = StoreConfig(database_url)
    if config.is_postgres:
        schema = config.env(create_table=False)["POSTGRES_SCHEMA"]
        connection: Any = psycopg.connect(PG_ADMIN, autocommit=True)
        qualifier = f'"{schema}".'
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    else:
        connection = sqlite3.connect(sqlite_path(database_url), isolation_level=None)
        qualifier = ""

    def run(statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        text = statement.format(s=qualifier)
        if not config.is_postgres:
            text = text.replace("%s", "?")
        cursor = connection.execute(text, params)
        return list(cursor.fetchall()) if cursor.description else []

    try:
        yield run
    finally:
        connection.close()


def versions(database_url: str) -> list[tuple[int, str]]:
    with sql(database_url) as run:
        return [(r[0], r[1]) for r in run("SELECT version, name FROM {s}schema_version ORDER BY 1")]


def a_database_of_release_0_1(database_url: str) -> None:
    """The events' table, and the other tables as 0.1 made them, with rows in each."""
    config = StoreConfig(database_url)
    with sql(database_url) as run:
        for statement in RELEASE_0_1:
            run(statement)
        run("INSERT INTO {s}follower_positions VALUES ('ticket-emails', 41)")
        run(
            "INSERT INTO {s}follower_jobs VALUES"
            " ('ticket-emails', 'k1', '{{\"ticket_id\": \"x\"}}', 'pending', 2, 0, 40)"
        )
        run("UPDATE {s}scan_index_tracking SET position = 39")
        run("INSERT INTO {s}scan_index_persons VALUES ('p1', 'Åse Øvergård')")
    TicketStore(env=config.env(create_table=True)).close()


def test_a_database_of_the_previous_release_is_migrated_forward_keeping_every_row(
    database_url: str,
) -> None:
    a_database_of_release_0_1(database_url)
    config = StoreConfig(database_url)
    assert schema_version(config) == 0

    migrate(config)

    assert versions(database_url) == [(m.number, m.name) for m in MIGRATIONS]
    followers = SqlFollowerStore(config)
    index = SqlScanIndex(config)
    try:
        assert followers.position("ticket-emails") == 41
        assert followers.pending_count("ticket-emails") == 1
        assert index.position() == 39
        assert list(index.rows_of("persons")) == [{"person_id": "p1", "name": "Åse Øvergård"}]
    finally:
        followers.close()
        index.close()


def test_a_new_database_gets_every_step_once_however_often_migrate_runs(
    database_url: str,
) -> None:
    config = StoreConfig(database_url)
    migrate(config)
    migrate(config)

    assert versions(database_url) == [(m.number, m.name) for m in MIGRATIONS]
    assert schema_version(config) == MIGRATIONS[-1].number
    followers = SqlFollowerStore(config)
    try:
        followers.advance("ticket-emails", 3, [("k", {"a": "b"})])
        assert followers.position("ticket-emails") == 3
    finally:
        followers.close()


def test_the_read_models_positions_move_into_the_one_table_of_follower_positions(
    database_url: str,
) -> None:
    config = StoreConfig(database_url)
    with sql(database_url):
        pass  # makes the PostgreSQL schema
    TicketStore(env=config.env(create_table=True)).close()
    apply_migrations(config, MIGRATIONS[:6])  # the shape before one table held every position
    with sql(database_url) as run:
        run("INSERT INTO {s}follower_positions VALUES ('ticket-emails', 41)")
        run("UPDATE {s}scan_index_tracking SET position = 39")
        run("UPDATE {s}alert_list_tracking SET position = 17")

    assert apply_migrations(config, MIGRATIONS[:7]) == [7]

    followers = SqlFollowerStore(config)
    index = SqlScanIndex(config)
    alerts = SqlAlertList(config)
    try:
        assert followers.position("ticket-emails") == 41
        assert followers.position("scan-index") == index.position() == 39
        assert followers.position("alert-list") == alerts.position() == 17
    finally:
        followers.close()
        index.close()
        alerts.close()
    with sql(database_url) as run, pytest.raises((psycopg.Error, sqlite3.Error)):
        run("SELECT position FROM {s}scan_index_tracking")  # gone: one table only


ADD_COLUMN = Migration(
    MIGRATIONS[-1].number + 1,
    "follower jobs remember their last error",
    ("ALTER TABLE {schema}follower_jobs ADD COLUMN last_error TEXT",),
)


def test_a_later_step_changes_a_table_of_an_earlier_release_and_keeps_its_rows(
    database_url: str,
) -> None:
    a_database_of_release_0_1(database_url)
    config = StoreConfig(database_url)
    migrate(config)

    applied = apply_migrations(config, (*MIGRATIONS, ADD_COLUMN))

    assert applied == [ADD_COLUMN.number]
    assert apply_migrations(config, (*MIGRATIONS, ADD_COLUMN)) == []  # recorded: never again
    with sql(database_url) as run:
        assert run("SELECT key, attempts, last_error FROM {s}follower_jobs") == [("k1", 2, None)]
    assert versions(database_url)[-1] == (ADD_COLUMN.number, ADD_COLUMN.name)


def test_a_failing_step_changes_nothing_and_is_not_recorded(database_url: str) -> None:
    config = StoreConfig(database_url)
    migrate(config)
    broken = Migration(
        MIGRATIONS[-1].number + 1,
        "half of it would apply",
        (
            "CREATE TABLE {schema}half_done (id TEXT PRIMARY KEY)",
            "ALTER TABLE {schema}no_such_table ADD COLUMN x TEXT",
        ),
    )

    with pytest.raises((psycopg.Error, sqlite3.Error)):
        apply_migrations(config, (*MIGRATIONS, broken))

    assert schema_version(config) == MIGRATIONS[-1].number
    with sql(database_url) as run:
        run("CREATE TABLE {s}half_done (id TEXT PRIMARY KEY)")  # it was rolled back: free


def test_a_database_ahead_of_this_release_is_left_alone_with_a_warning(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = StoreConfig(database_url)
    migrate(config)
    with sql(database_url) as run:
        run(
            "INSERT INTO {s}schema_version VALUES (%s, 'from the future', %s)",
            (MIGRATIONS[-1].number + 5, datetime.now(UTC).isoformat()),
        )

    with caplog.at_level(logging.WARNING):
        assert apply_migrations(config) == []

    assert "newer than this release" in caplog.text


def test_steps_must_be_numbered_in_increasing_order(tmp_path: Any) -> None:
    config = StoreConfig(f"sqlite:///{tmp_path}/x.sqlite3")
    with pytest.raises(ValueError, match="increasing order"):
        apply_migrations(config, (MIGRATIONS[0], MIGRATIONS[0]))
