"""The Stripe gateway's Checkout call over real HTTP, against a local fake of Stripe's API."""

from __future__ import annotations

import socket
import time
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.stripe_gateway import StripeConfig, StripeGateway
from application.payments.ports import CheckoutLine, CheckoutRequest, PaymentGatewayError
from tests.support.fake_stripe import FakeStripe, error_json

pytestmark = pytest.mark.integration

API_KEY = "sk_test_51FakeKeyForTheLocalStripeDouble"
WEBHOOK_SECRET = "whsec_test_local_fake"


def gateway_for(base_url: str, *, retries: int = 0, api_key: str | None = API_KEY) -> StripeGateway:
    return StripeGateway(
        StripeConfig(
            webhook_secret=WEBHOOK_SECRET,
            api_key=api_key,
            api_base=base_url,
            max_network_retries=retries,
            timeout_seconds=5,
        )
    )


def checkout_request(
    order_id: UUID, *, email: str | None = "dancer@example.com"
) -> CheckoutRequest:
    return CheckoutRequest(
        order_id=order_id,
        currency="NOK",
        lines=(
            CheckoutLine(name="Salsa Level 1 (autumn)", amount_cents=45000),
            CheckoutLine(name="Bachata Open Level", amount_cents=30000),
        ),
        customer_email=email,
        success_url="https://tickets.example/orders/done?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://tickets.example/orders/cancelled",
    )


def test_checkout_session_is_created_with_the_order_in_every_place(
    fake_stripe: FakeStripe,
) -> None:
    order_id = uuid4()

    session = gateway_for(fake_stripe.base_url).start_checkout(checkout_request(order_id))

    assert session is not None
    assert session.session_id.startswith("cs_test_")
    assert session.url == (
        f"https://checkout.stripe.com/c/pay/{session.session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0"
    )
    [sent] = fake_stripe.requests
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["idempotency-key"] == f"checkout-{order_id}"
    form = {key: values[0] for key, values in sent.form.items()}
    assert all(len(values) == 1 for values in sent.form.values())
    assert form == {
        "mode": "payment",
        "client_reference_id": str(order_id),
        "metadata[orderId]": str(order_id),
        "payment_intent_data[metadata][orderId]": str(order_id),
        "customer_email": "dancer@example.com",
        "success_url": "https://tickets.example/orders/done?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://tickets.example/orders/cancelled",
        "line_items[0][price_data][currency]": "nok",
        "line_items[0][price_data][unit_amount]": "45000",
        "line_items[0][price_data][product_data][name]": "Salsa Level 1 (autumn)",
        "line_items[0][quantity]": "1",
        "line_items[1][price_data][currency]": "nok",
        "line_items[1][price_data][unit_amount]": "30000",
        "line_items[1][price_data][product_data][name]": "Bachata Open Level",
        "line_items[1][quantity]": "1",
    }


def test_customer_email_is_left_out_when_unknown(fake_stripe: FakeStripe) -> None:
    gateway = gateway_for(fake_stripe.base_url)

    session = gateway.start_checkout(checkout_request(uuid4(), email=None))

    assert session is not None
    assert "customer_email" not in fake_stripe.requests[0].form


def test_one_gateway_serves_many_checkouts_with_one_client(fake_stripe: FakeStripe) -> None:
    gateway = gateway_for(fake_stripe.base_url)
    orders = [uuid4() for _ in range(3)]

    sessions = [gateway.start_checkout(checkout_request(order)) for order in orders]

    assert len({s.session_id for s in sessions if s is not None}) == 3
    assert [r.headers["idempotency-key"] for r in fake_stripe.requests] == [
        f"checkout-{order}" for order in orders
    ]


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (500, error_json("api_error", "", "Something went wrong"), "HTTP 500"),
        (402, error_json("card_error", "card_declined", "Your card was declined."), "HTTP 402"),
        (
            401,
            error_json("invalid_request_error", "", f"Invalid API Key provided: {API_KEY}"),
            "HTTP 401",
        ),
        (400, error_json("idempotency_error", "", "Keys for idempotent requests..."), "HTTP 400"),
    ],
)
def test_an_error_answer_becomes_payment_gateway_error(
    fake_stripe: FakeStripe, status: int, answer: dict[str, Any], expected: str
) -> None:
    fake_stripe.answers.append((status, answer))
    gateway = gateway_for(fake_stripe.base_url)

    with pytest.raises(PaymentGatewayError, match=expected) as caught:
        gateway.start_checkout(checkout_request(uuid4()))

    assert API_KEY not in str(caught.value)
    assert caught.value.__cause__ is None
    assert len(fake_stripe.requests) == 1  # no retries were configured


def test_a_session_answer_without_url_becomes_payment_gateway_error(
    fake_stripe: FakeStripe,
) -> None:
    fake_stripe.answers.append((200, {"id": "cs_test_embedded", "object": "checkout.session"}))

    with pytest.raises(PaymentGatewayError, match="url"):
        gateway_for(fake_stripe.base_url).start_checkout(checkout_request(uuid4()))


def test_a_transient_500_is_retried_with_the_same_idempotency_key(
    fake_stripe: FakeStripe,
) -> None:
    fake_stripe.answers.append((500, error_json("api_error", "", "Something went wrong")))
    order_id = uuid4()

    session = gateway_for(fake_stripe.base_url, retries=1).start_checkout(
        checkout_request(order_id)
    )

    assert session is not None
    assert [r.headers["idempotency-key"] for r in fake_stripe.requests] == [
        f"checkout-{order_id}"
    ] * 2


def test_an_unreachable_stripe_becomes_payment_gateway_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port is closed again: connections are refused at once.
    gateway = gateway_for(f"http://127.0.0.1:{port}")

    started = time.monotonic()
    with pytest.raises(PaymentGatewayError, match="could not be reached") as caught:
        gateway.start_checkout(checkout_request(uuid4()))

    assert time.monotonic() - started < 5
    assert API_KEY not in str(caught.value)


def test_without_an_api_key_no_request_is_made(fake_stripe: FakeStripe) -> None:
    gateway = gateway_for(fake_stripe.base_url, api_key=None)

    assert gateway.start_checkout(checkout_request(uuid4())) is None
    assert fake_stripe.requests == []
