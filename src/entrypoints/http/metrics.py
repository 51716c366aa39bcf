"""``GET /metrics``: the Prometheus text format, documented as such (not as JSON)."""

from __future__ import annotations

import os

from litestar import Controller, Response, get
from litestar.enums import MediaType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)


class MetricsController(Controller):
    tags = ["operations"]

    @get(
        "/metrics",
        sync_to_thread=False,
        media_type=MediaType.TEXT,
        operation_id="getMetrics",
        summary="Prometheus metrics (text exposition format)",
        response_description="Counters and histograms: requests by route template, scans...",
    )
    def metrics(self) -> Response[bytes]:
        registry = REGISTRY
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several worker processes: merge them
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
