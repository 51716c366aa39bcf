"""The auditors' route: an aggregate's recorded events, in order, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.audit import AuditEvent
from application.ports import Principal
from entrypoints.bootstrap import Services


class AuditEventOut(msgspec.Struct, rename="camel"):
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


class AuditController(Controller):
    path = "/api/admin/audit"
    tags = ["audit"]

    @get("/{aggregate_id:uuid}/events", sync_to_thread=True)
    def events(
        self,
        services: NamedDependency[Services],
        admin: NamedDependency[Principal],
        aggregate_id: FromPath[UUID],
    ) -> list[AuditEventOut]:
        return [AuditEventOut.of(event) for event in services.audit.history(aggregate_id)]
