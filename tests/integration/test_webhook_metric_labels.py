"""A webhook's invented event type reaches /metrics as ``other``: the scrape keeps working."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import Running
from tests.stripe_events import event

pytestmark = pytest.mark.integration


def test_a_lone_surrogate_in_an_event_type_does_not_break_metrics(running: Running) -> None:
    api = running.api
    for event_type in ("x\ud800", "invented.one", "invented.two"):
        assert api.webhook(event(event_type, {"object": "thing"})).status_code == 200

    scraped = api.client.get("/metrics")

    assert scraped.status_code == 200
    types = {
        sample.labels["type"]
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "tickets_webhooks_total"
    }
    assert "other" in types
    assert not any(kind.startswith(("x", "invented")) for kind in types), types
