"""Settings of email sending, the worker and alert delivery, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from entrypoints.config_errors import ConfigError, collect

N = TypeVar("N", int, float)

BACKENDS = ("file", "ses", "smtp")


class EmailSettingsError(ConfigError):
    """Raised when an email variable is missing or unusable for the chosen backend."""


@dataclass(frozen=True)
class EmailSettings:
    backend: str = "file"
    sender: str = "SalsaNor <tickets@salsanor.no>"
    reply_to: str | None = None
    outbox_dir: Path = Path("var/outbox")
    smtp_url: str | None = field(default=None, repr=False)  # may hold a password
    aws_region: str = "eu-north-1"
    aws_endpoint_url: str | None = None
    admin_alert_email: str | None = None
    alert_webhook_url: str | None = field(default=None, repr=False)  # a secret URL
    max_attempts: int = 5  # failed sends before an email_failed alert (retries go on)
    retry_seconds: float = 30.0  # first retry delay; it doubles, up to 15 minutes
    worker_poll_seconds: float = 0.5

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EmailSettings:
        defaults = cls()
        with collect(EmailSettingsError) as problems:
            backend = env.get("EMAIL_BACKEND", "file").strip().lower() or "file"
            if backend not in BACKENDS:
                problems.add(f"EMAIL_BACKEND must be one of {', '.join(BACKENDS)}")
            smtp_url = env.get("SMTP_URL") or None
            if backend == "smtp" and (
                smtp_url is None or urlsplit(smtp_url).scheme not in ("smtp", "smtps")
            ):
                problems.add("SMTP_URL (smtp://... or smtps://...) is required")
            webhook = env.get("ALERT_WEBHOOK_URL") or None
            if webhook is not None and urlsplit(webhook).scheme not in ("http", "https"):
                problems.add("ALERT_WEBHOOK_URL must be an http(s) URL")
            max_attempts = problems.read(
                lambda: _number(env, "EMAIL_MAX_ATTEMPTS", defaults.max_attempts, int)
            )
            retry_seconds = problems.read(
                lambda: _number(env, "EMAIL_RETRY_SECONDS", defaults.retry_seconds, float)
            )
            worker_poll_seconds = problems.read(
                lambda: _number(env, "WORKER_POLL_SECONDS", defaults.worker_poll_seconds, float)
            )
        return cls(
            backend=backend,
            sender=env.get("EMAIL_FROM") or defaults.sender,
            reply_to=env.get("EMAIL_REPLY_TO") or None,
            outbox_dir=Path(env.get("EMAIL_OUTBOX_DIR") or defaults.outbox_dir),
            smtp_url=smtp_url,
            aws_region=env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION")
            or defaults.aws_region,
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            admin_alert_email=env.get("ADMIN_ALERT_EMAIL") or None,
            alert_webhook_url=webhook,
            max_attempts=max_attempts,
            retry_seconds=retry_seconds,
            worker_poll_seconds=worker_poll_seconds,
        )


def _number(env: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise EmailSettingsError(f"{name} must be a number") from None
    if value <= 0:
        raise EmailSettingsError(f"{name} must be positive")
    return value
