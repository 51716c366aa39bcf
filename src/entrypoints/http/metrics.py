"""GET /metrics: this process' Prometheus metrics, then every follower's lag (from the store)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST

from adapters.metrics import exposition
from entrypoints.bootstrap import Services


class MetricsController(Controller):
    path = "/metrics"
    tags = ["operations"]

    # In a thread: the followers' lag is read from the event store.
    @get(sync_to_thread=True)
    def metrics(self, services: NamedDependency[Services]) -> Response[bytes]:
        return Response(
            exposition(services.follower_lag), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
