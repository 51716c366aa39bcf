"""``GET /metrics``: the Prometheus text format, documented as such (not as JSON).

This process' metrics, then every follower's lag, read from the event store (adapters.metrics).
"""

from __future__ import annotations

import logging
import os

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)

from application.worker.stalls import FollowerHealth
from entrypoints.bootstrap import Services

log = logging.getLogger(__name__)


class MetricsController(Controller):
    tags = ["operations"]

    @get(
        "/metrics",
        sync_to_thread=True,  # the followers' lag and stalls are read from the event store
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
        exposition = generate_latest(registry) + _follower_stalls(services)
        if services.follower_lag is not None:
            exposition += services.follower_lag.exposition()
        return Response(exposition, media_type=CONTENT_TYPE_LATEST)


def _follower_stalls(services: Services) -> bytes:
    """``tickets_follower_stalled{follower}``: 1 while a follower is held at one event.

    Read from the store at each scrape, so any API instance tells it, wherever the worker runs.
    """
    registry = CollectorRegistry()
    gauge = Gauge(
        "tickets_follower_stalled",
        "1 while a worker follower fails on one event again and again (follower_stalled alert)",
        ["follower"],
        registry=registry,
    )
    health = FollowerHealth(services.store, services.followers)
    try:
        stalled = {found.follower for found in health.stalled()}
    except Exception as error:  # the store is away: readiness says so; the rest still scrapes
        log.warning("follower stalls not read", extra={"error": type(error).__name__})
        return b""
    for name in health.names():
        gauge.labels(follower=name).set(1 if name in stalled else 0)
    return generate_latest(registry)
