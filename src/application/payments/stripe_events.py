"""The Stripe webhook's use case: each verified event routed to its handling and applied once.

Everything one event changes is saved in ONE transaction with the record of the event
(`StripeDelivery`), so an event is applied completely or not at all, and applied once: a
redelivered event is recognised by its record, a version conflict (a concurrent delivery)
decides again from a fresh read, and a failure saves nothing, raises a critical alert and
propagates so that Stripe retries.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from application.alerts.alerts import Alerts, new_alert
from application.errors import StoreUnavailable
from application.payments.decision import PaymentDecision
from application.payments.payment_handling import PaymentHandling
from application.payments.ports import (
    IgnoredNotice,
    InvalidWebhook,
    PaymentConfirmed,
    PaymentGateway,
    RefundReported,
    StripeNotice,
    WebhookMeter,
)
from application.payments.refund_handling import RefundHandling
from application.store import TicketStore, retry_on_conflict
from domain.alert import Alert, AlertKind, Severity
from domain.payment import DeliveryOutcome, StripeDelivery
from domain.shared import Cause

log = logging.getLogger(__name__)


class StripeEvents:
    def __init__(
        self,
        store: TicketStore,
        alerts: Alerts,
        payments: PaymentHandling,
        refunds: RefundHandling,
        gateway: PaymentGateway,
        meter: WebhookMeter,
    ) -> None:
        self._store = store
        self._alerts = alerts
        self._payments = payments
        self._refunds = refunds
        self._gateway = gateway
        self._meter = meter

    def verify(self, payload: bytes, signature: str | None) -> StripeNotice:
        """The event Stripe signed in this raw body; InvalidWebhook (counted) if it is not one."""
        try:
            return self._gateway.parse_webhook(payload, signature)
        except InvalidWebhook:
            self._meter.refused()
            raise

    def handle(self, notice: StripeNotice, request_id: str | None = None) -> DeliveryOutcome | None:
        """Applies a verified Stripe event; None when there was nothing (more) to do.

        ``request_id`` is the webhook request's: recorded in the causes of what it changes.
        """
        try:
            outcome = self._handle(notice, request_id)
        except Exception:
            self._meter.handling_failed(notice.event_type)
            raise
        self._meter.applied(notice, outcome)
        return outcome

    def _handle(self, notice: StripeNotice, request_id: str | None) -> DeliveryOutcome | None:
        if isinstance(notice, IgnoredNotice):
            # Recorded nowhere, so Stripe's copy is the only one. Logged so that it is not silent.
            log_step("fulfilment", "ignored", notice.event_id, event_type=notice.event_type)
            return None
        process = "fulfilment" if isinstance(notice, PaymentConfirmed) else "refund"
        cause = Cause(actor="stripe", reference=notice.event_id, request_id=request_id)
        try:
            decision = retry_on_conflict(self._apply, notice, cause)
        except StoreUnavailable as error:
            # Nothing was saved, and an alert could not be either: Stripe's retry does the work.
            log_step(process, "failed", notice.event_id, error=type(error).__name__)
            raise
        except Exception as error:
            log_step(process, "failed", notice.event_id, error=type(error).__name__)
            self._alerts.raise_now(_failed(notice, process, error, cause))
            raise
        if decision is None:
            log_step(
                process,
                "duplicate",
                notice.event_id,
                order_id=None,
                reason="event already recorded",
            )
            return None
        for step in decision.steps:
            log_step(process, step.name, notice.event_id, order_id=decision.order_id, **step.fields)
        outcome = decision.outcome.value
        log_step(process, "recorded", notice.event_id, order_id=decision.order_id, outcome=outcome)
        self._alerts.announce([a for a in decision.changed if isinstance(a, Alert)])
        return decision.outcome

    def _apply(
        self, notice: PaymentConfirmed | RefundReported, cause: Cause
    ) -> PaymentDecision | None:
        """Loads, decides, and saves the event's record with what it changed; None if on record."""
        with self._store.one_connection():
            return self._decide_and_save(notice, cause)

    def _decide_and_save(
        self, notice: PaymentConfirmed | RefundReported, cause: Cause
    ) -> PaymentDecision | None:
        if self._store.find(StripeDelivery, StripeDelivery.id_for(notice.event_id)) is not None:
            return None
        if isinstance(notice, PaymentConfirmed):
            decision = self._payments.decide(notice, cause)
        else:
            decision = self._refunds.decide(notice, cause)
        delivery = StripeDelivery.record(
            stripe_event_id=notice.event_id,
            event_type=notice.event_type,
            order_id=decision.order_id,
            outcome=decision.outcome,
            cause=cause,
        )
        self._store.save(delivery, *decision.changed)
        return decision


def _failed(
    notice: PaymentConfirmed | RefundReported, process: str, error: Exception, cause: Cause
) -> Alert:
    if isinstance(notice, PaymentConfirmed):
        subject = notice.order_ref
    else:
        subject = notice.payment_intent_id or notice.order_ref
    return new_alert(
        AlertKind.FULFILLMENT_FAILED,
        f"{process} of Stripe event {notice.event_id} failed "
        f"({type(error).__name__}); Stripe will retry",
        subject=subject,
        key=notice.event_id,
        cause=cause,
        severity=Severity.CRITICAL,
    )


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
