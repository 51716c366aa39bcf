"""The Alert aggregate: something an admin must look at, recorded like everything else."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.shared import Cause, DomainError, stable_id


class AlertKind(StrEnum):
    PROFILE_MISSING = "profile_missing"
    PAYMENT_MISMATCH = "payment_mismatch"
    UNKNOWN_ORDER = "unknown_order"
    FULFILLMENT_FAILED = "fulfillment_failed"
    TOKEN_MISMATCH = "token_mismatch"  # noqa: S105 (a word, not a secret)
    EMAIL_FAILED = "email_failed"
    PARTIAL_REFUND = "partial_refund"
    UNKNOWN_PAYMENT_REFUND = "unknown_payment_refund"
    DUPLICATE_PAYMENT = "duplicate_payment"
    FOLLOWER_STALLED = "follower_stalled"  # a worker follower fails on one event, again and again
    WORKER_RESTARTING = "worker_restarting"  # the worker keeps dying; it is started again
    # No longer raised (unknown_payment_refund says it); kept so that recorded alerts decode.
    REFUND_UNMATCHED = "refund_unmatched"


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class AlreadyAcknowledged(DomainError):
    """Raised when an alert that an admin has acknowledged is acknowledged again."""


class Alert(Aggregate):
    TOPIC = "tickets:Alert"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Alert.Created"

    class Raised(Created):
        TOPIC = "tickets:Alert.Raised"
        kind: AlertKind
        severity: Severity
        message: str
        subject: str | None

    class Acknowledged(Event):
        """An admin has seen the alert and taken it on; ``by`` is their user id."""

        TOPIC = "tickets:Alert.Acknowledged"
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.state = AlertState.ACKNOWLEDGED
            aggregate.acknowledged_by = self.by
            aggregate.acknowledged_at = self.timestamp

    def __init__(
        self, cause: Cause, kind: AlertKind, severity: Severity, message: str, subject: str | None
    ) -> None:
        self.kind = kind
        self.severity = severity
        self.message = message
        self.subject = subject
        self.state = AlertState.OPEN
        self.acknowledged_by: str | None = None
        self.acknowledged_at: datetime | None = None

    def acknowledge(self, by: str, cause: Cause) -> None:
        if self.state is AlertState.ACKNOWLEDGED:
            raise AlreadyAcknowledged(f"alert {self.id} was acknowledged by {self.acknowledged_by}")
        self.trigger_event(self.Acknowledged, by=by, cause=cause)

    @staticmethod
    def id_for(kind: AlertKind, key: str | None) -> UUID:
        """With a key, the same cause raises the same alert once; without, every call is new."""
        return stable_id("alert", kind, key) if key is not None else uuid4()

    @classmethod
    def raise_(
        cls,
        *,
        kind: AlertKind,
        severity: Severity,
        message: str,
        subject: str | None,
        key: str | None,
        cause: Cause,
    ) -> Alert:
        return cls._create(
            cls.Raised,
            id=cls.id_for(kind, key),
            cause=cause,
            kind=kind,
            severity=severity,
            message=message,
            subject=subject,
        )
