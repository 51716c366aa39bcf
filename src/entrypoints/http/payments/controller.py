"""Stripe's signed events: payments fulfil orders, refunds cancel them."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, RawBody
from litestar.status_codes import HTTP_200_OK

from application.errors import BUSY, STORE_UNAVAILABLE
from application.payments.ports import InvalidWebhook, StripeNotice
from application.payments.stripe_events import StripeEvents
from entrypoints.http.openapi import (
    FULFILMENT_FAILED,
    INVALID_WEBHOOK,
    PAYLOAD_TOO_LARGE,
    STRIPE_SIGNATURE,
    UNSUPPORTED_MEDIA_TYPE,
    problems,
)
from entrypoints.http.payments.schemas import WebhookOut
from entrypoints.http.problems import HttpProblem
from entrypoints.http.request_context import context_of

log = logging.getLogger(__name__)


class WebhookController(Controller):
    path = "/api/webhooks"
    tags = ["webhooks"]

    @post(
        "/stripe",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="receiveStripeWebhook",
        security=STRIPE_SIGNATURE,
        summary="Stripe's events (signed): payments fulfil orders, refunds cancel them",
        description=(
            "The raw body is verified against `Stripe-Signature`. Handled and ignored events, "
            'repeated deliveries included, answer 200 `{"received": true}`. A failure to '
            "record the event answers 5xx with nothing recorded, so that Stripe retries."
        ),
        responses=problems(
            INVALID_WEBHOOK,
            PAYLOAD_TOO_LARGE,
            UNSUPPORTED_MEDIA_TYPE,
            FULFILMENT_FAILED,
            BUSY,
            STORE_UNAVAILABLE,
        ),
    )
    def stripe(
        self,
        request: Request[Any, Any, Any],
        stripe_events: NamedDependency[StripeEvents],
        body: RawBody,
        signature: Annotated[
            str | None,
            HeaderParameter(
                name="stripe-signature",
                required=False,
                description="`t=<timestamp>,v1=<hex HMAC-SHA256>`, as Stripe sends it",
            ),
        ],
    ) -> WebhookOut:
        # The raw bytes, exactly as Stripe signed them: re-serialized JSON would not verify.
        context = context_of(request)
        log.info("fulfilment received", extra={"step": "received", "bytes": len(body)})
        try:
            notice = stripe_events.verify(bytes(body), signature)
        except InvalidWebhook as invalid:
            log.warning("fulfilment rejected", extra={"step": "rejected", "reason": str(invalid)})
            raise HttpProblem(400, "invalid_webhook", str(invalid)) from None
        # On every later line of this request, and on an error sent to Sentry.
        context.note(stripe_event_id=notice.event_id, order_id=_order_ref(notice))
        log.info("fulfilment verified", extra={"step": "verified", "event_type": notice.event_type})
        try:
            stripe_events.handle(notice, context.request_id)
        except Exception:
            # An ERROR line (and so a Sentry event), with the ids bound above, whatever the
            # status it is answered with (500, or 503 while the store is away).
            log.error("fulfilment failed", exc_info=True, extra={"step": "failed"})
            raise
        return WebhookOut(received=True)


def _order_ref(notice: StripeNotice) -> str | None:
    """The order the event names, if it is an order id (Stripe's metadata is free text)."""
    ref = getattr(notice, "order_ref", None)
    try:
        return str(UUID(ref)) if ref else None
    except ValueError:
        return None
