"""Followers stalled on one event: the alert that says so, and who is stalled right now.

A follower handles the log in order, so an event that fails every time (a row its store cannot
hold, a bug) holds it at one position for good while every later event waits behind it. The
worker keeps retrying with backoff; after a bounded number of failures on the same event it
raises one ``follower_stalled`` alert, keyed by the follower and its position: raised once,
whichever worker process sees it, and still true exactly as long as the follower has not moved
from that position. So any process (an API instance answering readiness or metrics) can tell a
stalled follower from the store alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.alerts.alerts import new_alert
from application.store import TicketStore
from application.worker.following import Follower
from domain.alert import Alert, AlertKind, Severity
from domain.shared import SYSTEM

# Failures of one follower on one event before the alert: enough to ride out a blip (a lock
# timeout, a restart of the database), few enough that an admin hears of it within minutes.
STALL_AFTER_FAILURES = 5


@dataclass(frozen=True)
class Stalled:
    follower: str
    position: int  # the last notification it handled
    notification_id: int | None  # the one it fails on (None: no longer in its topics' log)


def stall_key(follower: str, position: int) -> str:
    return f"{follower}@{position}"


def stall_alert(
    follower: str, position: int, notification_id: int, failures: int, error: str
) -> Alert:
    return new_alert(
        AlertKind.FOLLOWER_STALLED,
        f"the {follower} follower has failed {failures} times on notification"
        f" {notification_id} and stays behind it (retrying with backoff): {error}",
        subject=follower,
        key=stall_key(follower, position),
        cause=SYSTEM,
        severity=Severity.CRITICAL,
    )


def describe(error: Exception, limit: int = 200) -> str:
    """The error's type and message, printable and short: it goes into an alert and emails."""
    text = f"{type(error).__name__}: {error}"
    text = "".join(char if char.isprintable() else "?" for char in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FollowerHealth:
    """Which followers are stalled now, read from the store (any process can ask)."""

    def __init__(self, store: TicketStore, followers: Sequence[Follower]) -> None:
        self._store = store
        self._followers = tuple(followers)

    def stalled(self) -> list[Stalled]:
        found = []
        for follower in self._followers:
            position = follower.position()
            alert_id = Alert.id_for(AlertKind.FOLLOWER_STALLED, stall_key(follower.name, position))
            if self._store.find(Alert, alert_id) is None:
                continue
            after = self._store.recorder.select_notifications(
                start=position + 1, limit=1, topics=follower.topics
            )
            found.append(Stalled(follower.name, position, after[0].id if after else None))
        return found

    def names(self) -> tuple[str, ...]:
        return tuple(follower.name for follower in self._followers)
