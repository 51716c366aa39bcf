"""The scan index in SQLite or PostgreSQL tables beside the events (adapters.persistence.
scan_index holds what it shares with the in-memory one; beside_events chooses between them).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from adapters.persistence import read_models
from adapters.persistence.migrations import apply_migrations
from adapters.persistence.scan_index import Rows, ScanIndexModel
from adapters.persistence.sql_tables import Run, SqlTables
from adapters.persistence.store_config import StoreConfig
from application.door.scan_projection import (
    ATTENDANCE_COLUMNS,
    JSON_COLUMNS,
    NAME,
    PERIOD_COLUMNS,
    TABLES,
    TICKET_COLUMNS,
    Row,
)

PREFIX = "scan_index"
WRITTEN_TOGETHER = 2000  # rows kept to be written at once: bounds a transaction's memory


# Statements with ``?`` placeholders and ``{table}`` names, filled in by the runner. Only this
# module's constants go into them, never a value: values are always parameters.
_SELECT_ALL = {t: f"SELECT {', '.join(c)} FROM {{{t}}}" for t, c in TABLES.items()}  # noqa: S608
_SELECT_ONE = {t: f"{_SELECT_ALL[t]} WHERE {c[0]} = ?" for t, c in TABLES.items()}


def _upsert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    insert = f"INSERT INTO {{{table}}} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    return f"{insert} ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}"


_UPSERT = {t: _upsert(t, c) for t, c in TABLES.items()}
_DELETE_ALL = {t: f"DELETE FROM {{{t}}}" for t in TABLES}  # noqa: S608
_DELETE_ONE = {t: f"{_DELETE_ALL[t]} WHERE {c[0]} = ?" for t, c in TABLES.items()}
_JOINED = (
    "SELECT "  # noqa: S608
    + ", ".join([*(f"t.{c}" for c in TICKET_COLUMNS), *(f"p.{c}" for c in PERIOD_COLUMNS)])
    + ", s.name FROM {tickets} t JOIN {periods} p ON p.period_id = t.period_id"
    " LEFT JOIN {persons} s ON s.person_id = t.person_id"
)
_LOOKUP = _JOINED + " WHERE t.ticket_id = ?"
_OF_PERIOD = _JOINED + " WHERE p.code = ?"
_CHANGES = (
    "SELECT c.ticket_id, c.active, c.token_version, c.changed_at, c.position"
    " FROM {changes} c JOIN {periods} p ON p.period_id = c.period_id"
    " WHERE p.code = ? AND c.position > ? ORDER BY c.position LIMIT ?"
)
_ATTENDANCE = (
    "SELECT "  # noqa: S608
    + ", ".join(f"a.{c}" for c in ATTENDANCE_COLUMNS)
    + ", s.name, p.tracks FROM {attendance} a JOIN {periods} p ON p.period_id = a.period_id"
    " LEFT JOIN {persons} s ON s.person_id = a.person_id WHERE p.code = ?"
)
_ATTENDANCE_ON = _ATTENDANCE + " AND a.local_date = ?"


class _SqlRows(Rows):
    """One transaction's rows, read through and written back in batches: a page of events
    changes a ticket's row several times (issued, its token, check-ins), and each row changed
    is written once, by one statement per table, when the page ends (``flush``) or the batch
    is full. Reads see the rows written before them either way."""

    def __init__(self, run: Run) -> None:
        self._run = run
        # Each row's last state in this batch; None: deleted.
        self._written: dict[str, dict[str, Row | None]] = {table: {} for table in TABLES}
        self._count = 0

    def get(self, table: str, key: str) -> Row | None:
        if key in self._written[table]:
            return self._written[table][key]
        found = self._run(_SELECT_ONE[table], (key,))
        return _decoded(TABLES[table], found[0]) if found else None

    def put(self, table: str, row: Row) -> None:
        self._keep(table, str(row[TABLES[table][0]]), row)

    def delete(self, table: str, key: str) -> None:
        self._keep(table, key, None)

    def _keep(self, table: str, key: str, row: Row | None) -> None:
        self._written[table][key] = row
        self._count += 1
        if self._count >= WRITTEN_TOGETHER:
            self.flush()

    def set_position(self, position: int) -> None:
        read_models.set_position(self._run, NAME, position)

    def flush(self) -> None:
        for table, rows in self._written.items():
            kept = [_encoded(TABLES[table], r) for r in rows.values() if r is not None]
            self._run.many(_UPSERT[table], kept)
            self._run.many(_DELETE_ONE[table], [(k,) for k, r in rows.items() if r is None])
            rows.clear()
        self._count = 0


class SqlScanIndex(ScanIndexModel):
    """The index in tables beside the events (``adapters.persistence.migrations`` makes them), its
    position in ``follower_positions``."""

    def __init__(self, config: StoreConfig) -> None:
        tables = {table: f"{PREFIX}_{table}" for table in TABLES}
        self._tables = SqlTables(
            config, tables | {"positions": read_models.POSITIONS_TABLE}, pool_name=NAME
        )

    def position(self) -> int:
        with self._tables.statement() as run:
            return read_models.position(run, NAME)

    def scratch(self) -> ScratchScanIndex:
        return ScratchScanIndex()

    def close(self) -> None:
        self._tables.close()

    def _rows_by_key(self, table: str) -> Iterator[tuple[str, Row]]:
        columns = TABLES[table]
        # Code point order, as Python sorts: PostgreSQL's "C" collation, SQLite's default.
        order = f'{columns[0]} COLLATE "C"' if self._tables.postgres else columns[0]
        for row in self._tables.streamed(f"{_SELECT_ALL[table]} ORDER BY {order}"):
            yield str(row[0]), _decoded(columns, row)

    @contextmanager
    def _transaction(self) -> Iterator[tuple[Rows, int]]:
        with self._tables.transaction(write=True) as run:
            rows = _SqlRows(run)
            yield rows, read_models.position(run, NAME, lock=self._tables.postgres)
            rows.flush()  # not reached when the block raised: the transaction rolls back

    def _joined(self, ticket_id: str) -> tuple[Row, Row, str | None] | None:
        with self._tables.statement() as run:
            found = run(_LOOKUP, (ticket_id,))
        return _split(found[0]) if found else None

    def _joined_of_period(self, period_code: str) -> list[tuple[Row, Row, str | None]]:
        with self._tables.statement() as run:
            return [_split(row) for row in run(_OF_PERIOD, (period_code,))]

    def _attendance_rows(self, period_code: str, day: date | None) -> list[Any]:
        with self._tables.statement() as run:
            found = (
                run(_ATTENDANCE, (period_code,))
                if day is None
                else run(_ATTENDANCE_ON, (period_code, day.isoformat()))
            )
        split = len(ATTENDANCE_COLUMNS)
        return [
            (_decoded(ATTENDANCE_COLUMNS, row[:split]), row[split], json.loads(row[split + 1]))
            for row in found
        ]

    def _changes_of_period(self, period_code: str, since: int, limit: int) -> list[Any]:
        with self._tables.statement() as run:
            rows: list[Any] = run(_CHANGES, (period_code, since, limit))
        return rows

    def _replace(self, rows_of: Callable[[str], Iterator[Row]], position: int) -> None:
        with self._tables.transaction(write=True) as run:
            rows = _SqlRows(run)
            for table in TABLES:
                run(_DELETE_ALL[table])
                for row in rows_of(table):
                    rows.put(table, row)
                rows.flush()
            rows.set_position(position)


class ScratchScanIndex(SqlScanIndex):
    """A scan index in a SQLite file of its own, deleted when it is closed: the replay's copy
    of a live index, on disk, so that rebuilding a big one takes no memory for its rows."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="tickets-scan-index-")
        self.path = Path(self._folder.name) / "scratch.sqlite3"
        config = StoreConfig(f"sqlite:///{self.path}")
        apply_migrations(config)
        super().__init__(config)

    def close(self) -> None:
        super().close()
        self._folder.cleanup()


def _encoded(columns: Sequence[str], row: Row) -> tuple[Any, ...]:
    return tuple(json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in columns)


def _decoded(columns: Sequence[str], values: Sequence[Any]) -> Row:
    return {
        c: json.loads(v) if c in JSON_COLUMNS else v for c, v in zip(columns, values, strict=True)
    }


def _split(row: Sequence[Any]) -> tuple[Row, Row, str | None]:
    """A joined row: the ticket's columns, the period's, the person's name."""
    split = len(TICKET_COLUMNS)
    return (
        _decoded(TICKET_COLUMNS, row[:split]),
        _decoded(PERIOD_COLUMNS, row[split : split + len(PERIOD_COLUMNS)]),
        row[-1],
    )
