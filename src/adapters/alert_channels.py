"""Alert channels: the log, the admins' inbox (through the mailer), a Slack-compatible webhook."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from application.alerts.ports import AlertDeliveryError, AlertNotice
from application.emails.ports import EmailContent, Mailer, PermanentEmailError, TemporaryEmailError

log = logging.getLogger(__name__)


class LogAlertChannel:
    """One ERROR (critical) or WARNING line per alert, for log-based alerting and Sentry."""

    name = "log"

    def deliver(self, alert: AlertNotice) -> None:
        log.log(
            logging.ERROR if alert.severity == "critical" else logging.WARNING,
            "admin alert: %s",
            alert.message,
            extra={
                "step": "alert",
                "alert_id": str(alert.alert_id),
                "kind": alert.kind,
                "severity": alert.severity,
                "subject": alert.subject,
            },
        )


class EmailAlertChannel:
    name = "email"

    def __init__(self, to: str, mailer: Mailer, content: EmailContent) -> None:
        self._to = to
        self._mailer = mailer
        self._content = content

    def deliver(self, alert: AlertNotice) -> None:
        try:
            self._mailer.send(self._content.alert_email(alert, self._to))
        except (TemporaryEmailError, PermanentEmailError) as error:
            raise AlertDeliveryError(f"alert email not sent: {error}") from None


@dataclass(frozen=True)
class WebhookConfig:
    url: str = field(repr=False)  # a Slack webhook URL is a secret
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("ALERT_WEBHOOK_URL must be an http(s) URL")


def chat_escaped(text: str) -> str:
    """Text as Slack's (and Mattermost's) markup shows it literally: ``<url|label>`` would be a
    link and ``<!channel>`` a mention. The three characters Slack says to escape, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WebhookAlertChannel:
    """A JSON POST with a ``text`` field (what Slack, Mattermost and Teams' connectors read)."""

    name = "webhook"

    def __init__(self, config: WebhookConfig) -> None:
        self._config = config

    def deliver(self, alert: AlertNotice) -> None:
        icon = ":rotating_light:" if alert.severity == "critical" else ":warning:"
        body = {
            "text": f"{icon} *{alert.kind}* ({alert.severity}): {chat_escaped(alert.message)}",
            "alert": {
                "alertId": str(alert.alert_id),
                "kind": alert.kind,
                "severity": alert.severity,
                "message": alert.message,
                "subject": alert.subject,
                "createdAt": alert.created_at.isoformat(),
            },
        }
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self._config.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._config.timeout_seconds):  # noqa: S310
                pass
        except urllib.error.HTTPError as error:
            raise AlertDeliveryError(f"the alert webhook answered {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise AlertDeliveryError(
                f"the alert webhook is unreachable ({type(error).__name__})"
            ) from None
