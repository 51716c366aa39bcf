"""Numbered migrations of the tables that are not events: follower positions, jobs, read models.

The events' own table belongs to the eventsourcing library (created by ``migrate``); every
other table is made and changed only here, one numbered step at a time, each step and its row
in ``schema_version`` in one transaction. ``migrate`` runs them under its lock, so several
processes starting at once apply each step once.

To change a table, append a ``Migration`` with the next number; never edit one that has been
released (databases out there recorded it as applied). Statements name tables as
``{schema}name``: ``{schema}`` becomes the PostgreSQL schema's qualifier, or nothing
(``adapters.persistence.sql_tables``' convention, with ``?`` placeholders).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.persistence.sql_tables import Run, sqlite_connection, table_names
from adapters.persistence.store_config import StoreConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """One step: statements run in one transaction. ``postgres`` replaces them there, when the
    two dialects differ (SQLite's and PostgreSQL's types, ALTER TABLE...)."""

    number: int
    name: str
    statements: tuple[str, ...]
    postgres: tuple[str, ...] | None = None

    def for_postgres(self, postgres: bool) -> tuple[str, ...]:
        return self.postgres if postgres and self.postgres is not None else self.statements


MIGRATIONS: tuple[Migration, ...] = (
    # The shapes release 0.1 made with CREATE TABLE IF NOT EXISTS: a database of that release
    # has them already and only records version 1.
    Migration(
        1,
        "follower positions and jobs, scan index",
        (
            "CREATE TABLE IF NOT EXISTS {schema}follower_positions ("
            " follower TEXT PRIMARY KEY, position BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {schema}follower_jobs ("
            " follower TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,"
            " status TEXT NOT NULL, attempts INTEGER NOT NULL,"
            " due_at DOUBLE PRECISION NOT NULL, queued BIGINT NOT NULL,"
            " PRIMARY KEY (follower, key))",
            "CREATE INDEX IF NOT EXISTS follower_jobs_due"
            " ON {schema}follower_jobs (follower, status, due_at)",
            "CREATE TABLE IF NOT EXISTS {schema}scan_index_tickets ("
            " ticket_id TEXT PRIMARY KEY, period_id TEXT NOT NULL, person_id TEXT NOT NULL,"
            " active INTEGER NOT NULL, token_version INTEGER NOT NULL,"
            " token_hash TEXT NOT NULL, registrations TEXT NOT NULL, check_in_date TEXT,"
            " check_in_at TEXT)",
            "CREATE TABLE IF NOT EXISTS {schema}scan_index_periods ("
            " period_id TEXT PRIMARY KEY, code TEXT NOT NULL, timezone TEXT NOT NULL,"
            " tracks TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {schema}scan_index_persons ("
            " person_id TEXT PRIMARY KEY, name TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {schema}scan_index_tracking ("
            " name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
            "INSERT INTO {schema}scan_index_tracking (name, position)"
            " VALUES ('scan-index', 0) ON CONFLICT (name) DO NOTHING",
        ),
    ),
    Migration(
        2,
        "alert list",
        (
            "CREATE TABLE {schema}alert_list_alerts ("
            " alert_id TEXT PRIMARY KEY, position BIGINT NOT NULL UNIQUE, kind TEXT NOT NULL,"
            " severity TEXT NOT NULL, message TEXT NOT NULL, subject TEXT,"
            " created_at TEXT NOT NULL, state TEXT NOT NULL, acknowledged_at TEXT,"
            " acknowledged_by TEXT)",
            # The list's filters, each read newest first by position.
            "CREATE INDEX alert_list_by_kind ON {schema}alert_list_alerts (kind, position)",
            "CREATE INDEX alert_list_by_state ON {schema}alert_list_alerts (state, position)",
            "CREATE TABLE {schema}alert_list_tracking ("
            " name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
            "INSERT INTO {schema}alert_list_tracking (name, position) VALUES ('alert-list', 0)",
        ),
    ),
    Migration(
        3,
        "door devices' last-seen times",
        (
            "CREATE TABLE {schema}device_last_seen ("
            " device_id TEXT PRIMARY KEY, last_seen DOUBLE PRECISION NOT NULL)",
        ),
    ),
    Migration(
        4,
        "rendered ticket PDFs",
        (
            "CREATE TABLE {schema}ticket_pdfs ("
            " ticket_id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, pdf BLOB NOT NULL)",
        ),
        postgres=(
            "CREATE TABLE {schema}ticket_pdfs ("
            " ticket_id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, pdf BYTEA NOT NULL)",
        ),
    ),
    Migration(
        5,
        "scan index: tickets revoked or rotated, for offline doors",
        (
            "CREATE TABLE {schema}scan_index_changes ("
            " ticket_id TEXT PRIMARY KEY, period_id TEXT NOT NULL, active INTEGER NOT NULL,"
            " token_version INTEGER NOT NULL, changed_at TEXT, position BIGINT NOT NULL)",
            "CREATE INDEX scan_index_changes_by_position"
            " ON {schema}scan_index_changes (period_id, position)",
            # Tickets revoked or rotated before this table existed: listed as changed at the
            # index's position (their times unknown), so a door's first fetch gets them all.
            "INSERT INTO {schema}scan_index_changes"
            " SELECT t.ticket_id, t.period_id, t.active, t.token_version, NULL, k.position"
            " FROM {schema}scan_index_tickets t, {schema}scan_index_tracking k"
            " WHERE k.name = 'scan-index' AND (t.active = 0 OR t.token_version > 1)",
        ),
    ),
    Migration(
        6,
        "scan index: attendance per ticket and class day",
        (
            "CREATE TABLE {schema}scan_index_attendance ("
            " key TEXT PRIMARY KEY, period_id TEXT NOT NULL, ticket_id TEXT NOT NULL,"
            " person_id TEXT NOT NULL, local_date TEXT NOT NULL, checked_in_at TEXT NOT NULL,"
            " device_id TEXT, tracks TEXT NOT NULL, manual INTEGER NOT NULL)",
            "CREATE INDEX scan_index_attendance_by_day"
            " ON {schema}scan_index_attendance (period_id, local_date)",
            # Check-ins before this table: each ticket's last one is known here (the device and
            # the earlier days are in the log: `tickets audit replay --rebuild` restores them).
            "INSERT INTO {schema}scan_index_attendance"
            " SELECT ticket_id || '/' || check_in_date, period_id, ticket_id, person_id,"
            " check_in_date, check_in_at, NULL, '[]', 0"
            " FROM {schema}scan_index_tickets WHERE check_in_date IS NOT NULL",
        ),
    ),
    Migration(
        7,
        "one table of follower positions, the read models' too",
        (
            # The read models kept theirs in tables of their own: moved, so that an existing
            # database goes on from where each was (WHERE true: SQLite's upsert-from-SELECT).
            "INSERT INTO {schema}follower_positions (follower, position)"
            " SELECT name, position FROM {schema}scan_index_tracking WHERE true"
            " ON CONFLICT (follower) DO UPDATE SET position = excluded.position",
            "INSERT INTO {schema}follower_positions (follower, position)"
            " SELECT name, position FROM {schema}alert_list_tracking WHERE true"
            " ON CONFLICT (follower) DO UPDATE SET position = excluded.position",
            "DROP TABLE {schema}scan_index_tracking",
            "DROP TABLE {schema}alert_list_tracking",
        ),
    ),
    # No statement of its own: recorded, it makes a database migrated before it run
    # ``migrate`` once more, which creates the events' insert function with the events' table
    # (adapters.persistence.pg_recorder). A release before it saves beside it unchanged: both
    # take the same table lock.
    Migration(8, "the events' insert function (made by the events' recorder)", ()),
)

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS {schema}schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


def apply_migrations(
    config: StoreConfig,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> list[int]:
    """Applies the steps the database has not recorded, in order; returns their numbers.

    The caller holds the migration lock (``adapters.persistence.eventstore.migrate``).
    """
    numbers = [m.number for m in migrations]
    if numbers != sorted(set(numbers)):
        raise ValueError(f"migrations must be numbered in increasing order: {numbers}")
    with _Database.open(config) as database:
        database.run_in_transaction([_VERSION_TABLE])
        current = database.version()
        known = numbers[-1] if numbers else 0
        if current > known:
            # An older release beside a newer one (a rolling deploy): it keeps working on the
            # tables it knows, since released steps add (step 7 is the exception: it moved the
            # read models' positions, so releases before it must not run beside it).
            log.warning(
                "the database schema is newer than this release",
                extra={"schema_version": current, "known_version": known},
            )
        applied = []
        for migration in migrations:
            if migration.number <= current:
                continue
            database.run_in_transaction(
                migration.for_postgres(database.postgres),
                record=(migration.number, migration.name),
            )
            log.info(
                "schema migration applied",
                extra={"schema_version": migration.number, "migration": migration.name},
            )
            applied.append(migration.number)
        return applied


def schema_version(config: StoreConfig) -> int:
    """The last step the database has recorded (0: none, or no table yet)."""
    with _Database.open(config) as database:
        if not database.has_version_table():
            return 0
        return database.version()


class _Database:
    """One connection of its own, SQLite or PostgreSQL, with no statement deadline (a step may
    take long), running statements in explicit transactions."""

    def __init__(self, connection: Any, postgres: bool, names: dict[str, str]) -> None:
        self._connection = connection
        self.postgres = postgres
        self._names = names

    @classmethod
    def open(cls, config: StoreConfig) -> _Database:
        names = table_names(config, {})
        if config.is_postgres:
            return cls(config.connect_postgres(bounded=False), True, names)
        return cls(sqlite_connection(config), False, names)

    def __enter__(self) -> _Database:
        return self

    def __exit__(self, *_: object) -> None:
        self._connection.close()

    def _runner(self, cursor: Any) -> Run:
        return Run(cursor, self._names, postgres=self.postgres)

    def run_in_transaction(
        self, statements: Sequence[str], record: tuple[int, str] | None = None
    ) -> None:
        cursor = self._connection.cursor()
        run = self._runner(cursor)
        try:
            if not self.postgres:
                cursor.execute("BEGIN IMMEDIATE")
            for statement in statements:
                run(statement)
            if record is not None:
                run(
                    "INSERT INTO {schema}schema_version (version, name, applied_at)"
                    " VALUES (?, ?, ?)",
                    (*record, datetime.now(UTC).isoformat()),
                )
            self._connection.commit()
        except BaseException:
            self._connection.rollback()
            raise
        finally:
            cursor.close()

    def version(self) -> int:
        rows = self._read("SELECT MAX(version) FROM {schema}schema_version")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def has_version_table(self) -> bool:
        if self.postgres:
            rows = self._read(
                "SELECT to_regclass(?) IS NOT NULL", (self._names["schema"] + "schema_version",)
            )
        else:
            rows = self._read("SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_version'")
        return bool(rows and rows[0][0])

    def _read(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self._connection.cursor()
        try:
            return self._runner(cursor)(statement, params)
        finally:
            cursor.close()
            self._connection.rollback()  # end the read's transaction (PostgreSQL opens one)
