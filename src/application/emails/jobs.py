"""A ticket email as a queued job: which ticket, why, and how often a failure is tried again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from application.emails.ports import (
    EmailKind,
    EmailReason,
)
from domain.ticket import Ticket


@dataclass(frozen=True)
class EmailPolicy:
    """How hard the worker tries before it tells an admin (the email stays queued after)."""

    max_attempts: int = 5
    first_retry_seconds: float = 30.0
    max_retry_seconds: float = 900.0
    batch_size: int = 20

    def retry_delay(self, failures: int) -> timedelta:
        seconds = self.first_retry_seconds * 2 ** max(0, failures - 1)
        return timedelta(seconds=min(self.max_retry_seconds, seconds))


@dataclass(frozen=True)
class EmailJob:
    """One email to send: its idempotency key is (ticket, token version, reason).

    A resend names the request (see EmailReason) and carries no token version: it goes out
    with whatever token is current when it is sent. Queued as strings (``data``/``of``).
    """

    ticket_id: UUID
    token_version: int | None
    reason: EmailReason
    request_id: str | None = None  # the request behind it, for the log; not part of the key

    @property
    def key(self) -> str:
        return f"{self.ticket_id}:{self.token_version or 'current'}:{self.reason}"

    def data(self) -> dict[str, str]:
        data = {"ticket_id": str(self.ticket_id), "reason": str(self.reason)}
        if self.token_version is not None:
            data["token_version"] = str(self.token_version)
        if self.request_id:
            data["request_id"] = self.request_id
        return data

    @classmethod
    def of(cls, data: dict[str, str]) -> EmailJob:
        version = data.get("token_version")
        return cls(
            UUID(data["ticket_id"]),
            int(version) if version else None,
            EmailReason.parse(data["reason"]),
            data.get("request_id"),
        )

    def log_context(self) -> dict[str, str]:
        context = {"ticket_id": str(self.ticket_id)}
        if self.request_id:
            context["request_id"] = self.request_id
        return context


def jobs_for(event: Any) -> list[EmailJob]:
    """The emails an event asks for: a new token (issued or rotated), a resend request, or
    a revocation."""
    request_id = getattr(getattr(event, "cause", None), "request_id", None)
    if isinstance(event, Ticket.QrTokenIssued):
        kind = EmailKind.ISSUED if event.version == 1 else EmailKind.ROTATED
        return [EmailJob(event.originator_id, event.version, EmailReason(kind), request_id)]
    if isinstance(event, Ticket.EmailResendRequested):
        reason = EmailReason.resend(event.originator_version)
        return [EmailJob(event.originator_id, None, reason, request_id)]
    if isinstance(event, Ticket.Revoked):  # one email a revocation
        reason = EmailReason.revoked(event.originator_version)
        return [EmailJob(event.originator_id, None, reason, request_id)]
    return []
