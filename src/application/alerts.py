"""Admin alerts: recorded as events with the state that caused them, then told to the sink."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.errors import InvalidQuery, NotFound
from application.paging import check_limit, parse_cursor
from application.ports import AlertListing, AlertNotice, AlertQuery, AlertSink
from application.store import TicketStore, retry_on_conflict
from domain.alert import Alert, AlertKind, AlertState, Severity
from domain.shared import Cause

log = logging.getLogger(__name__)

RAISED_TOPIC = Alert.Raised.TOPIC
DEFAULT_PAGE = 50
STATES = tuple(state.value for state in AlertState)


def new_alert(
    kind: AlertKind,
    message: str,
    *,
    subject: str | None = None,
    key: str | None = None,
    cause: Cause,
    severity: Severity = Severity.WARNING,
) -> Alert:
    """An alert to save with the state change it is about (one transaction, never lost)."""
    return Alert.raise_(
        kind=kind, severity=severity, message=message, subject=subject, key=key, cause=cause
    )


def notice_of(alert: Alert) -> AlertNotice:
    return AlertNotice(
        alert_id=alert.id,
        kind=alert.kind.value,
        severity=alert.severity.value,
        message=alert.message,
        subject=alert.subject,
        created_at=alert.created_on,
        state=alert.state.value,
    )


class Alerts:
    def __init__(self, store: TicketStore, sink: AlertSink) -> None:
        self._store = store
        self._sink = sink

    def told(self, alerts: Sequence[Alert]) -> None:
        """Tells the sink about alerts that were just saved."""
        for alert in alerts:
            log.warning(
                "alert raised",
                extra={
                    "step": "alert",
                    "alert_id": str(alert.id),
                    "kind": alert.kind.value,
                    "subject": alert.subject,
                },
            )
        if alerts:
            self._sink.notify([notice_of(alert) for alert in alerts])

    def raise_now(self, alert: Alert) -> None:
        """Saves an alert on its own (a failure's alert, where nothing else could be saved)."""
        try:
            self._store.save(alert)
        except IntegrityError:
            return  # the same keyed alert was raised before: once is enough
        self.told([alert])

    def newest_first(self, limit: int = 500) -> list[AlertNotice]:
        """Raised alerts read from the log itself (tests, diagnostics); admins page the list."""
        notices = [
            _notice_of_event(self._store.decode(n))
            for n in self._store.notifications(topics=(RAISED_TOPIC,))
        ]
        notices.reverse()
        return notices[:limit]


def _notice_of_event(event: Alert.Raised) -> AlertNotice:
    return AlertNotice(
        alert_id=event.originator_id,
        kind=event.kind.value,
        severity=event.severity.value,
        message=event.message,
        subject=event.subject,
        created_at=event.timestamp,
    )


@dataclass(frozen=True)
class AlertPage:
    items: tuple[AlertNotice, ...]
    next_cursor: str | None  # None on the last page


class AlertBoard:
    """The admins' alert list: paged from its read model, acknowledged on the aggregate."""

    def __init__(self, store: TicketStore, listing: AlertListing) -> None:
        self._store = store
        self._listing = listing

    def page(
        self,
        *,
        limit: int = DEFAULT_PAGE,
        cursor: str | None = None,
        kind: str | None = None,
        state: str | None = None,
        since: datetime | None = None,
    ) -> AlertPage:
        """Newest first; ``cursor`` is the previous page's ``next_cursor``."""
        check_limit(limit)
        if state is not None and state not in STATES:
            raise InvalidQuery(f"state must be one of {', '.join(STATES)}", "invalid_state")
        if since is not None:
            since = _in_utc(since)
        rows = self._listing.page(
            AlertQuery(limit + 1, kind or None, state, since, before=parse_cursor(cursor))
        )
        shown = rows[:limit]
        more = len(rows) > limit
        return AlertPage(
            tuple(row.alert for row in shown), str(shown[-1].position) if more else None
        )

    def acknowledge(self, alert_id: UUID, cause: Cause) -> AlertNotice:
        """Records who acknowledged it; acknowledging it again changes nothing."""

        def command() -> AlertNotice:
            alert = self._store.find(Alert, alert_id)
            if alert is None:
                raise NotFound(f"no alert {alert_id}", "alert_not_found")
            if alert.state is AlertState.OPEN:
                alert.acknowledge(by=cause.actor, cause=cause)
                self._store.save(alert)
            return notice_of(alert)

        return retry_on_conflict(command)


def _in_utc(moment: datetime) -> datetime:
    """A time in UTC, every recorded time's zone; no zone means UTC. Clamped at the calendar's
    ends: ``0001-01-01T00:00:00+01:00`` lies before the first UTC moment Python can hold."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == datetime.min.year else datetime.max).replace(
            tzinfo=UTC
        )
