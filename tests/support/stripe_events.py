"""Builders of realistic Stripe webhook events, signed exactly the way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import time
from typing import Any

# The API version the installed stripe SDK speaks; webhook endpoints are pinned to one.
API_VERSION = "2026-10-28.endive"

_ID_ALPHABET = string.ascii_letters + string.digits


def stripe_id(prefix: str) -> str:
    """A random id in Stripe's style: ``<prefix>_`` and 24 letters or digits."""
    return f"{prefix}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for a raw body: v1 = HMAC-SHA256(secret, "t.body")."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode("utf-8"), f"{ts}.".encode() + body, hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


def signed(payload: dict[str, Any], secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """The raw body Stripe would send for ``payload`` and its ``Stripe-Signature`` header."""
    # Stripe sends pretty-printed JSON; the signature covers these exact bytes.
    body = json.dumps(payload, indent=2).encode("utf-8")
    return body, signature_header(body, secret, timestamp)


def event(
    event_type: str,
    obj: dict[str, Any],
    event_id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """A snapshot event envelope around ``obj``, as delivered to webhook endpoints."""
    return {
        "id": event_id or stripe_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def checkout_session(
    order_id: str | None,
    amount_cents: int,
    currency: str = "nok",
    payment_status: str = "paid",
    payment_intent: str | None = None,
    use_metadata: bool = True,
) -> dict[str, Any]:
    """A ``checkout.session`` object as created by the gateway for ``order_id``."""
    session_id = stripe_id("cs_test")
    now = int(time.time())
    paid = payment_status == "paid"
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount_cents,
        "amount_total": amount_cents,
        "cancel_url": "http://127.0.0.1:8000/checkout/cancelled",
        "client_reference_id": order_id,
        "created": now - 120,
        "currency": currency,
        "customer": None,
        "customer_details": {
            "email": "dancer@example.com",
            "name": "Ada Dancer",
            "phone": None,
            "tax_exempt": "none",
        },
        "customer_email": "dancer@example.com",
        "expires_at": now + 86_280,
        "livemode": False,
        "metadata": {"orderId": order_id} if use_metadata and order_id is not None else {},
        "mode": "payment",
        "payment_intent": payment_intent or (stripe_id("pi") if paid else None),
        "payment_method_types": ["card"],
        "payment_status": payment_status,
        "status": "complete",
        "success_url": "http://127.0.0.1:8000/checkout/done",
        "url": None,
    }


def checkout_completed(
    order_id: str,
    amount_cents: int,
    currency: str = "nok",
    event_id: str | None = None,
    payment_status: str = "paid",
    payment_intent: str | None = None,
    use_metadata: bool = True,
) -> dict[str, Any]:
    """A ``checkout.session.completed`` event; ``use_metadata=False`` leaves only
    ``client_reference_id`` to name the order."""
    session = checkout_session(
        order_id, amount_cents, currency, payment_status, payment_intent, use_metadata
    )
    return event("checkout.session.completed", session, event_id)


def checkout_async_payment_succeeded(
    order_id: str,
    amount_cents: int,
    currency: str = "nok",
    event_id: str | None = None,
    payment_intent: str | None = None,
    use_metadata: bool = True,
) -> dict[str, Any]:
    """A ``checkout.session.async_payment_succeeded`` event (delayed payment methods)."""
    session = checkout_session(
        order_id, amount_cents, currency, "paid", payment_intent, use_metadata
    )
    return event("checkout.session.async_payment_succeeded", session, event_id)


def payment_intent_succeeded(
    order_id: str | None,
    amount_cents: int,
    currency: str = "nok",
    event_id: str | None = None,
    payment_intent: str | None = None,
) -> dict[str, Any]:
    """A ``payment_intent.succeeded`` event; ``order_id`` None means no ``metadata.orderId``
    (a payment intent not created through our Checkout Session)."""
    now = int(time.time())
    intent = {
        "id": payment_intent or stripe_id("pi"),
        "object": "payment_intent",
        "amount": amount_cents,
        "amount_capturable": 0,
        "amount_received": amount_cents,
        "capture_method": "automatic_async",
        "client_secret": None,
        "confirmation_method": "automatic",
        "created": now - 60,
        "currency": currency,
        "customer": None,
        "description": None,
        "latest_charge": stripe_id("ch"),
        "livemode": False,
        "metadata": {"orderId": order_id} if order_id is not None else {},
        "payment_method": stripe_id("pm"),
        "payment_method_types": ["card"],
        "receipt_email": None,
        "status": "succeeded",
    }
    return event("payment_intent.succeeded", intent, event_id)


def charge_refunded(
    payment_intent: str,
    amount: int,
    amount_refunded: int,
    currency: str = "nok",
    event_id: str | None = None,
    order_id: str | None = None,
) -> dict[str, Any]:
    """A ``charge.refunded`` event. Checkout does not copy metadata to charges, so by default
    the order is only reachable through ``payment_intent``."""
    now = int(time.time())
    return event(
        "charge.refunded",
        {
            "id": stripe_id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": amount_refunded,
            "balance_transaction": stripe_id("txn"),
            "captured": True,
            "created": now - 3600,
            "currency": currency,
            "customer": None,
            "livemode": False,
            "metadata": {"orderId": order_id} if order_id is not None else {},
            "paid": True,
            "payment_intent": payment_intent,
            "payment_method": stripe_id("pm"),
            "refunded": amount_refunded >= amount,
            "status": "succeeded",
        },
        event_id,
    )
