"""The aggregates a replay rebuilds, kept within a memory bound: the most recently used in
memory, the rest spilled to a private scratch database."""

from __future__ import annotations

import pickle
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)

# Aggregates kept in memory while the log is read (about 2 kB each); the rest are spilled.
HOT_AGGREGATES = 40_000
# Stripe event ids kept in memory (about 150 B each) before they are spilled too.
HOT_STRIPE_IDS = 100_000


class Rebuilt:
    """The aggregates rebuilt from the log: the most recently used in memory, the rest spilled.

    The log of a big service holds more orders and tickets than fit in memory: those not
    touched for a while are pickled into a private scratch SQLite database, which SQLite
    deletes when it is closed. The Stripe event ids seen are kept in memory up to a bound,
    and spilled there too beyond it. Only this process ever writes or reads it.
    """

    def __init__(self, hot: int | None = None, stripe_ids: int | None = None) -> None:
        self._capacity = max(1, hot if hot is not None else HOT_AGGREGATES)
        self._stripe_capacity = max(1, stripe_ids if stripe_ids is not None else HOT_STRIPE_IDS)
        self._hot: OrderedDict[UUID, Aggregate] = OrderedDict()
        # Until the first spill, a miss needs no lookup. No set of the spilled ids: at millions
        # of aggregates it alone would outgrow the memory the spill saves.
        self._spilled = False
        self._stripe_hot: set[tuple[str, str]] = set()
        self._stripe_spilled = False
        self._db = sqlite3.connect("")  # "": a temporary file of SQLite's own
        self._db.executescript(
            "CREATE TABLE aggregates (id BLOB PRIMARY KEY, kind TEXT, state BLOB) WITHOUT ROWID;"
            "CREATE TABLE stripe_events (topic TEXT, id TEXT, PRIMARY KEY (topic, id))"
            " WITHOUT ROWID;"
        )

    def get(self, key: UUID) -> Aggregate | None:
        aggregate = self._hot.get(key)
        if aggregate is not None:
            self._hot.move_to_end(key)
            return aggregate
        return self._spilled_one(key)

    def put(self, key: UUID, aggregate: Aggregate) -> None:
        self._hot[key] = aggregate
        self._hot.move_to_end(key)
        if len(self._hot) > self._capacity:
            self._spill(max(1, self._capacity // 4))  # many at a time: one transaction each

    def find(self, key: UUID, cls: type[A]) -> A | None:
        """The aggregate of ``cls`` with this id, without making it recently used."""
        aggregate = self._hot.get(key)
        if aggregate is None:
            aggregate = self._spilled_one(key)
        return aggregate if isinstance(aggregate, cls) else None

    def every(self, cls: type[A]) -> Iterator[A]:
        """Every aggregate of ``cls``: call when nothing is put any more."""
        for aggregate in self._hot.values():
            if isinstance(aggregate, cls):
                yield aggregate
        if not self._spilled:
            return
        rows = self._db.execute(
            "SELECT id, state FROM aggregates WHERE kind = ?", (cls.__qualname__,)
        )
        for key, state in rows:
            # One also in memory was used since it was spilled: that one is the newer.
            if UUID(bytes=key) not in self._hot:
                aggregate = _unpickled(state)
                if isinstance(aggregate, cls):
                    yield aggregate

    def first_time(self, topic: str, stripe_event_id: str) -> bool:
        """Whether this Stripe event id is seen for the first time under ``topic``."""
        seen = (topic, stripe_event_id)
        if seen in self._stripe_hot:
            return False
        if (
            self._stripe_spilled
            and self._db.execute(
                "SELECT 1 FROM stripe_events WHERE topic = ? AND id = ?", seen
            ).fetchone()
        ):
            return False
        self._stripe_hot.add(seen)
        if len(self._stripe_hot) > self._stripe_capacity:
            with self._db:
                self._db.executemany("INSERT INTO stripe_events VALUES (?, ?)", self._stripe_hot)
            self._stripe_hot.clear()
            self._stripe_spilled = True
        return True

    def close(self) -> None:
        self._hot.clear()
        self._stripe_hot.clear()
        self._db.close()

    def _spilled_one(self, key: UUID) -> Aggregate | None:
        if not self._spilled:
            return None
        row = self._db.execute("SELECT state FROM aggregates WHERE id = ?", (key.bytes,)).fetchone()
        return _unpickled(row[0]) if row is not None else None

    def _spill(self, count: int) -> None:
        oldest = [self._hot.popitem(last=False) for _ in range(count)]
        with self._db:
            self._db.executemany(
                "INSERT INTO aggregates VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " state = excluded.state",
                [
                    (key.bytes, type(a).__qualname__, pickle.dumps(a, pickle.HIGHEST_PROTOCOL))
                    for key, a in oldest
                ],
            )
        self._spilled = True


def _unpickled(state: bytes) -> Aggregate:
    # Pickled by this process into its own private scratch database a moment ago.
    aggregate: Aggregate = pickle.loads(state)  # noqa: S301
    return aggregate
