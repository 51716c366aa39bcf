"""Admin alerts: recorded as events with the state that caused them, then told to the sink."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError

from application.ports import AlertNotice, AlertSink
from application.store import TicketStore
from domain.alert import Alert, AlertKind, Severity
from domain.shared import Cause

log = logging.getLogger(__name__)

RAISED_TOPIC = Alert.Raised.TOPIC


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
