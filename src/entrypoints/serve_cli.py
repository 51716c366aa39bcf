"""``tickets serve``: the HTTP processes and the supervised worker, started and stopped
together.

One module: the command's options, the processes it starts, the app each HTTP process makes
from the environment and what runs at their start and stop belong to one another.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from adapters import parent_process
from adapters.persistence.eventstore import migrate_if_behind
from entrypoints import logs, monitoring, run_dir, worker_cli, worker_supervisor
from entrypoints.cli_options import add_log_level, port_number, seconds
from entrypoints.settings import ServeOptions, Settings, http_processes
from entrypoints.version import package_version

if TYPE_CHECKING:
    from domain.alert import Alert

log = logging.getLogger("tickets")

REQUEST_THREADS = 40
GRACEFUL_SHUTDOWN_SECONDS = 20


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on; 0.0.0.0 for all (default: %(default)s)",
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="the public port (default: %(default)s)"
    )
    serve.add_argument(
        "--dev",
        action="store_true",
        help="development mode: secrets made and kept under ./var, SQLite there, emails as "
        "files (default: off; never in production)",
    )
    add_log_level(serve)
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run the worker (emails, read models) here: `tickets worker` runs it "
        "(default: serve runs it)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,  # the settings' (entrypoints.settings.processes.http_processes)
        help="HTTP processes (default: WEB_CONCURRENCY, else one per CPU this process may use: "
        "a container's CPU quota, not the host's cores); with more than one, the worker runs "
        "in a process of its own",
    )
    serve.add_argument(
        "--header-timeout",
        type=seconds,
        default=None,  # the settings' (entrypoints.http.settings)
        help="seconds a request's line and headers may take to arrive; then 408 and the "
        "connection is closed (default: HTTP_HEADER_TIMEOUT_SECONDS, else 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=seconds,
        default=None,
        help="seconds a request's body may take to arrive after its headers; then 408 and "
        "the connection is closed (default: HTTP_BODY_TIMEOUT_SECONDS, else 30)",
    )

    serve.add_argument(
        "--metrics-port",
        type=port_number,
        default=None,  # the settings' (entrypoints.settings.metrics)
        help="answer /metrics on this port of its own (on --host), and no longer on --port "
        "(default: METRICS_PORT, else /metrics on --port)",
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from entrypoints.http import transport

    settings = Settings.from_env(os.environ, dev=args.dev)
    if settings.dev:
        log.warning("DEV MODE: development secrets from ./var are in use; not for production")
    migrate_if_behind(settings.database)
    workers = max(1, http_processes(os.environ) if args.workers is None else args.workers)
    # Given on the command line, else HTTP_HEADER_TIMEOUT_SECONDS / HTTP_BODY_TIMEOUT_SECONDS.
    header_timeout: float = (
        settings.http.header_timeout_seconds if args.header_timeout is None else args.header_timeout
    )
    body_timeout: float = (
        settings.http.body_timeout_seconds if args.body_timeout is None else args.body_timeout
    )
    log.info(
        "serving",
        extra={
            "database": settings.database.redacted_url,
            "host": args.host,
            "port": args.port,
            "version": package_version(),
            "http_processes": workers,
        },
    )
    worker = None
    worker_lock = None
    if workers > 1:
        # N HTTP processes made by uvicorn from the factory below, and the worker once, in a
        # process of its own: its PDF rendering never shares a GIL with requests. Each ends
        # with this process, however it ends (adapters.parent_process).
        run_dir.prepare(os.environ)  # what they count, they count together (entrypoints.run_dir)
        os.environ[parent_process.PARENT_VARIABLE] = str(os.getpid())
        if not args.no_worker:
            worker_lock = _worker_lock_file()
            worker = worker_supervisor.WorkerProcess(
                lambda: _start_worker_process(args), _alert_raiser(settings)
            )
            worker.start()
    # With more than one HTTP process, the worker is not in any of them.
    run_worker = workers == 1 and not args.no_worker
    metrics_port = settings.metrics.port if args.metrics_port is None else args.metrics_port
    ServeOptions(
        dev=args.dev,
        log_level=args.log_level,
        run_worker=run_worker,
        body_timeout=body_timeout,
        metrics_port=metrics_port,
    ).hand_over(os.environ)
    stopped_by = _note_stop_signals()
    app = app_from_environment() if workers == 1 else None
    metrics = _metrics_apart(args, metrics_port, app)
    try:
        uvicorn.run(
            "entrypoints.serve_cli:app_from_environment" if app is None else app,
            factory=workers > 1,
            workers=workers if workers > 1 else None,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            http=transport.protocol(header_timeout, body_timeout),
            loop=transport.LOOP,
            # X-Forwarded-For only from TRUSTED_PROXIES; uvicorn would believe localhost's.
            proxy_headers=bool(settings.http.trusted_proxies),
            forwarded_allow_ips=list(settings.http.trusted_proxies),
            # In-flight requests finish first; a stuck one does not hold the stop for ever.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            # A new HTTP process imports and builds everything before it answers uvicorn's
            # pings: on a busy machine that takes longer than uvicorn's 5 s default.
            timeout_worker_healthcheck=60,
        )
    finally:
        if metrics is not None:
            metrics.close()
        if worker is not None:
            worker.stop(GRACEFUL_SHUTDOWN_SECONDS)
        if worker_lock is not None:
            os.unlink(worker_lock)
    log.info("stopped", extra={"signal": stopped_by[0] if stopped_by else None})
    return 0


class _MetricsApart:
    """/metrics on METRICS_PORT, answered by serve's own process for all of its processes."""

    def __init__(self, server: Any, services: Any | None) -> None:
        self._server, self._services = server, services

    def close(self) -> None:
        self._server.shutdown()
        if self._services is not None:  # built for this alone
            self._services.close()


def _metrics_apart(args: argparse.Namespace, port: int | None, app: Any) -> _MetricsApart | None:
    """With one process, its app's scrape; with several, services of serve's own, which read
    the counters all of them write to the shared directory (entrypoints.run_dir)."""
    if port is None:
        return None
    from adapters.metrics_server import serve_metrics
    from entrypoints.bootstrap import build

    own = None
    if app is None:
        # Read again: run_dir.prepare has named the shared directory since.
        own = build(Settings.from_env(os.environ, dev=args.dev))
    services = own if own is not None else app.state["services"]
    server = serve_metrics(args.host, port, services.scrape)
    log.info("metrics served", extra={"host": args.host, "port": port})
    return _MetricsApart(server, own)


def app_from_environment() -> Any:
    """One HTTP process's app, built from the environment `serve` left for it: the settings'
    variables and ``TICKETS_SERVE_OPTIONS`` (dev mode, log level, whether to run the worker)."""
    from adapters.worker_liveness import WorkerLockFile
    from entrypoints.bootstrap import build
    from entrypoints.http.app import create_app
    from entrypoints.http.problems import reported
    from entrypoints.http.transport import BodyDeadline

    options = ServeOptions.from_env(os.environ)
    logs.configure(options.log_level, json=not options.dev)
    parent_process.end_with_the_parent_named()
    settings = Settings.from_env(os.environ, dev=options.dev)
    # Before the app is made: Sentry's Litestar integration hooks into its construction.
    monitoring.start(settings.monitoring, "api", reported)
    services = build(settings)
    # /health/ready asks whether the worker is up: one in a thread of this process, started
    # again if it fails, or serve's worker process apart (its lock file tells).
    worker: worker_supervisor.WorkerLiveness | None = None
    if options.run_worker:
        worker = background = worker_cli.BackgroundWorker(services)
    elif settings.worker.lock_file is not None:
        worker = WorkerLockFile(settings.worker.lock_file)
    app = create_app(services, worker=worker, public_metrics=options.metrics_port is None)
    app.on_startup.insert(0, _request_threads)
    if options.run_worker:
        app.on_startup.append(background.start)
        app.on_shutdown.insert(0, background.stop)  # first: it may be mid-job on the store
    app.asgi_handler = BodyDeadline(app.asgi_handler, options.body_timeout)
    return app


def _request_threads() -> None:
    """Litestar runs sync routes on the loop's default executor. asyncio's own has
    min(32, cores + 4) threads, 6 on two cores: while the database is away each request holds
    one for up to its timeouts, and the requests queued behind them would wait past any timeout.
    """
    executor = ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="request")
    asyncio.get_running_loop().set_default_executor(executor)


def _start_worker_process(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    # `-m entrypoints`, not `-m entrypoints.cli`: its render processes import the main module.
    command = [sys.executable, "-m", "entrypoints", "worker", "--log-level", args.log_level]
    command += ["--nice", str(worker_cli.SERVE_NICENESS)]
    # A session of its own: a Ctrl-C reaches serve, which stops it (WorkerProcess).
    return subprocess.Popen(  # noqa: S603 (our own CLI)
        [*command, *(["--dev"] if args.dev else [])], start_new_session=True
    )


def _worker_lock_file() -> str:
    """The file the worker locks while it runs, named to it and to the HTTP processes."""
    handle, path = tempfile.mkstemp(prefix=f"tickets-worker-{os.getpid()}-", suffix=".lock")
    os.close(handle)
    os.environ[worker_supervisor.LOCK_VARIABLE] = path
    return path


def _alert_raiser(settings: Settings) -> Callable[[Alert], None]:
    """Records an alert from serve itself, which holds no store: one opened for it. Told to
    the log at once; the worker, once it runs, delivers it to the other channels."""

    def raise_alert(alert: Alert) -> None:
        from adapters.alert_channels import LogAlertChannel
        from adapters.persistence.eventstore import open_store
        from application.alerts.alerts import Alerts

        try:
            store = open_store(settings.database)
            try:
                Alerts(store, LogAlertChannel()).raise_now(alert)
            finally:
                store.close()
        except Exception as error:  # the store may be what kills the worker
            log.error(
                "alert not recorded",
                extra={"kind": alert.kind.value, "error": type(error).__name__},
            )

    return raise_alert


def _note_stop_signals() -> list[str]:
    """SIGTERM and SIGINT, once uvicorn has shut down gracefully (the app's lifespan stopped
    the worker and closed the store), only end ``uvicorn.run`` and the command exits 0.

    uvicorn handles both itself, then raises the signal again with the handler that was there
    before it started: Python's default would end the process with 143 (SIGTERM) or a
    KeyboardInterrupt traceback. This handler notes it instead.
    """
    received: list[str] = []

    def note(signum: int, _: object) -> None:
        received.append(signal.Signals(signum).name)

    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, note)
    return received
