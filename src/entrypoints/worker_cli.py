"""``tickets worker``, and the worker that ``tickets serve`` runs in a background thread."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters import parent_process
from adapters.persistence.eventstore import migrate_if_behind
from adapters.worker_liveness import WorkerLockFile
from application.worker.restarts import Restarts
from entrypoints import monitoring
from entrypoints.settings import Settings

log = logging.getLogger("tickets")

# The worker that `serve` starts: background work, which on a shared machine yields the cores
# to the HTTP processes (payments are answered faster beside it: bench/RESULTS.md).
SERVE_NICENESS = 10
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104 (the worker's metrics, for a scraper on another host)


def add_commands(commands: Any) -> None:
    worker = commands.add_parser(
        "worker", help="follow the event log: send ticket emails and alerts, update read models"
    )
    worker.add_argument(
        "--dev", action="store_true", help="development secrets from ./var (default: off)"
    )
    # The parser's module, which imports this one.
    from entrypoints.cli_options import add_log_level, port_number

    add_log_level(worker)
    worker.add_argument(
        "--metrics-port",
        type=port_number,
        default=None,  # the settings' (entrypoints.settings.processes)
        help="serve this worker's Prometheus metrics on this port, all addresses "
        "(default: WORKER_METRICS_PORT, else none)",
    )
    worker.add_argument(
        "--nice",
        type=int,
        default=0,
        help="lower this process's CPU priority by this much (`serve` starts its worker with "
        f"{SERVE_NICENESS}: on a busy machine requests go first) (default: %(default)s)",
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
    metrics_port = settings.worker.metrics_port if args.metrics_port is None else args.metrics_port
    if metrics_port:
        _serve_metrics(services, metrics_port)
    stop = threading.Event()

    def request_stop(signum: int, _: Any) -> None:
        log.info("worker stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    parent_process.end_with_the_parent_named()  # the worker `serve` started
    # serve's HTTP processes are ready only while this process holds it (worker_supervisor).
    lock_file = settings.worker.lock_file
    alive = WorkerLockFile(lock_file) if lock_file is not None else None
    if alive is not None:
        alive.hold()
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
        if alive is not None:
            alive.release()
        services.close()
        monitoring.stop()
    return 0


def _serve_metrics(services: Any, port: int) -> None:
    """This process' counters (emails sent and failed, alerts...), the build's info and the
    followers' lag, on ``http://<host>:<port>/metrics``, as the API serves them."""
    from adapters.metrics_server import serve_metrics

    serve_metrics(ALL_ADDRESSES, port, services.scrape)  # firewall it
    log.info("worker metrics served", extra={"port": port})


class BackgroundWorker:
    """The worker in a thread of the HTTP process, started and stopped by the app's lifespan.

    A worker whose run fails (an error out of its loop, not one of a follower's: those it
    retries itself) is built and run again after a growing pause, as serve restarts a worker
    process (application.worker.restarts); meanwhile ``down_reason`` tells readiness.
    """

    def __init__(
        self,
        services: Any,
        stop_timeout_seconds: float = 30.0,
        *,
        build: Callable[[Any], Any] | None = None,
        restarts: Restarts | None = None,
    ) -> None:
        self._services = services
        self._stop_timeout = stop_timeout_seconds
        self._build = build
        self._restarts = restarts or Restarts()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        self._failed: str | None = None  # why the last run ended, while it is not running

    def start(self) -> None:
        self._thread = threading.Thread(target=self._supervise, name="worker", daemon=True)
        self._thread.start()

    def _supervise(self) -> None:
        from entrypoints.bootstrap import build_worker

        build = self._build or build_worker
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                worker = build(self._services)
                self._running = True
                worker.run(self._stop)
                return  # it returns once asked to stop
            except Exception as error:
                failure = error
            finally:
                self._running = False
            pause = self._restarts.died(time.monotonic() - started)
            self._failed = f"{type(failure).__name__}; started again in {pause:g} s"
            log.error(
                "worker failed: starting it again",
                exc_info=failure,
                extra={
                    "error": type(failure).__name__,
                    "deaths_in_a_row": self._restarts.deaths,
                    "restart_in_seconds": pause,
                },
            )
            if self._restarts.keeps_dying:
                self._raise_alert(type(failure).__name__, pause)
            self._stop.wait(pause)

    def _raise_alert(self, error: str, pause: float) -> None:
        try:
            self._services.alerts.raise_now(self._restarts.alert("the worker", error, pause))
        except Exception as failure:  # the store may be what fails
            log.error("alert not recorded", extra={"error": type(failure).__name__})

    def down_reason(self) -> str | None:
        """None while the worker runs, else why not (for /health/ready)."""
        if self._running:
            return None
        if self._failed is not None:
            return f"the worker failed ({self._failed})"
        return "the worker has not started"

    def stop(self) -> None:
        """Asks the worker to stop and waits while it finishes the job at hand."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=self._stop_timeout)
        if self._thread.is_alive():
            log.error("worker did not stop in time", extra={"seconds": self._stop_timeout})
