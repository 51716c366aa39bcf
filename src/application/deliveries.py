"""Applying a Stripe event once: its record saved with everything it changed, logged, alerted.

Fulfilment and refunds share this: a redelivered event is recognised by its record, a version
conflict re-runs the whole command from a fresh read, and a failure saves nothing, raises a
critical alert and propagates so that Stripe retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.alerts import Alerts, new_alert
from application.errors import StoreUnavailable
from application.ports import PaymentConfirmed, RefundReported
from application.store import TicketStore, retry_on_conflict
from domain.alert import Alert, AlertKind, Severity
from domain.order import Order
from domain.payment import DeliveryOutcome, StripeDelivery
from domain.shared import Cause

log = logging.getLogger(__name__)

Notice = PaymentConfirmed | RefundReported


@dataclass
class Applied:
    """What one run of a command did; logged and told only once it is saved."""

    outcome: DeliveryOutcome | None  # None: this event was recorded before (a redelivery)
    order_id: UUID | None = None
    saved: list[Aggregate] = field(default_factory=list)
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def apply_once(
    store: TicketStore,
    alerts: Alerts,
    notice: Notice,
    process: str,
    command: Callable[[Cause], Applied],
    *,
    subject: str | None,
    request_id: str | None = None,
) -> DeliveryOutcome | None:
    """Runs ``command`` for a Stripe event unless the event is on record already."""
    cause = Cause(actor="stripe", reference=notice.event_id, request_id=request_id)

    def once() -> Applied:
        if store.find(StripeDelivery, StripeDelivery.id_for(notice.event_id)) is not None:
            return Applied(None, steps=[("duplicate", {"reason": "event already recorded"})])
        return command(cause)

    try:
        result = retry_on_conflict(once)
    except StoreUnavailable as error:
        # Nothing was saved, and an alert could not be either: Stripe's retry does the work.
        log_step(process, "failed", notice.event_id, error=type(error).__name__)
        raise
    except Exception as error:
        log_step(process, "failed", notice.event_id, error=type(error).__name__)
        alerts.raise_now(
            new_alert(
                AlertKind.FULFILLMENT_FAILED,
                f"{process} of Stripe event {notice.event_id} failed "
                f"({type(error).__name__}); Stripe will retry",
                subject=subject,
                key=notice.event_id,
                cause=cause,
                severity=Severity.CRITICAL,
            )
        )
        raise
    for step, fields in result.steps:
        log_step(process, step, notice.event_id, order_id=result.order_id, **fields)
    alerts.told([a for a in result.saved if isinstance(a, Alert)])
    return result.outcome


def record(
    store: TicketStore,
    notice: Notice,
    order_id: UUID | None,
    outcome: DeliveryOutcome,
    cause: Cause,
    *changed: Aggregate,
) -> Applied:
    """Saves the record of the event with what it changed: one transaction, all or nothing."""
    delivery = StripeDelivery.record(
        stripe_event_id=notice.event_id,
        event_type=notice.event_type,
        order_id=order_id,
        outcome=outcome,
        cause=cause,
    )
    store.save(delivery, *changed)
    return Applied(
        outcome, order_id, [delivery, *changed], [("recorded", {"outcome": outcome.value})]
    )


def order_by_ref(store: TicketStore, order_ref: str | None) -> Order | None:
    """The order a Stripe object names (unchecked text from Stripe: anything may be in it)."""
    try:
        order_id = UUID(order_ref or "")
    except ValueError:
        return None
    return store.find(Order, order_id)


def log_step(process: str, step: str, event_id: str, **fields: Any) -> None:
    log.info(
        "%s %s",
        process,
        step,
        extra={
            "step": step,
            "stripe_event_id": event_id,
            **{k: str(v) if isinstance(v, UUID) else v for k, v in fields.items()},
        },
    )
