"""Email sending, the worker's pace and alert delivery: EmailSettings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec

from adapters.alert_channels import WebhookConfig
from adapters.email.smtp import SmtpConfig
from entrypoints.environment import SettingsError, collect, number
from entrypoints.settings.cpus import usable_cpus

EMAIL_BACKENDS = ("file", "ses", "smtp")
MAX_RENDER_PROCESSES = 16


class EmailSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Email sending, the worker and alert delivery."""

    backend: str = "file"
    sender: str = "SalsaNor <tickets@salsanor.no>"
    reply_to: str | None = None
    outbox_dir: Path = Path("var/outbox")
    smtp: SmtpConfig | None = None  # with the smtp backend; its URL stays out of repr
    aws_region: str = "eu-north-1"
    aws_endpoint_url: str | None = None
    admin_alert_email: str | None = None
    alert_webhook: WebhookConfig | None = None  # its URL, a secret, stays out of repr
    max_attempts: int = 5  # failed sends before an email_failed alert (retries go on)
    retry_seconds: float = 30.0  # first retry delay; it doubles, up to 15 minutes
    worker_poll_seconds: float = 0.5
    # Processes rendering ticket emails beside the worker's (0: in the worker's own process).
    render_processes: int = msgspec.field(default_factory=lambda: _default_render_processes())

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EmailSettings:
        defaults = cls()
        with collect() as problems:
            backend = env.get("EMAIL_BACKEND", "").strip().lower() or defaults.backend
            if backend not in EMAIL_BACKENDS:
                problems.add(f"EMAIL_BACKEND must be one of {', '.join(EMAIL_BACKENDS)}")
            sender = env.get("EMAIL_FROM") or defaults.sender
            smtp_url = env.get("SMTP_URL") or None
            smtp = None
            if backend == "smtp" and smtp_url is None:
                problems.add("SMTP_URL (smtp://... or smtps://...) is required")
            elif backend == "smtp" and smtp_url is not None:
                smtp = problems.read(lambda: SmtpConfig(smtp_url, sender))
            webhook_url = env.get("ALERT_WEBHOOK_URL") or None
            webhook = None
            if webhook_url is not None:
                webhook = problems.read(lambda: WebhookConfig(webhook_url))
            max_attempts = problems.read(
                lambda: number(env, "EMAIL_MAX_ATTEMPTS", defaults.max_attempts)
            )
            retry_seconds = problems.read(
                lambda: number(env, "EMAIL_RETRY_SECONDS", defaults.retry_seconds)
            )
            worker_poll_seconds = problems.read(
                lambda: number(env, "WORKER_POLL_SECONDS", defaults.worker_poll_seconds)
            )
            render_processes = problems.read(
                lambda: _count(env, "EMAIL_RENDER_PROCESSES", defaults.render_processes)
            )
        return cls(
            backend=backend,
            sender=sender,
            reply_to=env.get("EMAIL_REPLY_TO") or None,
            outbox_dir=Path(env.get("EMAIL_OUTBOX_DIR") or defaults.outbox_dir),
            smtp=smtp,
            aws_region=env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION")
            or defaults.aws_region,
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            admin_alert_email=env.get("ADMIN_ALERT_EMAIL") or None,
            alert_webhook=webhook,
            max_attempts=max_attempts,
            retry_seconds=retry_seconds,
            worker_poll_seconds=worker_poll_seconds,
            render_processes=render_processes,
        )


def _default_render_processes() -> int:
    """One per CPU this process may use (a container's quota, not the host's cores), up to 4;
    none on one, where another process would only take turns."""
    cores = usable_cpus()
    return min(cores, 4) if cores > 1 else 0


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number from 0 to MAX_RENDER_PROCESSES."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > MAX_RENDER_PROCESSES:
        raise SettingsError(f"{name} must be a whole number from 0 to {MAX_RENDER_PROCESSES}")
    return int(raw)
