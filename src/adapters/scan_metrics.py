"""Scan counts for Prometheus: ``tickets_scans_total{result=...}`` on GET /metrics."""

from __future__ import annotations

import functools

from prometheus_client import REGISTRY, CollectorRegistry, Counter


@functools.cache
def _counter(registry: CollectorRegistry) -> Counter:
    # Once per registry: a second Counter of one name would be refused by it.
    return Counter(
        "tickets_scans",
        "Door scans by result word (ok, already_checked_in, invalid, expired, revoked, ...)",
        ["result"],
        registry=registry,
    )


class PrometheusScanMeter:
    """ScanMeter: counts every scan by its result; alert on the rate of the failed ones."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self._counter = _counter(registry)

    def count(self, result: str) -> None:
        self._counter.labels(result=result).inc()
