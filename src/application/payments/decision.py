"""What one Stripe event changes, as its handling decided it: saved whole with its record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.alerts.alerts import new_alert
from application.payments.ports import PaymentConfirmed, RefundReported
from domain.alert import AlertKind, Severity
from domain.payment import DeliveryOutcome
from domain.shared import Cause


@dataclass(frozen=True)
class Step:
    """One line of the event's log, written only once everything is saved."""

    name: str
    fields: dict[str, Any]


@dataclass
class PaymentDecision:
    """What handling one payment or refund notice decided: its outcome, the aggregates it
    changed (saved whole, with the notice's record) and the log lines once they are saved."""

    outcome: DeliveryOutcome
    order_id: UUID | None = None
    changed: list[Aggregate] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    def step(self, name: str, **fields: Any) -> None:
        self.steps.append(Step(name, fields))


def alert_and_record(
    notice: PaymentConfirmed | RefundReported,
    cause: Cause,
    outcome: DeliveryOutcome,
    order_id: UUID | None,
    kind: AlertKind,
    message: str,
    *,
    subject: str | None,
    severity: Severity = Severity.CRITICAL,
    changed: Sequence[Aggregate] = (),
) -> PaymentDecision:
    """An outcome someone must look at: its alert is saved with the event's record."""
    alert = new_alert(
        kind, message, subject=subject, key=notice.event_id, cause=cause, severity=severity
    )
    return PaymentDecision(outcome, order_id, [*changed, alert])
