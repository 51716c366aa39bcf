"""Liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

import logging

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from prometheus_client import CONTENT_TYPE_LATEST

from adapters.metrics import Scrape
from application.errors import STORE_UNAVAILABLE, StoreUnavailable
from entrypoints.bootstrap import Readiness
from entrypoints.http.deps import Port
from entrypoints.http.health.schemas import HealthOut, ReadyOut, StalledFollowerOut
from entrypoints.http.health.worker_readiness import WORKER_DOWN, worker_down
from entrypoints.http.openapi import problems
from entrypoints.http.problems import RETRY_AFTER_SECONDS, HttpProblem
from entrypoints.worker_supervisor import WorkerLiveness

log = logging.getLogger(__name__)


class HealthController(Controller):
    tags = ["health"]

    @get("/health", sync_to_thread=False, operation_id="getHealth", summary="Liveness")
    def health(self) -> HealthOut:
        return HealthOut("ok")

    @get(
        "/health/ready",
        sync_to_thread=True,
        operation_id="getReadiness",
        summary="Readiness: the event store answers, and this server's worker runs",
        responses=problems(STORE_UNAVAILABLE, WORKER_DOWN),
    )
    def ready(
        self,
        readiness: NamedDependency[Readiness],
        worker: Port[WorkerLiveness | None],
    ) -> ReadyOut:
        try:
            readiness.check_store()
            # Details, not a reason to take this instance out of service: a stalled follower
            # is the worker's trouble (and an alert), the API still answers.
            stalled = readiness.followers.stalled()
        except Exception as error:  # any failure of the store means: not ready
            log.warning("event store not ready", extra={"error": type(error).__name__})
            raise HttpProblem(
                503,
                "store_unavailable",
                "the event store does not answer",
                retry_after=int(RETRY_AFTER_SECONDS[StoreUnavailable.code]),
            ) from None
        worker_down(worker)
        return ReadyOut("ready", [StalledFollowerOut.of(f) for f in stalled])


class MetricsController(Controller):
    tags = ["operations"]

    @get(
        "/metrics",
        sync_to_thread=True,  # the followers' lag and stalls are read from the event store
        media_type=MediaType.TEXT,
        operation_id="getMetrics",
        summary="Prometheus metrics (text exposition format)",
        description="On the public port unless `METRICS_PORT` is set: then on that port "
        "only, and this path answers 404 here.",
        response_description="Counters, histograms and gauges: requests by route template, "
        "webhooks, tickets, emails, alerts, scans, the followers' lag, the build's info",
    )
    def metrics(self, scrape: NamedDependency[Scrape]) -> Response[bytes]:
        exposition = scrape()  # the database's part cached for METRICS_CACHE_SECONDS
        # As a header: given as the media type, Litestar would add a second `charset=utf-8`.
        return Response(exposition, headers={"Content-Type": CONTENT_TYPE_LATEST})
