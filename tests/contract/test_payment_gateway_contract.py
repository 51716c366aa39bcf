"""The PaymentGateway contract, run against the fake the unit tests use and the Stripe adapter.

The adapter talks to a local fake of Stripe's HTTP API (tests/fake_stripe.py) and verifies
real signatures; the fake hands out the notices a test queued. Both must answer alike, so a
unit test on the fake says something true of the service with Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import uuid4

import pytest

from adapters.stripe_gateway import StripeConfig, StripeGateway
from application.payments.ports import (
    CheckoutLine,
    CheckoutRequest,
    IgnoredNotice,
    InvalidWebhook,
    PaymentConfirmed,
    PaymentGateway,
    PaymentGatewayError,
    RefundReported,
    StripeNotice,
)
from tests.support.fake_stripe import (
    FakeStripe,
    error_json,
    fake_stripe,  # noqa: F401 (the Stripe adapter's fixture)
)
from tests.support.fakes import FakeGateway
from tests.support.stripe_events import (
    charge_refunded,
    checkout_completed,
    payment_intent_succeeded,
    signature_header,
    signed,
)

WEBHOOK_SECRET = "whsec_contract_local"


class Harness(Protocol):
    """What each side needs to be put in a state: the contract's tests use nothing else."""

    def gateway(self, *, online: bool = True) -> PaymentGateway: ...

    def provider_fails(self) -> None: ...

    def deliver(self, payload: dict[str, Any], notice: StripeNotice) -> tuple[bytes, str]:
        """The raw body and signature of an event Stripe sends (``notice`` is what it says)."""
        ...

    def forge(self, payload: dict[str, Any]) -> tuple[bytes, str]:
        """A body and signature that Stripe did not send."""
        ...


@dataclass
class FakeHarness:
    fake: FakeGateway

    def gateway(self, *, online: bool = True) -> PaymentGateway:
        self.fake.online = online
        return self.fake

    def provider_fails(self) -> None:
        self.fake.failure = PaymentGatewayError("the provider is down")

    def deliver(self, payload: dict[str, Any], notice: StripeNotice) -> tuple[bytes, str]:
        self.fake.notices.append(notice)
        return signed(payload, WEBHOOK_SECRET)

    def forge(self, payload: dict[str, Any]) -> tuple[bytes, str]:
        return signed(payload, "whsec_someone_else")


@dataclass
class StripeHarness:
    stripe: FakeStripe

    def gateway(self, *, online: bool = True) -> PaymentGateway:
        return StripeGateway(
            StripeConfig(
                webhook_secret=WEBHOOK_SECRET,
                api_key="sk_test_51ContractKeyForTheLocalDouble" if online else None,
                api_base=self.stripe.base_url,
                max_network_retries=0,
                timeout_seconds=5,
            )
        )

    def provider_fails(self) -> None:
        self.stripe.answers.append((500, error_json("api_error", "", "Something went wrong")))

    def deliver(self, payload: dict[str, Any], notice: StripeNotice) -> tuple[bytes, str]:
        return signed(payload, WEBHOOK_SECRET)

    def forge(self, payload: dict[str, Any]) -> tuple[bytes, str]:
        body, _ = signed(payload, WEBHOOK_SECRET)
        return body, signature_header(body, "whsec_someone_else")


@pytest.fixture(
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("stripe", marks=pytest.mark.integration),
    ]
)
def harness(request: pytest.FixtureRequest) -> Harness:
    if request.param == "fake":
        return FakeHarness(FakeGateway())
    # Only the adapter needs the local Stripe server (a thread serving HTTP on 127.0.0.1).
    return StripeHarness(request.getfixturevalue("fake_stripe"))


def checkout_request() -> CheckoutRequest:
    order_id = uuid4()
    return CheckoutRequest(
        order_id=order_id,
        currency="NOK",
        lines=(CheckoutLine(name="Salsa 1", amount_cents=150_000),),
        customer_email="dancer@example.com",
        success_url=f"https://tickets.example/orders/{order_id}",
        cancel_url="https://tickets.example/orders/cancelled",
    )


def test_a_checkout_is_a_session_with_a_hosted_page(harness: Harness) -> None:
    session = harness.gateway().start_checkout(checkout_request())

    assert session is not None
    assert session.session_id.startswith("cs_test_")
    assert session.url.startswith("https://")


def test_without_online_payment_there_is_no_checkout(harness: Harness) -> None:
    assert harness.gateway(online=False).start_checkout(checkout_request()) is None


def test_a_provider_failure_is_a_payment_gateway_error(harness: Harness) -> None:
    gateway = harness.gateway()
    harness.provider_fails()

    with pytest.raises(PaymentGatewayError):
        gateway.start_checkout(checkout_request())


def events() -> list[tuple[dict[str, Any], StripeNotice]]:
    """Stripe events and the notice each one is, by the port's definition."""
    order = str(uuid4())
    paid = checkout_completed(order, 150_000, payment_intent="pi_contract_1")
    unpaid = checkout_completed(order, 150_000, payment_status="unpaid")
    intent = payment_intent_succeeded(order, 120_000, payment_intent="pi_contract_2")
    refund = charge_refunded("pi_contract_1", 150_000, 50_000)
    return [
        (paid, PaymentConfirmed(paid["id"], paid["type"], order, "pi_contract_1", 150_000, "NOK")),
        (unpaid, IgnoredNotice(unpaid["id"], unpaid["type"])),
        (
            intent,
            PaymentConfirmed(intent["id"], intent["type"], order, "pi_contract_2", 120_000, "NOK"),
        ),
        (
            refund,
            RefundReported(
                refund["id"], refund["type"], None, "pi_contract_1", 150_000, 50_000, "NOK"
            ),
        ),
    ]


@pytest.mark.parametrize("index", range(4), ids=["paid", "unpaid", "intent", "refund"])
def test_a_signed_event_is_its_notice(harness: Harness, index: int) -> None:
    payload, notice = events()[index]
    gateway = harness.gateway()

    assert gateway.parse_webhook(*harness.deliver(payload, notice)) == notice


def test_a_webhook_without_a_signature_is_invalid(harness: Harness) -> None:
    payload, notice = events()[0]
    body, _ = harness.deliver(payload, notice)

    with pytest.raises(InvalidWebhook):
        harness.gateway().parse_webhook(body, None)


def test_a_webhook_stripe_did_not_sign_is_invalid(harness: Harness) -> None:
    payload, _ = events()[0]

    with pytest.raises(InvalidWebhook):
        harness.gateway().parse_webhook(*harness.forge(payload))
