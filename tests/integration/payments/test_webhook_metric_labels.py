"""Webhooks' event types reach /metrics from a closed set: invented ones count as ``other``."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import STRIPE_EVENT_TYPES
from tests.support.service import Running
from tests.support.stripe_events import event

pytestmark = pytest.mark.integration


def test_invented_event_types_add_no_series_and_the_scrape_keeps_working(
    running: Running,
) -> None:
    api = running.api
    for n in range(20):  # well signed, of types nobody handles: 200 and ignored
        assert api.webhook(event(f"invented.type_{n}", {"object": "thing"})).status_code == 200
    # Refused by the gateway before any label (a lone surrogate broke every later scrape).
    assert api.webhook(event("x\ud800", {"object": "thing"})).status_code == 400

    scraped = api.client.get("/metrics")

    assert scraped.status_code == 200
    types = {
        sample.labels["type"]
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "tickets_webhooks_total"
    }
    assert {"other", "unknown"} <= types <= STRIPE_EVENT_TYPES | {"other", "unknown"}
