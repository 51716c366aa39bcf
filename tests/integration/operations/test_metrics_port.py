"""METRICS_PORT: /metrics on a port of its own, and no longer beside the API."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.service import ServerProcess, free_port

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("processes", ["1", "2"])
def test_metrics_move_to_their_own_port_with_every_process_counted(
    server: ServerProcess, processes: str
) -> None:
    port = free_port()
    server.env["METRICS_PORT"] = str(port)
    server.start("--workers", processes)

    for _ in range(3):
        assert httpx.get(f"{server.base_url}/health").status_code == 200
    assert httpx.get(f"{server.base_url}/metrics").status_code == 404

    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert scraped.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
    assert families["tickets_build_info"].samples[0].labels["version"]
    health = [
        s.value
        for s in families["tickets_requests"].samples
        if s.name == "tickets_requests_total" and s.labels.get("path") == "/health"
    ]
    assert sum(health) >= 3  # whichever process answered them
    assert "tickets_follower_stalled" in families
    assert httpx.get(f"http://127.0.0.1:{port}/other").status_code == 404
