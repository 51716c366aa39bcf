"""Bodies of the alert routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from application.alerts.ports import AlertNotice
from entrypoints.http.schemas import (
    Out,
)


class AlertOut(Out):
    alert_id: UUID
    kind: str
    severity: str
    message: str
    subject: str | None
    created_at: datetime
    state: Literal["open", "acknowledged"]

    @classmethod
    def of(cls, alert: AlertNotice) -> AlertOut:
        return cls(
            alert.alert_id,
            alert.kind,
            alert.severity,
            alert.message,
            alert.subject,
            alert.created_at,
            "acknowledged" if alert.state == "acknowledged" else "open",
        )


class AlertPageOut(Out):
    """A page of alerts, newest first; ``nextCursor`` asks for the next one (null: the last)."""

    items: list[AlertOut]
    next_cursor: str | None
