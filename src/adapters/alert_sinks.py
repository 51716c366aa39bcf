"""Alert sinks: where admins hear about alerts besides GET /api/admin/alerts."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from application.ports import AlertNotice

log = logging.getLogger(__name__)


class LogAlertSink:
    """Writes each alert as an ERROR/WARNING log line, for log-based alerting."""

    def notify(self, alerts: Sequence[AlertNotice]) -> None:
        for alert in alerts:
            log.log(
                logging.ERROR if alert.severity == "critical" else logging.WARNING,
                "admin alert: %s",
                alert.message,
                extra={
                    "alert_id": str(alert.alert_id),
                    "kind": alert.kind,
                    "severity": alert.severity,
                    "subject": alert.subject,
                },
            )
