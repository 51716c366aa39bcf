"""``GET /metrics``: the Prometheus text format, documented as such (not as JSON).

This process' metrics, then every follower's lag, read from the event store (adapters.metrics).
"""

from __future__ import annotations

import os

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from entrypoints.bootstrap import Services


class MetricsController(Controller):
    tags = ["operations"]

    @get(
        "/metrics",
        sync_to_thread=True,  # the followers' lag is read from the event store
        media_type=MediaType.TEXT,
        operation_id="getMetrics",
        summary="Prometheus metrics (text exposition format)",
        response_description="Counters, histograms and gauges: requests by route template, "
        "webhooks, tickets, emails, alerts, scans, the followers' lag",
    )
    def metrics(self, services: NamedDependency[Services]) -> Response[bytes]:
        registry = REGISTRY
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several worker processes: merge them
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
        if services.follower_lag is not None:
            text += services.follower_lag.exposition()
        return Response(text, media_type=CONTENT_TYPE_LATEST)
