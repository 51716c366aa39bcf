"""The alerts' ports: the channels that deliver them and the list admins read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class AlertNotice:
    """An alert as its channels and the admins' list show it."""

    alert_id: UUID
    created_at: datetime
    severity: str
    kind: str
    subject: str | None
    message: str
    state: str = "open"  # or "acknowledged"


class AlertDeliveryError(Exception):
    """Raised when an alert could not be delivered to a channel now (it is tried again)."""


class AlertChannel(Protocol):
    """Somewhere admins hear about alerts: the log at once, an inbox or a chat webhook later."""

    name: str  # stable: it keys the record that the alert went there

    def deliver(self, alert: AlertNotice) -> None:
        """Delivers one alert; raises AlertDeliveryError (the log channel never raises)."""
        ...


@dataclass(frozen=True)
class AlertQuery:
    """A page of the alert list: newest first, after ``before`` (a position) when given."""

    limit: int
    kind: str | None = None
    state: str | None = None
    since: datetime | None = None  # created at or after
    before: int | None = None  # only alerts recorded before this position (the cursor)


@dataclass(frozen=True)
class ListedAlert:
    alert: AlertNotice
    position: int  # the notification id of its Raised event: orders the list, makes cursors


class AlertListing(Protocol):
    """The alert list read model's query side (kept by the worker; may lag a moment)."""

    def page(self, query: AlertQuery) -> list[ListedAlert]:
        """Up to ``query.limit`` alerts matching the query, newest (highest position) first."""
        ...
