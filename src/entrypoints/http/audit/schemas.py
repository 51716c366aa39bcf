"""Bodies of the audit routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from application.audit.auditing import AuditEvent
from entrypoints.http.schemas import (
    Out,
)


class AuditEventOut(Out):
    """One event: its data are the recorded fields (token hashes at most, never a token)."""

    version: int
    type: str
    timestamp: datetime
    actor: str
    reference: str | None
    request_id: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            version=event.version,
            type=event.type,
            timestamp=event.timestamp,
            actor=event.actor,
            reference=event.reference,
            request_id=event.request_id,
            data=msgspec.to_builtins(event.data),
        )
