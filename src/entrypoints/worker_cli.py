"""``tickets worker``, and the worker that ``tickets serve`` runs in a background thread."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import Any

from adapters import parent_process
from adapters.persistence.eventstore import migrate_if_behind
from entrypoints import monitoring
from entrypoints.settings import Settings

log = logging.getLogger("tickets")

# The worker that `serve` starts: background work, which on a shared machine yields the cores
# to the HTTP processes (payments on one connection took 5.4 ms beside an unniced worker that
# was emailing their tickets, 4.7 ms beside this one; 3.1 ms with no worker).
SERVE_NICENESS = 10


def add_commands(commands: Any) -> None:
    worker = commands.add_parser(
        "worker", help="follow the event log: send ticket emails and alerts, update read models"
    )
    worker.add_argument("--dev", action="store_true", help="development secrets from ./var")
    worker.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=os.environ.get("WORKER_METRICS_PORT") or None,
        help="serve this worker's Prometheus metrics on this port (default: WORKER_METRICS_PORT)",
    )
    worker.add_argument(
        "--nice",
        type=int,
        default=0,
        help="lower this process's CPU priority by this much (`serve` starts its worker with "
        f"{SERVE_NICENESS}: on a busy machine requests go first)",
    )


def run(args: argparse.Namespace) -> int:
    """Runs the worker in this process until SIGTERM or SIGINT; then finishes the job at hand."""
    from entrypoints.bootstrap import build, build_worker

    if args.nice:
        os.nice(args.nice)  # its render processes lower theirs from here
    settings = Settings.from_env(os.environ, dev=args.dev)
    monitoring.start(settings.monitoring, "worker")
    # The worker may start before any API process; with the schema current it runs no DDL.
    migrate_if_behind(settings.database)
    services = build(settings)
    worker = build_worker(services)
    if args.metrics_port:
        _serve_metrics(services, args.metrics_port)
    stop = threading.Event()

    def request_stop(signum: int, _: Any) -> None:
        log.info("worker stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    parent_process.end_with_the_parent_named()  # the worker `serve` started
    log.info(
        "worker running",
        extra={
            "database": settings.database.redacted_url,
            "email_backend": settings.email.backend,
            "followers": [f.name for f in worker.followers],
        },
    )
    try:
        worker.run(stop)
    finally:
        services.close()
        monitoring.stop()
    return 0


def _serve_metrics(services: Any, port: int) -> None:
    """This process' counters (emails sent and failed, alerts...) and the followers' lag, on
    ``http://<host>:<port>/metrics``, as the API serves them on its own /metrics."""
    from prometheus_client import REGISTRY, start_http_server

    if services.follower_lag is not None:
        REGISTRY.register(services.follower_lag)
    start_http_server(port)  # a daemon thread; all addresses, like the API: firewall it
    log.info("worker metrics served", extra={"port": port})


class BackgroundWorker:
    """The worker in a thread of the HTTP process, started and stopped by the app's lifespan."""

    def __init__(self, services: Any, stop_timeout_seconds: float = 30.0) -> None:
        self._services = services
        self._stop_timeout = stop_timeout_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from entrypoints.bootstrap import build_worker

        worker = build_worker(self._services)
        self._thread = threading.Thread(
            target=worker.run, args=(self._stop,), name="worker", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Asks the worker to stop and waits while it finishes the job at hand."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=self._stop_timeout)
        if self._thread.is_alive():
            log.error("worker did not stop in time", extra={"seconds": self._stop_timeout})
