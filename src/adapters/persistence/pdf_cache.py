"""Rendered ticket PDFs in a table beside the events (migration 4), shared by every process."""

from __future__ import annotations

import sqlite3
from uuid import UUID

import psycopg

from adapters.persistence.sql_tables import SqlTables
from adapters.persistence.store_config import StoreConfig

_TABLES = {"pdfs": "ticket_pdfs"}


class SqlPdfCache:
    """PdfCache: one row per ticket, its latest rendering (a ticket has one current token)."""

    def __init__(self, config: StoreConfig) -> None:
        self._tables = SqlTables(config, _TABLES, pool_name="pdf-cache")

    def get(self, key: str) -> bytes | None:
        with self._tables.statement() as run:
            rows = run("SELECT pdf FROM {pdfs} WHERE key = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    def put(self, ticket_id: UUID, key: str, pdf: bytes) -> None:
        try:
            with self._tables.statement() as run:  # one statement: atomic by itself
                run(
                    "INSERT INTO {pdfs} (ticket_id, key, pdf) VALUES (?, ?, ?)"
                    " ON CONFLICT (ticket_id) DO UPDATE SET key = excluded.key, pdf = excluded.pdf",
                    (str(ticket_id), key, pdf),
                )
        except (psycopg.IntegrityError, sqlite3.IntegrityError):
            # The worker and an API process kept the same PDF at the same moment: the upsert
            # settles races on the ticket, not on the key's own unique index. A key names what
            # the PDF shows, so the rendering kept by the other is as good as this one.
            if self.get(key) is None:
                raise

    def close(self) -> None:
        self._tables.close()


class MemoryPdfCache:
    """PdfCache in this process's memory (tests, and the in-memory store)."""

    def __init__(self) -> None:
        self._by_ticket: dict[UUID, tuple[str, bytes]] = {}

    def get(self, key: str) -> bytes | None:
        return next((pdf for k, pdf in self._by_ticket.values() if k == key), None)

    def put(self, ticket_id: UUID, key: str, pdf: bytes) -> None:
        self._by_ticket[ticket_id] = (key, pdf)
