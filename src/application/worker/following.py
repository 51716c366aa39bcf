"""Followers of the event log: what the worker drives (emails, read models, alert delivery)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import Notification


class Follower(Protocol):
    """Reacts to recorded events in log order, from a position it can be asked for.

    The worker hands each follower the notifications after ``position()`` whose topic is in
    ``topics``. A follower is idempotent per event: it may see an event twice after a crash
    (at-least-once), never skip one.
    """

    name: str  # stable: it names the follower's recorded position
    topics: tuple[str, ...]  # the event topics it wants; empty means all

    def position(self) -> int:
        """The id of the last notification this follower has fully handled (0: none)."""
        ...

    def handle(self, notification: Notification, event: Any) -> None:
        """Handles one notification (its decoded event given) and records the new position."""
        ...


@runtime_checkable
class PageFollower(Protocol):
    """A follower that can take a whole page of notifications at once (one transaction)."""

    def handle_page(self, page: Sequence[tuple[Notification, Any]]) -> None:
        """Handles every notification of the page (decoded events given), all or none."""
        ...


class ReadModel(Follower, Protocol):
    """A follower that keeps a queryable view; rebuildable from the log by the auditors' replay."""

    def scratch(self) -> ReadModel:
        """An empty copy of this view in separate storage, at position 0 (for a rebuild)."""
        ...

    def entries(self) -> Iterator[tuple[str, Any]]:
        """The view's content, without its position: (key, comparable value) pairs in the
        order of their keys, read as they are used (a big view is never held in memory)."""
        ...

    def replace_with(self, rebuilt: ReadModel) -> None:
        """Makes this live view equal to ``rebuilt`` (content and position), atomically."""
        ...

    def close(self) -> None:
        """Lets go of the view's connections (nothing to do in memory)."""
        ...
