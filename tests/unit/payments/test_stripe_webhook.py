"""Stripe webhooks through the real adapter: signed payloads in, notices or InvalidWebhook out."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import uuid4

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.stripe_gateway import StripeConfig, StripeGateway
from application.payments.ports import (
    CheckoutLine,
    CheckoutRequest,
    IgnoredNotice,
    InvalidWebhook,
    PaymentConfirmed,
    RefundReported,
)
from tests.support.stripe_events import (
    charge_refunded,
    checkout_async_payment_succeeded,
    checkout_completed,
    event,
    payment_intent_succeeded,
    signature_header,
    signed,
)

pytestmark = pytest.mark.unit

SECRET = "whsec_test_5f3c9a1e7b2d4c6a8e0f1b3d5c7a9e1f"


@pytest.fixture
def gateway() -> StripeGateway:
    return StripeGateway(StripeConfig(webhook_secret=SECRET, api_key=None))


def assert_rejected(
    gateway: StripeGateway, body: bytes, header: str | None, *, match: str | None = None
) -> InvalidWebhook:
    with pytest.raises(InvalidWebhook, match=match) as caught:
        gateway.parse_webhook(body, header)
    message = str(caught.value)
    assert SECRET not in message
    if len(body) > 8:
        assert body.decode("utf-8", "replace") not in message
    # Nothing from the library (which keeps the body in its args) hangs off the error.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    return caught.value


# --- Mapping --------------------------------------------------------------------------------


def test_paid_checkout_session_confirms_payment_of_the_metadata_order(
    gateway: StripeGateway,
) -> None:
    order_id = str(uuid4())
    payload = checkout_completed(order_id, 45000, event_id="evt_1", payment_intent="pi_123")

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert notice == PaymentConfirmed(
        event_id="evt_1",
        event_type="checkout.session.completed",
        order_ref=order_id,
        payment_intent_id="pi_123",
        amount_cents=45000,
        currency="NOK",
    )


def test_session_without_metadata_names_the_order_by_client_reference_id(
    gateway: StripeGateway,
) -> None:
    order_id = str(uuid4())
    payload = checkout_completed(order_id, 1000, currency="eur", use_metadata=False)
    assert payload["data"]["object"]["metadata"] == {}

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert isinstance(notice, PaymentConfirmed)
    assert notice.order_ref == order_id
    assert notice.currency == "EUR"


def test_metadata_order_wins_over_client_reference_id(gateway: StripeGateway) -> None:
    payload = checkout_completed("order-from-metadata", 1000)
    payload["data"]["object"]["client_reference_id"] = "order-from-reference"

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert isinstance(notice, PaymentConfirmed)
    assert notice.order_ref == "order-from-metadata"


def test_session_without_any_order_reference_still_confirms_with_none(
    gateway: StripeGateway,
) -> None:
    payload = checkout_completed("x", 1000, use_metadata=False)
    payload["data"]["object"]["client_reference_id"] = None

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert isinstance(notice, PaymentConfirmed)
    assert notice.order_ref is None


def test_expanded_payment_intent_object_gives_its_id(gateway: StripeGateway) -> None:
    payload = checkout_completed("o", 1000)
    payload["data"]["object"]["payment_intent"] = {"id": "pi_expanded", "object": "payment_intent"}

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert isinstance(notice, PaymentConfirmed)
    assert notice.payment_intent_id == "pi_expanded"


@pytest.mark.parametrize("status", ["unpaid", "no_payment_required"])
def test_completed_but_not_paid_session_is_ignored(gateway: StripeGateway, status: str) -> None:
    payload = checkout_completed("o", 1000, event_id="evt_unpaid", payment_status=status)

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert notice == IgnoredNotice(event_id="evt_unpaid", event_type="checkout.session.completed")


def test_async_payment_succeeded_confirms_payment(gateway: StripeGateway) -> None:
    order_id = str(uuid4())
    payload = checkout_async_payment_succeeded(
        order_id, 30000, event_id="evt_async", payment_intent="pi_async"
    )

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert notice == PaymentConfirmed(
        event_id="evt_async",
        event_type="checkout.session.async_payment_succeeded",
        order_ref=order_id,
        payment_intent_id="pi_async",
        amount_cents=30000,
        currency="NOK",
    )


def test_payment_intent_succeeded_confirms_amount_received(gateway: StripeGateway) -> None:
    order_id = str(uuid4())
    payload = payment_intent_succeeded(
        order_id, 45000, currency="sek", event_id="evt_pi", payment_intent="pi_9"
    )

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert notice == PaymentConfirmed(
        event_id="evt_pi",
        event_type="payment_intent.succeeded",
        order_ref=order_id,
        payment_intent_id="pi_9",
        amount_cents=45000,
        currency="SEK",
    )


@pytest.mark.parametrize("absent", ["missing", "null"])
def test_payment_intent_without_amount_received_falls_back_to_amount(
    gateway: StripeGateway, absent: str
) -> None:
    payload = payment_intent_succeeded("o", 700)
    intent = payload["data"]["object"]
    if absent == "missing":
        del intent["amount_received"]
    else:
        intent["amount_received"] = None

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert isinstance(notice, PaymentConfirmed)
    assert notice.amount_cents == 700


def test_payment_intent_without_metadata_has_no_order_ref(gateway: StripeGateway) -> None:
    notice = gateway.parse_webhook(*signed(payment_intent_succeeded(None, 700), SECRET))

    assert isinstance(notice, PaymentConfirmed)
    assert notice.order_ref is None


def test_charge_refunded_reports_the_refund(gateway: StripeGateway) -> None:
    payload = charge_refunded("pi_77", 45000, 45000, event_id="evt_refund")

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert notice == RefundReported(
        event_id="evt_refund",
        event_type="charge.refunded",
        order_ref=None,
        payment_intent_id="pi_77",
        charge_amount_cents=45000,
        amount_refunded_cents=45000,
        currency="NOK",
    )


def test_a_refund_names_the_payment_intent_even_when_stripe_expands_it(
    gateway: StripeGateway,
) -> None:
    payload = charge_refunded("pi_79", 45000, 30000)
    payload["data"]["object"]["payment_intent"] = {"id": "pi_79", "object": "payment_intent"}

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert isinstance(notice, RefundReported)
    assert notice.payment_intent_id == "pi_79"
    # What is refunded of the charge in all, not the charge's amount: refunds act on that.
    assert (notice.amount_refunded_cents, notice.charge_amount_cents) == (30000, 45000)


def test_partial_refund_with_charge_metadata_carries_both(gateway: StripeGateway) -> None:
    payload = charge_refunded("pi_78", 45000, 10000, currency="eur", order_id="order-7")

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert isinstance(notice, RefundReported)
    assert (notice.order_ref, notice.charge_amount_cents, notice.amount_refunded_cents) == (
        "order-7",
        45000,
        10000,
    )
    assert notice.currency == "EUR"


@pytest.mark.parametrize(
    "event_type",
    ["checkout.session.expired", "checkout.session.async_payment_failed", "customer.created"],
)
def test_other_event_types_are_ignored(gateway: StripeGateway, event_type: str) -> None:
    payload = event(event_type, {"id": "obj_1", "object": "whatever"}, event_id="evt_other")

    notice = gateway.parse_webhook(*signed(payload, SECRET))

    assert notice == IgnoredNotice(event_id="evt_other", event_type=event_type)


def test_a_recent_timestamp_within_tolerance_is_accepted(gateway: StripeGateway) -> None:
    payload = checkout_completed("o", 1000)

    notice = gateway.parse_webhook(*signed(payload, SECRET, timestamp=int(time.time()) - 240))

    assert isinstance(notice, PaymentConfirmed)


# --- Signature ------------------------------------------------------------------------------


def test_signing_helper_matches_the_stripe_library() -> None:
    body, header = signed(checkout_completed("o", 1000), SECRET, timestamp=1_700_000_000)

    expected = stripe.WebhookSignature.generate_signature_header(
        body.decode("utf-8"), SECRET, timestamp=1_700_000_000
    )

    assert header == expected
    assert header.startswith("t=1700000000,v1=")


def test_tampered_signature_is_rejected(gateway: StripeGateway) -> None:
    body, header = signed(checkout_completed("o", 1000), SECRET)
    last = header[-1]
    tampered = header[:-1] + ("0" if last != "0" else "1")

    assert_rejected(gateway, body, tampered, match="Stripe-Signature")


def test_tampered_body_is_rejected(gateway: StripeGateway) -> None:
    body, header = signed(checkout_completed("o", 1000), SECRET)
    tampered = body.replace(b'"amount_total": 1000', b'"amount_total": 1')
    assert tampered != body

    assert_rejected(gateway, tampered, header, match="Stripe-Signature")


def test_wrong_secret_is_rejected(gateway: StripeGateway) -> None:
    body, header = signed(checkout_completed("o", 1000), "whsec_someone_elses_secret")

    assert_rejected(gateway, body, header, match="Stripe-Signature")


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature_header_is_rejected(gateway: StripeGateway, header: str | None) -> None:
    body, _ = signed(checkout_completed("o", 1000), SECRET)

    assert_rejected(gateway, body, header, match="missing")


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "t=notanumber,v1=abc",
        "v1=0123456789abcdef",
        "t=1700000000",
        "t=1700000000,v0=abc",
        "t=1700000000,v1=caf\u00e9",
        "t=" + "9" * 5000 + ",v1=abc",
    ],
)
def test_garbled_signature_header_is_rejected(gateway: StripeGateway, header: str) -> None:
    body, _ = signed(checkout_completed("o", 1000), SECRET)

    assert_rejected(gateway, body, header, match="Stripe-Signature")


def test_stale_timestamp_is_rejected(gateway: StripeGateway) -> None:
    payload = checkout_completed("o", 1000)

    body, header = signed(payload, SECRET, timestamp=int(time.time()) - 301)

    assert_rejected(gateway, body, header, match="tolerance")


@pytest.mark.parametrize("ahead", [301, 3600, 365 * 24 * 3600], ids=["5min", "1h", "1y"])
def test_a_timestamp_in_the_future_beyond_tolerance_is_rejected(
    gateway: StripeGateway, ahead: int
) -> None:
    payload = checkout_completed("o", 1000)

    body, header = signed(payload, SECRET, timestamp=int(time.time()) + ahead)

    assert_rejected(gateway, body, header, match="future")


def test_a_timestamp_slightly_ahead_within_tolerance_is_accepted(gateway: StripeGateway) -> None:
    # Clocks drift both ways: a Stripe clock a little ahead of ours is not an attack.
    payload = checkout_completed("o", 1000)

    notice = gateway.parse_webhook(*signed(payload, SECRET, timestamp=int(time.time()) + 240))

    assert notice.event_id == payload["id"]


def test_configured_tolerance_is_used() -> None:
    strict = StripeGateway(StripeConfig(webhook_secret=SECRET, api_key=None, tolerance_seconds=60))
    body, header = signed(checkout_completed("o", 1000), SECRET, timestamp=int(time.time()) - 120)

    assert_rejected(strict, body, header, match="tolerance")


def test_reserialized_json_fails_verification(gateway: StripeGateway) -> None:
    body, header = signed(checkout_completed("o", 1000), SECRET)
    reserialized = json.dumps(json.loads(body)).encode()
    assert reserialized != body

    assert_rejected(gateway, reserialized, header, match="Stripe-Signature")


# --- Body -----------------------------------------------------------------------------------


def sign(body: bytes) -> tuple[bytes, str]:
    return body, signature_header(body, SECRET)


@pytest.mark.parametrize(
    "body", [b'{"id": "evt_1", "type": ', b"not json at all", b"", b"[" * 100_000]
)
def test_malformed_json_with_a_valid_signature_is_rejected(
    gateway: StripeGateway, body: bytes
) -> None:
    assert_rejected(gateway, *sign(body), match="not JSON")


def test_non_utf8_body_with_a_valid_signature_is_rejected(gateway: StripeGateway) -> None:
    assert_rejected(gateway, *sign(b'{"id": "\xff\xfe"}'), match="UTF-8")


@pytest.mark.parametrize(
    "document",
    [
        [],
        "evt_1",
        42,
        None,
        {"hello": "world"},
        {"id": "evt_1", "type": "charge.refunded"},
        {"id": "evt_1", "type": "charge.refunded", "data": {}},
        {"id": "evt_1", "type": "charge.refunded", "data": {"object": "ch_1"}},
        {"id": "evt_1", "type": "charge.refunded", "data": []},
        {"id": 1, "type": "charge.refunded", "data": {"object": {}}},
        {"id": "evt_1", "type": None, "data": {"object": {}}},
        {"id": "", "type": "customer.created", "data": {"object": {}}},
        {"object": "v2.core.event", "id": "evt_1", "type": "v1.billing.meter.no_meter_found"},
    ],
)
def test_signed_json_that_is_not_an_event_is_rejected(
    gateway: StripeGateway, document: object
) -> None:
    assert_rejected(gateway, *sign(json.dumps(document).encode()))


def _mutated(payload: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    target = payload["data"]["object"]
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return payload


_DELETE = object()


@pytest.mark.parametrize(
    ("make", "path", "value"),
    [
        (lambda: checkout_completed("o", 1000), ("amount_total",), _DELETE),
        (lambda: checkout_completed("o", 1000), ("amount_total",), None),
        (lambda: checkout_completed("o", 1000), ("amount_total",), "1000"),
        (lambda: checkout_completed("o", 1000), ("amount_total",), 1000.0),
        (lambda: checkout_completed("o", 1000), ("amount_total",), True),
        (lambda: checkout_completed("o", 1000), ("amount_total",), -5),
        (lambda: checkout_completed("o", 1000), ("amount_total",), 10**30),
        (lambda: checkout_completed("o", 1000), ("currency",), _DELETE),
        (lambda: checkout_completed("o", 1000), ("currency",), 578),
        (lambda: checkout_completed("o", 1000), ("currency",), "kroner"),
        (lambda: checkout_completed("o", 1000), ("payment_status",), _DELETE),
        (lambda: checkout_completed("o", 1000), ("payment_status",), 1),
        (lambda: checkout_completed("o", 1000), ("metadata",), "orderId=o"),
        (lambda: checkout_completed("o", 1000), ("metadata", "orderId"), 7),
        (
            lambda: checkout_completed("o", 1000, use_metadata=False),
            ("client_reference_id",),
            7,
        ),
        (lambda: checkout_completed("o", 1000), ("payment_intent",), 12),
        (lambda: checkout_completed("o", 1000), ("payment_intent",), {"object": "pi"}),
        (lambda: checkout_async_payment_succeeded("o", 1000), ("amount_total",), "x"),
        (lambda: payment_intent_succeeded("o", 1000), ("amount_received",), "1000"),
        (lambda: payment_intent_succeeded("o", 1000), ("id",), _DELETE),
        (lambda: payment_intent_succeeded("o", 1000), ("currency",), None),
        (lambda: charge_refunded("pi_1", 1000, 1000), ("amount",), _DELETE),
        (lambda: charge_refunded("pi_1", 1000, 1000), ("amount_refunded",), "1000"),
        (lambda: charge_refunded("pi_1", 1000, 1000), ("payment_intent",), ["pi_1"]),
    ],
)
def test_handled_event_with_a_missing_or_mistyped_field_is_rejected(
    gateway: StripeGateway, make: Any, path: tuple[str, ...], value: object
) -> None:
    payload = _mutated(make(), path, value)

    error = assert_rejected(gateway, *signed(payload, SECRET))

    assert path[-1] in str(error)


def test_payment_intent_with_neither_amount_is_rejected(gateway: StripeGateway) -> None:
    payload = payment_intent_succeeded("o", 1000)
    del payload["data"]["object"]["amount_received"]
    del payload["data"]["object"]["amount"]

    assert_rejected(gateway, *signed(payload, SECRET), match="amount")


# --- Configuration --------------------------------------------------------------------------


def test_config_and_gateway_repr_hide_the_secrets() -> None:
    config = StripeConfig(webhook_secret=SECRET, api_key="sk_test_hidden_key_123")

    for text in (repr(config), repr(StripeGateway(config))):
        assert SECRET not in text
        assert "sk_test_hidden_key_123" not in text


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"webhook_secret": " ", "api_key": None}, "webhook secret"),
        ({"webhook_secret": SECRET, "api_key": ""}, "API key"),
        ({"webhook_secret": SECRET, "api_key": None, "tolerance_seconds": 0}, "tolerance"),
        ({"webhook_secret": SECRET, "api_key": None, "max_network_retries": -1}, "retries"),
        ({"webhook_secret": SECRET, "api_key": None, "timeout_seconds": 0}, "timeout"),
    ],
)
def test_nonsense_config_fails_fast(kwargs: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as caught:
        StripeConfig(**kwargs)

    assert SECRET not in str(caught.value)


def test_checkout_is_off_without_an_api_key(gateway: StripeGateway) -> None:
    request = CheckoutRequest(
        order_id=uuid4(),
        currency="NOK",
        lines=(CheckoutLine(name="Salsa 1", amount_cents=45000),),
        customer_email=None,
        success_url="http://127.0.0.1:8000/ok",
        cancel_url="http://127.0.0.1:8000/cancel",
    )

    assert gateway.start_checkout(request) is None


# --- Properties -----------------------------------------------------------------------------

_HANDLED_TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "payment_intent.succeeded",
    "charge.refunded",
]

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
_json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
_field_values = _json_values | st.sampled_from(["nok", "paid", "pi_1", "NOK", ""])
_object_keys = st.sampled_from(
    [
        "id",
        "amount",
        "amount_total",
        "amount_received",
        "amount_refunded",
        "currency",
        "payment_status",
        "payment_intent",
        "client_reference_id",
        "metadata",
    ]
)
_event_objects = st.dictionaries(
    _object_keys,
    _field_values | st.fixed_dictionaries({"orderId": _field_values}),
    max_size=10,
)
_random_events = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just("evt_1"), _json_values),
        "type": st.one_of(st.sampled_from(_HANDLED_TYPES), _json_values),
        "data": st.one_of(st.fixed_dictionaries({"object": _event_objects}), _json_values),
    }
)


def _with_overrides(payload: dict[str, Any], overrides: dict[str, object]) -> dict[str, Any]:
    obj = payload["data"]["object"]
    for key, value in overrides.items():
        if value is _DELETE:
            obj.pop(key, None)
        else:
            obj[key] = value
    return payload


# Real events with a few fields replaced or removed: reach both the mapping and its guards.
_damaged_events = st.builds(
    _with_overrides,
    st.sampled_from(
        [
            lambda: checkout_completed("o", 1000),
            lambda: checkout_completed("o", 1000, use_metadata=False),
            lambda: checkout_async_payment_succeeded("o", 1000),
            lambda: payment_intent_succeeded("o", 1000),
            lambda: charge_refunded("pi_1", 1000, 500),
        ]
    ).map(lambda make: make()),
    st.dictionaries(_object_keys, _field_values | st.just(_DELETE), max_size=3),
)
_events = _random_events | _damaged_events

_property_settings = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _notice_or_invalid(gateway: StripeGateway, body: bytes, header: str | None) -> None:
    outcome: object
    try:
        outcome = gateway.parse_webhook(body, header)
    except InvalidWebhook as error:
        outcome = error
    if isinstance(outcome, InvalidWebhook):
        assert SECRET not in str(outcome)
    else:
        assert isinstance(outcome, PaymentConfirmed | RefundReported | IgnoredNotice)


@_property_settings
@given(body=st.binary(max_size=2048))
def test_any_signed_bytes_give_a_notice_or_invalid_webhook(
    gateway: StripeGateway, body: bytes
) -> None:
    _notice_or_invalid(gateway, body, signature_header(body, SECRET))


@_property_settings
@given(document=_events)
def test_any_signed_event_shaped_json_gives_a_notice_or_invalid_webhook(
    gateway: StripeGateway, document: dict[str, Any]
) -> None:
    body, header = signed(document, SECRET)

    _notice_or_invalid(gateway, body, header)


@_property_settings
@given(header=st.text(max_size=200))
def test_any_signature_header_text_gives_invalid_webhook(
    gateway: StripeGateway, header: str
) -> None:
    body, _ = signed(checkout_completed("o", 1000), SECRET)

    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(body, header)
