"""POST /api/orders starts a Stripe Checkout when STRIPE_API_KEY is set (a fake Stripe on HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from entrypoints.bootstrap import build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.fake_stripe import FakeStripe, error_json
from tests.support.service import Api, bearer, service_env

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str, fake_stripe: FakeStripe) -> Iterator[Api]:
    env = service_env(
        database_url,
        STRIPE_API_KEY="sk_test_local",
        STRIPE_API_BASE=fake_stripe.base_url,
        PUBLIC_BASE_URL="https://tickets.example.no",
    )
    settings = Settings.from_env(env)
    migrate(settings.database)
    with TestClient(create_app(build(settings))) as client:
        yield Api(client)


def test_an_order_gets_a_checkout_url_for_its_period_prices(
    api: Api, fake_stripe: FakeStripe
) -> None:
    api.schedule()
    api.profile("dancer-1")

    order = api.order("dancer-1", "salsa1", "bachata1")

    assert order["checkoutUrl"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = fake_stripe.requests
    form = request.form
    assert form["metadata[orderId]"] == [order["orderId"]]
    assert form["client_reference_id"] == [order["orderId"]]
    assert form["payment_intent_data[metadata][orderId]"] == [order["orderId"]]
    assert form["line_items[0][price_data][unit_amount]"] == ["150000"]
    assert form["line_items[1][price_data][unit_amount]"] == ["120000"]
    assert form["line_items[0][price_data][currency]"] == ["nok"]
    assert form["customer_email"] == ["dancer-1@example.no"]
    assert form["success_url"] == [
        f"https://tickets.example.no/orders/{order['orderId']}?checkout=success"
    ]
    assert request.headers["idempotency-key"] == f"checkout-{order['orderId']}"
    # The URL is kept with the order.
    again = api.client.get(f"/api/orders/{order['orderId']}", headers=bearer("dancer-1")).json()
    assert again["checkoutUrl"] == order["checkoutUrl"]


def test_a_stripe_outage_answers_502_and_keeps_the_order_pending(
    api: Api, fake_stripe: FakeStripe
) -> None:
    api.schedule()
    fake_stripe.answers = [(500, error_json("api_error", "internal", "boom"))] * 5

    response = api.client.post(
        "/api/orders",
        json={"periodCode": "2026-fall", "registrations": [{"trackCode": "salsa1"}]},
        headers=bearer("dancer-1"),
    )

    assert response.status_code == 502
    assert response.json()["code"] == "checkout_unavailable"
    assert "sk_test_local" not in response.text
