"""The auditors' route: an aggregate's recorded events, in order, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from application.audit import AuditEvent
from application.ports import Principal
from entrypoints.bootstrap import Services
from entrypoints.http.openapi import (
    AGGREGATE_NOT_FOUND,
    BEARER,
    FORBIDDEN,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    problems,
)
from entrypoints.http.params import AggregateIdPath
from entrypoints.http.schemas import Out


class AuditEventOut(Out):
    """One event: its data are the recorded fields (token hashes at most, never a token)."""

    version: int
    type: str
    timestamp: datetime
    actor: str
    reference: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            version=event.version,
            type=event.type,
            timestamp=event.timestamp,
            actor=event.actor,
            reference=event.reference,
            data=msgspec.to_builtins(event.data),
        )


class AuditController(Controller):
    path = "/api/admin/audit"
    tags = ["audit"]

    @get(
        "/{aggregateId:uuid}/events",
        sync_to_thread=True,
        operation_id="listAuditEvents",
        security=BEARER,
        summary="An aggregate's recorded events, in order (admin)",
        responses=problems(UNAUTHENTICATED, FORBIDDEN, AGGREGATE_NOT_FOUND, *STORE_PROBLEMS),
    )
    def events(
        self,
        services: NamedDependency[Services],
        admin: NamedDependency[Principal],
        aggregate_id: AggregateIdPath,
    ) -> list[AuditEventOut]:
        return [AuditEventOut.of(event) for event in services.audit.history(aggregate_id)]
