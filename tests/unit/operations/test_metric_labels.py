"""Metric label values come from closed sets, whatever a webhook's sender writes."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import STRIPE_EVENT_TYPES, ServiceMetrics
from adapters.stripe_gateway import StripeConfig, StripeGateway
from application.payments.ports import IgnoredNotice
from tests.support.stripe_events import (
    charge_refunded,
    checkout_async_payment_succeeded,
    checkout_completed,
    payment_intent_succeeded,
    signed,
)

pytestmark = pytest.mark.unit

SECRET = "whsec_test_" + "m" * 24


def webhook_series(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    text = generate_latest(registry).decode("utf-8")
    return {
        (sample.labels["type"], sample.labels["outcome"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "tickets_webhooks"
        for sample in family.samples
        if sample.name == "tickets_webhooks_total"
    }


def test_invented_event_types_count_as_other_and_the_exposition_still_encodes() -> None:
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry)

    metrics.applied(IgnoredNotice("evt_1", "x\ud800"), None)  # a lone surrogate
    for n in range(300):
        metrics.applied(IgnoredNotice(f"evt_{n}", f"invented.{n}"), None)
    metrics.webhook("y\udfff", "failed")
    metrics.webhook("unknown", "invalid_signature")

    assert webhook_series(registry) == {
        ("other", "ignored"): 301,
        ("other", "failed"): 1,
        ("unknown", "invalid_signature"): 1,
    }


def test_every_type_the_gateway_handles_keeps_its_own_label() -> None:
    gateway = StripeGateway(StripeConfig(webhook_secret=SECRET, api_key=None))
    order = "0b8e0a8c-52f4-4f0e-9a43-6f5a1d1f3c11"
    payloads = [
        checkout_completed(order, 100),
        checkout_async_payment_succeeded(order, 100),
        payment_intent_succeeded(order, 100),
        charge_refunded("pi_123", 100, 100),
    ]
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry)

    for payload in payloads:
        notice = gateway.parse_webhook(*signed(payload, SECRET))
        assert not isinstance(notice, IgnoredNotice), payload["type"]
        metrics.webhook(notice.event_type, "fulfilled")

    assert {kind for kind, _ in webhook_series(registry)} == STRIPE_EVENT_TYPES
