"""Stopping as Docker, Kubernetes and systemd do (SIGTERM), or Ctrl-C (SIGINT), under load.

In-flight requests finish, the worker finishes the email at hand and records it, the store is
closed and the exit code is 0; after a restart every remaining email goes out exactly once.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from adapters.persistence.eventstore import migrate, open_store
from adapters.persistence.store_config import StoreConfig, sqlite_path
from domain.ticket import Ticket
from entrypoints.bootstrap import build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.integration.operations.test_worker_processes import WorkerProcess
from tests.support.email_support import SmtpServer, running_smtp_server, wait_for
from tests.support.service import PG_ADMIN, Api, ServerProcess, bearer, service_env

pytestmark = pytest.mark.integration

DANCERS = [f"dancer-{n:02}" for n in range(8)]
SMTP_DELAY = 1.0  # seconds an email takes: the signal finds the worker in the middle of one


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def email_env(database_url: str, smtp: SmtpServer) -> dict[str, str]:
    return service_env(
        database_url,
        EMAIL_BACKEND="smtp",
        SMTP_URL=smtp.url,
        EMAIL_FROM="tickets@salsanor.no",
        WORKER_POLL_SECONDS="0.2",
        RATE_LIMIT_PER_MINUTE="1000000",
    )


def sell(api: Api) -> None:
    api.schedule()
    for user in DANCERS:
        api.profile(user)
        assert api.pay(api.order(user, "salsa1")).status_code == 200


def emailed(database_url: str) -> Counter[str]:
    """Tickets whose email the store records as sent, by ticket id."""
    store = open_store(StoreConfig(database_url))
    try:
        return Counter(
            str(store.decode(n).originator_id)
            for n in store.notifications(topics=(Ticket.Emailed.TOPIC,))
        )
    finally:
        store.close()


def jobs_by_status(database_url: str) -> Counter[str]:
    config = StoreConfig(database_url)
    if config.is_postgres:
        schema = config.env(create_table=False)["POSTGRES_SCHEMA"]
        with psycopg.connect(PG_ADMIN) as conn:
            rows = conn.execute(f'SELECT status FROM "{schema}".follower_jobs').fetchall()
    else:
        with sqlite3.connect(sqlite_path(database_url)) as conn:
            rows = conn.execute("SELECT status FROM follower_jobs").fetchall()
    return Counter(row[0] for row in rows)


def assert_stopped_at_a_job_boundary(database_url: str, smtp: SmtpServer) -> int:
    """What went out is recorded and nothing is left half-done (the rest is queued, or still
    to be read from the log)."""
    sent = len(smtp.received)
    assert 0 < sent < len(DANCERS), f"{sent} emails: the signal did not come mid-run"
    assert sum(emailed(database_url).values()) == sent  # the one at hand was recorded too
    statuses = jobs_by_status(database_url)
    assert statuses["claimed"] == 0, statuses
    assert statuses["done"] == sent, statuses
    return sent


def assert_each_email_sent_once_after_a_restart(database_url: str, smtp: SmtpServer) -> None:
    wait_for(lambda: len(smtp.received) >= len(DANCERS), 60, "every email")
    time.sleep(1)  # time for a duplicate to show
    assert Counter(smtp.recipients()) == Counter(f"{u}@example.no" for u in DANCERS)
    assert set(emailed(database_url).values()) == {1}


def log_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@dataclass
class Load:
    """Clients calling the server in a loop, each request on a connection of its own."""

    base_url: str
    done: list[tuple[float, float, int | str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, clients: int = 6) -> Load:
        for n in range(clients):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def _run(self, n: int) -> None:
        user = DANCERS[n % len(DANCERS)]
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.base_url, timeout=30, limits=limits) as client:
            try:
                ticket = client.get("/api/tickets/2026-fall", headers=bearer(user)).json()
            except httpx.HTTPError:
                return  # stopped before this client began
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    # A PDF takes a while to render: requests are in flight at any moment.
                    status: int | str = client.get(
                        f"/api/tickets/download/{ticket['ticketId']}", headers=bearer(user)
                    ).status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                self.done.append((started, time.monotonic(), status))
                if isinstance(status, str):
                    return  # the server is gone

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_tickets_serve_stops_cleanly_mid_load(
    database_url: str, tmp_path: Path, smtp_server: SmtpServer, stop_signal: signal.Signals
) -> None:
    server = ServerProcess(email_env(database_url, smtp_server), tmp_path).start()
    smtp_server.delay = SMTP_DELAY
    api = Api(httpx.Client(base_url=server.base_url, timeout=30))
    sell(api)
    load = Load(server.base_url).start()
    wait_for(lambda: len(load.done) >= 6, 30, "the load to run")
    wait_for(lambda: smtp_server.received, 30, "the first email")
    assert server.process is not None

    signalled = time.monotonic()
    server.process.send_signal(stop_signal)
    code = server.process.wait(timeout=40)
    load.finish()

    assert code == 0, server.logs()
    # Every request the server had taken was answered. One sent in the last instant may still
    # have been in the listen queue when the server closed it (a reset, never half an answer).
    accepted = [status for started, _, status in load.done if started < signalled - 0.1]
    in_flight = [s for started, ended, s in load.done if started < signalled < ended]
    assert accepted and set(accepted) == {200}, Counter(accepted)
    assert 200 in in_flight, f"no request was answered across the signal: {in_flight}"
    sent = assert_stopped_at_a_job_boundary(database_url, smtp_server)
    events = [line["event"] for line in log_events(server.logs())]
    assert events.index("worker stopped") < events.index("event store closed"), events
    assert events[-1] == "stopped" and "Traceback" not in server.logs()

    smtp_server.delay = 0.05
    server.start()  # the rest goes out after the restart, and nothing twice
    try:
        assert_each_email_sent_once_after_a_restart(database_url, smtp_server)
    finally:
        server.stop()
    assert len(smtp_server.received) - sent == len(DANCERS) - sent


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_tickets_worker_stops_cleanly_mid_email(
    database_url: str, tmp_path: Path, smtp_server: SmtpServer, stop_signal: signal.Signals
) -> None:
    env = email_env(database_url, smtp_server)
    settings = Settings.from_env(env)
    migrate(settings.database)
    services = build(settings)
    try:
        from litestar.testing import TestClient

        with TestClient(create_app(services)) as client:  # the API without a worker
            sell(Api(client))
    finally:
        services.close()
    smtp_server.delay = SMTP_DELAY
    worker = WorkerProcess(env, tmp_path).start()
    wait_for(lambda: smtp_server.received, 30, "the first email")
    time.sleep(0.1)
    assert worker.process is not None

    worker.process.send_signal(stop_signal)
    code = worker.process.wait(timeout=40)

    log = worker.log.read_text()
    assert code == 0, log
    assert_stopped_at_a_job_boundary(database_url, smtp_server)
    events = [line["event"] for line in log_events(log)]
    assert events.index("worker stopped") < events.index("event store closed"), events

    smtp_server.delay = 0.05
    restarted = WorkerProcess(env, tmp_path).start()
    try:
        assert_each_email_sent_once_after_a_restart(database_url, smtp_server)
    finally:
        assert restarted.stop() == 0
