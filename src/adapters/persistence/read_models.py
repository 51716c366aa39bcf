"""What the read models beside the events share: each event applied once, with its position.

A read model (scan index, alert list) writes an event's row changes and its position in
``follower_positions`` in one transaction, so that it is exactly the log's up to its position.
The worker hands it a page of events at once where it can (``handle_page``): one transaction
for the page, which a catching-up worker needs (one per event followed a few hundred a second).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification

from adapters.persistence.sql_tables import Run

POSITIONS_TABLE = "follower_positions"  # the followers' store's table: one for every follower
_POSITION = "SELECT position FROM {positions} WHERE follower = ?"
_SET_POSITION = "UPDATE {positions} SET position = ? WHERE follower = ?"


class FollowedReadModel(ABC):
    """``handle``: the worker's call for each event of ``topics`` after the model's position."""

    name: str
    topics: tuple[str, ...]

    def handle(self, notification: Notification, event: Any) -> None:
        with self._transaction() as (rows, position):
            if notification.id <= position:
                return  # handled before a crash or a takeover: at-least-once made exactly-once
            self._apply(rows, notification, event)
            rows.set_position(notification.id)

    def handle_page(self, page: Sequence[tuple[Notification, Any]]) -> None:
        with self._transaction() as (rows, position):
            fresh = [(n, event) for n, event in page if n.id > position]
            for notification, event in fresh:
                self._apply(rows, notification, event)
            if fresh:
                rows.set_position(fresh[-1][0].id)

    @abstractmethod
    def _transaction(self) -> Any:
        """A context giving (rows, position) for one atomic update."""

    @abstractmethod
    def _apply(self, rows: Any, notification: Notification, event: Any) -> None:
        """The event's row changes."""


def position(run: Run, name: str, *, lock: bool = False) -> int:
    """The model's recorded position; ``lock`` (PostgreSQL): the row stays locked until the
    transaction ends, so a second worker waits, then sees the event handled."""
    found = run(_POSITION + (" FOR UPDATE" if lock else ""), (name,))
    return int(found[0][0]) if found else 0


def set_position(run: Run, name: str, value: int) -> None:
    run(_SET_POSITION, (value, name))
