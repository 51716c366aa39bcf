"""The worker as operators run it: its own process, killed, restarted, several at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from domain.ticket import Ticket
from entrypoints.bootstrap import Services, build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.email_support import SmtpServer, outbox, running_smtp_server, wait_for
from tests.support.service import ROOT, Api, ServerProcess, bearer, service_env

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@dataclass
class WorkerProcess:
    """``tickets worker`` in a process of its own."""

    env: dict[str, str]
    cwd: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.log = self.cwd / f"worker-{time.monotonic_ns()}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "worker"],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **self.env},
            cwd=self.cwd,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: "worker running" in self.log.read_text(), 30, "the worker to start")
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM: the worker finishes what it holds and exits."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.terminate()
        return self.process.wait(timeout=15)


@dataclass
class Shop:
    api: Api
    services: Services
    env: dict[str, str]

    def sell(self, users: list[str]) -> None:
        for user in users:
            self.api.profile(user)
            assert self.api.pay(self.api.order(user, "salsa1")).status_code == 200

    def emailed_tickets(self) -> int:
        store = self.services.store
        return sum(
            1
            for n in store.notifications(topics=(Ticket.Emailed.TOPIC,))
            if store.decode(n).reason == "issued"
        )


@pytest.fixture
def shop(database_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Shop]:
    env = service_env(
        database_url,
        EMAIL_BACKEND="smtp",
        SMTP_URL=smtp_server.url,
        EMAIL_FROM="tickets@salsanor.no",
        LOG_LEVEL="INFO",
    )
    settings = Settings.from_env(env)
    migrate(settings.database)
    services = build(settings)
    with TestClient(create_app(services)) as client:
        api = Api(client)
        api.schedule()
        yield Shop(api, services, env)


def test_a_worker_killed_mid_batch_loses_no_email_and_repeats_at_most_one(
    shop: Shop, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    users = [f"dancer-{n:02}" for n in range(50)]
    shop.sell(users)
    smtp_server.delay = 0.03  # slow enough to be killed in the middle of the batch
    worker = WorkerProcess(shop.env, tmp_path).start()
    wait_for(lambda: len(smtp_server.received) >= 10, 60, "the first emails")

    worker.kill()  # SIGKILL: no clean-up, no last record
    at_kill = len(smtp_server.received)
    assert at_kill < len(users), "the whole batch went out before the kill"

    restarted = WorkerProcess(shop.env, tmp_path).start()
    wait_for(lambda: shop.emailed_tickets() == len(users), 120, "every ticket's email")
    assert restarted.stop() == 0

    per_recipient = Counter(smtp_server.recipients())
    assert set(per_recipient) == {f"{u}@example.no" for u in users}
    assert max(per_recipient.values()) <= 2  # no ticket got more than one extra
    assert sum(per_recipient.values()) - len(users) <= 1  # only the one in flight


def test_a_killed_workers_render_processes_end_with_it(
    shop: Shop, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    users = [f"dancer-{n}" for n in range(3)]
    shop.sell(users)
    worker = WorkerProcess({**shop.env, "EMAIL_RENDER_PROCESSES": "2"}, tmp_path).start()
    wait_for(lambda: shop.emailed_tickets() == len(users), 60, "every ticket's email")
    assert worker.process is not None
    helpers = _descendants(worker.process.pid)
    assert len(helpers) >= 2  # the render processes (and multiprocessing's resource tracker)

    worker.kill()  # SIGKILL: the pool is never shut down

    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in helpers), 20, "its end")
    assert Counter(smtp_server.recipients()) == Counter(f"{u}@example.no" for u in users)


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_on_one_postgres_send_each_email_once(
    shop: Shop, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    users = [f"dancer-{n:02}" for n in range(20)]
    workers = [WorkerProcess(shop.env, tmp_path).start() for _ in range(2)]
    try:
        shop.sell(users)
        wait_for(lambda: shop.emailed_tickets() == len(users), 60, "every ticket's email")
        time.sleep(1)  # time for any double send to show
    finally:
        codes = [w.stop() for w in workers]
    assert codes == [0, 0]
    assert Counter(smtp_server.recipients()) == Counter(f"{u}@example.no" for u in users)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_postgres_worker_wakes_on_notify_not_on_its_poll(
    shop: Shop, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    worker = WorkerProcess({**shop.env, "WORKER_POLL_SECONDS": "60"}, tmp_path).start()
    try:
        time.sleep(1)  # idle: asleep in its 60 s wait
        started = time.monotonic()
        shop.sell(["dancer-1"])
        wait_for(lambda: smtp_server.received, 20, "the email")
        elapsed = time.monotonic() - started
    finally:
        assert worker.stop() == 0
    assert elapsed < 10, f"{elapsed:.1f} s: woken by the poll, not by NOTIFY"


def test_serve_runs_the_worker_unless_told_not_to(database_url: str, tmp_path: Path) -> None:
    results: dict[str, list[Any]] = {}
    for flag in ("", "--no-worker"):
        folder = tmp_path / (flag or "with-worker")
        folder.mkdir()
        server = ServerProcess(
            service_env(database_url, EMAIL_OUTBOX_DIR=str(folder / "outbox")), folder
        )
        server.start(*([flag] if flag else []))
        try:
            api = Api(httpx.Client(base_url=server.base_url, timeout=30))
            if not flag:
                api.schedule()
            user = f"dancer{flag}"
            api.profile(user)
            assert api.pay(api.order(user, "salsa1")).status_code == 200
            token = api.client.get("/api/tickets/2026-fall", headers=bearer(user)).json()
            if flag:
                time.sleep(2)
            else:
                wait_for(lambda f=folder: outbox(f / "outbox"), 20, "the email")  # type: ignore[misc]
            results[flag] = [outbox(folder / "outbox"), token["qrToken"]]
        finally:
            server.stop()
    [message] = results[""][0]
    assert message["To"] == "dancer@example.no"
    assert results["--no-worker"][0] == []
