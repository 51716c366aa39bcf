"""The worker's ports: followers' positions and jobs, wake-ups and locks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Job:
    """Work a follower queued (an email to send...), kept until done, so a crash loses none."""

    key: str  # unique per follower: queuing the same key again changes nothing
    data: dict[str, str]
    attempts: int  # failed attempts so far


class FollowerStore(Protocol):
    """Followers' positions in the log and their pending jobs, in the event store's database."""

    def position(self, follower: str) -> int:
        """The last notification id the follower has handled; 0 if none."""
        ...

    def advance(
        self, follower: str, position: int, jobs: Sequence[tuple[str, dict[str, str]]] = ()
    ) -> None:
        """Queues the jobs (keys already queued or done are ignored) and records the position,
        in one transaction."""
        ...

    def due(self, follower: str, now: datetime, limit: int) -> list[Job]:
        """Pending jobs whose time has come, oldest first."""
        ...

    def claim(self, follower: str, key: str) -> bool:
        """Marks a pending job as being done (for at-most-once work); False if it is not pending."""
        ...

    def retry_at(self, follower: str, key: str, when: datetime) -> None:
        """Counts a failed attempt and puts the job back as pending until ``when``."""
        ...

    def done(self, follower: str, *keys: str) -> None:
        """Finishes jobs, in one transaction: never run again, and queuing a key again does
        nothing."""
        ...

    def abandon_claimed(self, follower: str) -> list[str]:
        """Finishes jobs claimed by a run that died; returns their keys (for the log)."""
        ...

    def pending_count(self, follower: str) -> int:
        """Jobs not done yet: due now, or waiting for a retry."""
        ...

    def close(self) -> None: ...


class Wakeup(Protocol):
    """Wakes the worker when events may have been recorded."""

    def wait(self, timeout: float) -> bool:
        """True on a notification from the store; False after ``timeout`` seconds without."""
        ...

    def close(self) -> None: ...


class FollowerLocks(Protocol):
    """One worker at a time runs each follower, however many workers share the database."""

    def try_acquire(self, follower: str) -> bool:
        """True if this process holds (or now took) the follower's lock."""
        ...

    def release_all(self) -> None: ...
