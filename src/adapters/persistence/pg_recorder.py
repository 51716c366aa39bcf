"""The event store's PostgreSQL recorder: each save is one statement, its table lock included.

The library's recorder saves in a pipelined transaction: BEGIN, ``SET LOCAL lock_timeout``,
``LOCK TABLE ... IN EXCLUSIVE MODE``, NOTIFY, the INSERT, a sync to see a conflict, COMMIT. The
lock makes commit order the order of the notification ids, so that a follower reading the log
never passes a gap that fills in later. That is three round trips and six statements, and in
profiles of first door scans the save was a large share of the HTTP processes' Python.

Here the same statements run inside a database function, called in autocommit: the call is its
own transaction, so the lock is taken before the ids are drawn and held until the commit, as
in the library's transaction. (The library has a function too, ``POSTGRES_ENABLE_DB_FUNCTIONS``,
but it leaves the lock out, and followers were seen to miss events with it:
``LIBRARY-NOTES.md``.) ``migrate`` creates the function with the events' table, and with it
the lock timeout (``StoreConfig``'s, a constant).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier


class LockedInsertRecorder(PostgresApplicationRecorder):
    """The library's recorder, its inserts one call of the function it adds to the schema."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        datastore = self.datastore
        self._function = f"tickets_insert_events_{datastore.originator_id_type}"
        names = {
            "schema": Identifier(datastore.schema),
            "function": Identifier(self._function),
            "table": Identifier(self.events_table_name),
            "event": Identifier(self.stored_event_type_name),
            "channel": Identifier(self.channel_name),
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {schema}.{table} "
                "(originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
                "RETURNING notification_id; "
                "END; $BODY$"
            ).format(lock_timeout=datastore.lock_timeout, **names)
        )
        self._call = SQL("SELECT * FROM {schema}.{function}((%s))").format(**names)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._call, (rows,), prepare=True)
            return [row[self._function] for row in curs.fetchall()]
