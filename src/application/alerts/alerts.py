"""Admin alerts: recorded as events with the state that caused them, then announced at once."""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError

from application.alerts.ports import AlertChannel, AlertNotice
from application.store import TicketStore
from domain.alert import Alert, AlertKind, Severity
from domain.shared import Cause


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
    def __init__(self, store: TicketStore, at_once: AlertChannel) -> None:
        self._store = store
        self._at_once = at_once  # in the process that raised them (the log); the worker
        # delivers to the other channels (AlertChannels)

    def announce(self, alerts: Sequence[Alert]) -> None:
        """Delivers alerts just saved to this process's channel (the log) at once."""
        for alert in alerts:
            self._at_once.deliver(notice_of(alert))

    def raise_now(self, alert: Alert) -> None:
        """Saves an alert on its own (a failure's alert, where nothing else could be saved)."""
        try:
            self._store.save(alert)
        except IntegrityError:
            return  # the same keyed alert was raised before: once is enough
        self.announce([alert])
