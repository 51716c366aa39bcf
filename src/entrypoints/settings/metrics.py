"""The Prometheus metrics' settings: their own port, the scrape's cache, the shared directory."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from entrypoints.environment import collect, number
from entrypoints.settings.processes import port_number

# A scrape reads the followers' lag and stalls from the database: at most once in this many
# seconds per process, however many scrapers there are (Prometheus pairs, dashboards).
DEFAULT_CACHE_SECONDS = 5.0


class MetricsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """``METRICS_PORT`` (unset: /metrics on the public port) and ``METRICS_CACHE_SECONDS``."""

    port: int | None = None  # `serve --metrics-port` wins
    cache_seconds: float = DEFAULT_CACHE_SECONDS
    # Where the processes of one `tickets serve` count together; none: this process alone.
    multiprocess_dir: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MetricsSettings:
        with collect() as problems:
            port = problems.read(lambda: port_number(env, "METRICS_PORT"))
            cache_seconds = problems.read(
                lambda: number(env, "METRICS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS, at_most=300)
            )
        return cls(
            port=port,
            cache_seconds=cache_seconds,
            # Set by `tickets serve` for its processes (entrypoints.run_dir), not an operator.
            multiprocess_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        )
