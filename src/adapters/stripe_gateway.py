"""The Stripe adapter of the PaymentGateway port: Checkout Sessions out, signed webhooks in.

One module: the port has two directions, and the reading of webhook objects (every field
checked, never trusted blindly) is what the signature verification hands its events to.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import stripe

from adapters.identifiers import REFERENCE, STRIPE_EVENT_TYPE, STRIPE_ID, matches
from application.payments.ports import (
    CheckoutRequest,
    CheckoutSession,
    IgnoredNotice,
    InvalidWebhook,
    PaymentConfirmed,
    PaymentGatewayError,
    RefundReported,
    StripeNotice,
)

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

_SESSION_COMPLETED = "checkout.session.completed"
_SESSION_ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
_INTENT_SUCCEEDED = "payment_intent.succeeded"
_CHARGE_REFUNDED = "charge.refunded"

_CURRENCY = re.compile(r"[A-Za-z]{3}")
# Stripe amounts have at most 12 digits; anything past what JSON numbers hold exactly is
# not money, and unbounded ints would break serializers further down.
_MAX_AMOUNT = 2**53 - 1

_JsonObject = dict[str, object]


@dataclass(frozen=True)
class StripeConfig:
    """Settings of the Stripe adapter, built by bootstrap; secrets stay out of repr."""

    webhook_secret: str = field(repr=False)
    api_key: str | None = field(repr=False)
    tolerance_seconds: int = 300
    api_base: str | None = None  # another API host (tests); None is api.stripe.com
    # Retries are safe: every create carries an idempotency key per order.
    max_network_retries: int = 2
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not self.webhook_secret.strip():
            raise ValueError("the Stripe webhook secret is empty")
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("the Stripe API key is blank: leave it unset to disable Checkout")
        # A tolerance of 0 would make the stripe library skip the staleness check.
        if self.tolerance_seconds <= 0:
            raise ValueError("tolerance_seconds must be positive")
        if self.max_network_retries < 0:
            raise ValueError("max_network_retries must not be negative")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")


class StripeGateway:
    """Starts Stripe Checkout Sessions and turns verified Stripe webhooks into port notices."""

    def __init__(self, config: StripeConfig) -> None:
        self._config = config
        self._client: stripe.StripeClient | None = None
        if config.api_key is not None:
            self._client = stripe.StripeClient(
                config.api_key,
                base_addresses={"api": config.api_base} if config.api_base else None,
                max_network_retries=config.max_network_retries,
                # Explicitly a sync client: the default would also build an async one.
                http_client=stripe.RequestsClient(timeout=config.timeout_seconds),
            )

    def __repr__(self) -> str:
        return f"StripeGateway({self._config!r})"

    # --- Checkout --------------------------------------------------------------------------

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession | None:
        if self._client is None:
            return None
        order_id = str(request.order_id)
        currency = request.currency.lower()
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": line.amount_cents,
                        "product_data": {"name": line.name},
                    },
                    "quantity": 1,
                }
                for line in request.lines
            ],
            "client_reference_id": order_id,
            "metadata": {"orderId": order_id},
            "payment_intent_data": {"metadata": {"orderId": order_id}},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            session = self._client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{order_id}"}
            )
        except stripe.StripeError as exc:
            # Not chained: Stripe's messages and args may quote parts of the key or the body.
            raise PaymentGatewayError(_describe_stripe_error(exc)) from None
        session_id: object = getattr(session, "id", None)
        url: object = getattr(session, "url", None)
        if not isinstance(session_id, str) or not isinstance(url, str):
            raise PaymentGatewayError("Stripe answered without a checkout session id and url")
        return CheckoutSession(session_id=session_id, url=url)

    # --- Webhooks --------------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature: str | None) -> StripeNotice:
        event = self._verified_event(payload, signature)
        event_id = _stripe_id(_required_str(event, "id", "event"), "event: id")
        event_type = _required_str(event, "type", "event")
        if not matches(STRIPE_EVENT_TYPE, event_type):
            raise InvalidWebhook("event: type is not a Stripe event type")
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            raise InvalidWebhook("webhook body is not a Stripe event: data.object missing")

        if event_type == _SESSION_COMPLETED:
            status = _required_str(obj, "payment_status", event_type)
            if status != "paid":
                return IgnoredNotice(event_id=event_id, event_type=event_type)
            return _session_payment(event_id, event_type, obj)
        if event_type == _SESSION_ASYNC_SUCCEEDED:
            return _session_payment(event_id, event_type, obj)
        if event_type == _INTENT_SUCCEEDED:
            return _intent_payment(event_id, event_type, obj)
        if event_type == _CHARGE_REFUNDED:
            return _charge_refund(event_id, event_type, obj)
        return IgnoredNotice(event_id=event_id, event_type=event_type)

    def _verified_event(self, payload: bytes, signature: str | None) -> _JsonObject:
        if not signature:
            raise InvalidWebhook("Stripe-Signature header is missing")
        # hmac.compare_digest raises TypeError on non-ASCII text instead of saying no.
        if not signature.isascii():
            raise InvalidWebhook("Stripe-Signature header is malformed")
        try:
            # Stripe signs the text of the body; the library needs it decoded.
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidWebhook("webhook body is not UTF-8 text") from None
        try:
            stripe.WebhookSignature.verify_header(
                text, signature, self._config.webhook_secret, self._config.tolerance_seconds
            )
        except stripe.SignatureVerificationError as exc:
            # Not chained: the library's exception carries the raw body in its args.
            reason = exc.user_message or "no valid signature"
            raise InvalidWebhook(f"Stripe-Signature rejected: {reason}") from None
        except (TypeError, ValueError):
            raise InvalidWebhook("Stripe-Signature header is malformed") from None
        # The library rejects old timestamps only: one from the future is no more Stripe's.
        if _signed_at(signature) > time.time() + self._config.tolerance_seconds:
            raise InvalidWebhook("Stripe-Signature rejected: timestamp is in the future")
        try:
            event: object = json.loads(text)
        except (ValueError, RecursionError):
            raise InvalidWebhook("webhook body is not JSON") from None
        if not isinstance(event, dict):
            raise InvalidWebhook("webhook body is not a Stripe event: not a JSON object")
        return event


def _signed_at(signature: str) -> int:
    """The ``t=`` of a header that verified (so it is there, and a number)."""
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            return int(value)
    raise InvalidWebhook("Stripe-Signature header is malformed")


def _describe_stripe_error(exc: stripe.StripeError) -> str:
    """A short account of a Stripe failure: kind, status, code and request id, never the key."""
    if isinstance(exc, stripe.APIConnectionError):
        return "Stripe could not be reached"
    parts = [type(exc).__name__]
    if exc.http_status is not None:
        parts.append(f"HTTP {exc.http_status}")
    if exc.code:
        parts.append(f"code {exc.code}")
    if exc.request_id:
        parts.append(f"request {exc.request_id}")
    return "Stripe refused the request: " + ", ".join(parts)


# --- Reading event objects: every field checked, never trusted blindly ----------------------


def _required_str(obj: _JsonObject, key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidWebhook(f"{where}: {key} is missing or not a string")
    return value


def _stripe_id(value: str, where: str) -> str:
    if not matches(STRIPE_ID, value):
        raise InvalidWebhook(f"{where} is not a Stripe id (letters, digits, _; at most 255)")
    return value


def _reference(value: str | None, where: str) -> str | None:
    if value is not None and not matches(REFERENCE, value):
        raise InvalidWebhook(f"{where} is not a reference (letters, digits, _.~:@|+=/#-)")
    return value


def _optional_str(obj: _JsonObject, key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidWebhook(f"{where}: {key} is not a string")
    return value


def _amount(obj: _JsonObject, key: str, where: str) -> int:
    value = obj.get(key)
    # bool is an int to Python, not to Stripe.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_AMOUNT:
        raise InvalidWebhook(f"{where}: {key} is missing or not a non-negative integer")
    return value


def _currency(obj: _JsonObject, where: str) -> str:
    value = obj.get("currency")
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise InvalidWebhook(f"{where}: currency is missing or not a 3-letter code")
    return value.upper()


def _metadata_order(obj: _JsonObject, where: str) -> str | None:
    metadata = obj.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise InvalidWebhook(f"{where}: metadata is not an object")
    return _reference(_optional_str(metadata, "orderId", where), f"{where}: metadata.orderId")


def _payment_intent_ref(obj: _JsonObject, where: str) -> str | None:
    """The payment intent id, whether Stripe sent the id or the expanded object."""
    value = obj.get("payment_intent")
    if isinstance(value, dict):
        ref: str | None = _required_str(value, "id", f"{where}: payment_intent")
    else:
        ref = _optional_str(obj, "payment_intent", where)
    return None if ref is None else _stripe_id(ref, f"{where}: payment_intent")


def _session_payment(event_id: str, event_type: str, session: _JsonObject) -> PaymentConfirmed:
    order_ref = _metadata_order(session, event_type)
    if order_ref is None:
        order_ref = _reference(
            _optional_str(session, "client_reference_id", event_type),
            f"{event_type}: client_reference_id",
        )
    return PaymentConfirmed(
        event_id=event_id,
        event_type=event_type,
        order_ref=order_ref,
        payment_intent_id=_payment_intent_ref(session, event_type),
        amount_cents=_amount(session, "amount_total", event_type),
        currency=_currency(session, event_type),
    )


def _intent_payment(event_id: str, event_type: str, intent: _JsonObject) -> PaymentConfirmed:
    amount_key = "amount" if intent.get("amount_received") is None else "amount_received"
    return PaymentConfirmed(
        event_id=event_id,
        event_type=event_type,
        order_ref=_metadata_order(intent, event_type),
        payment_intent_id=_stripe_id(_required_str(intent, "id", event_type), f"{event_type}: id"),
        amount_cents=_amount(intent, amount_key, event_type),
        currency=_currency(intent, event_type),
    )


def _charge_refund(event_id: str, event_type: str, charge: _JsonObject) -> RefundReported:
    # amount_refunded is the charge's running total (every refund of it so far), and the
    # charge's payment_intent is the payment it took: what a refund may act on.
    return RefundReported(
        event_id=event_id,
        event_type=event_type,
        order_ref=_metadata_order(charge, event_type),
        payment_intent_id=_payment_intent_ref(charge, event_type),
        charge_amount_cents=_amount(charge, "amount", event_type),
        amount_refunded_cents=_amount(charge, "amount_refunded", event_type),
        currency=_currency(charge, event_type),
    )
