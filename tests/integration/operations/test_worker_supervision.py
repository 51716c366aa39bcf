"""`tickets serve` keeps its worker running: a worker process that dies is started again, and
while it is down the HTTP processes answer /health/ready 503 ``worker_down``."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from entrypoints.settings import Settings
from tests.integration.operations.test_serve_processes import children
from tests.support.email_support import outbox, wait_for
from tests.support.service import ADMIN, Api, ServerProcess, service_env

pytestmark = pytest.mark.integration
SERVE_OPTIONS = {"dev": False, "log_level": "INFO", "run_worker": True, "body_timeout": 30}


def worker_pids(server: ServerProcess) -> list[int]:
    assert server.process is not None
    listed = children(server.process.pid, "pid=,args=")
    return [int(line.split()[0]) for line in listed if "-m entrypoints worker" in line]


def ready(client: httpx.Client) -> httpx.Response:
    return client.get("/health/ready")


def kill_the_worker(server: ServerProcess, client: httpx.Client) -> int:
    """SIGKILLs the worker process; returns the pid of the one serve starts instead."""
    (killed,) = worker_pids(server)
    os.kill(killed, signal.SIGKILL)
    down = wait_for(lambda: (r := ready(client)).status_code == 503 and r, 10, "not ready")
    assert down.json()["code"] == "worker_down", down.text
    assert "worker process is not running" in down.json()["detail"]
    assert down.headers["Retry-After"] == "5"
    (started,) = wait_for(
        lambda: [pid for pid in worker_pids(server) if pid != killed], 30, "a new worker"
    )
    return int(started)


def alerts_of(client: httpx.Client, kind: str) -> list[dict[str, Any]]:
    response = client.get("/api/admin/alerts", params={"kind": kind}, headers=ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_killed_worker_is_started_again_and_readiness_says_so_meanwhile(
    server: ServerProcess, tmp_path: Path
) -> None:
    server.start("--workers", "2")
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        order = api.new_dancer_order()

        kill_the_worker(server, client)
        # Paid while no worker runs: its ticket email waits for the next one.
        assert api.pay(order).status_code == 200
        wait_for(lambda: ready(client).status_code == 200, 30, "ready again")
        emails = wait_for(lambda: outbox(tmp_path / "var" / "outbox"), 30, "the ticket email")
        assert len(emails) == 1
        assert alerts_of(client, "worker_restarting") == []  # one death is no alarm

        # Two more deaths in a row: it keeps dying, the admins hear of it (once).
        kill_the_worker(server, client)
        kill_the_worker(server, client)
        wait_for(lambda: ready(client).status_code == 200, 60, "ready again")
        (alert,) = wait_for(lambda: alerts_of(client, "worker_restarting"), 30, "the alert")
        assert alert["severity"] == "critical"
        assert "died 3 times in a row (last: killed by SIGKILL)" in alert["message"]

    logs = server.logs()
    assert logs.count('"worker process died: starting it again"') == 3, logs
    assert '"exit": "killed by SIGKILL"' in logs
    assert '"restart_in_seconds": 4.0' in logs  # 1, 2, then 4 s: a growing pause
    assert logs.count('"worker process started again"') == 3


def test_an_api_without_a_worker_is_ready_without_one(server: ServerProcess) -> None:
    server.start("--workers", "2", "--no-worker")  # start() waits for /health/ready: 200
    assert worker_pids(server) == []
    assert httpx.get(f"{server.base_url}/health/ready", timeout=10).status_code == 200


def test_a_one_process_servers_readiness_follows_its_worker_thread(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --workers 1`: the worker runs in a thread of the HTTP process; a run that fails
    is started again, and /health/ready says 503 meanwhile."""
    from entrypoints import bootstrap, serve_cli

    real = bootstrap.build_worker
    failing = threading.Event()

    class Failing:
        def run(self, stop: threading.Event) -> None:
            failing.set()
            raise RuntimeError("the worker's loop broke")

    builds = iter([Failing(), None])
    monkeypatch.setattr(bootstrap, "build_worker", lambda services: next(builds) or real(services))
    for name, value in service_env(database_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TICKETS_SERVE_OPTIONS", json.dumps(SERVE_OPTIONS))
    migrate(Settings.from_env(os.environ).database)

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # the app configures the process's logging
    try:
        with TestClient(serve_cli.app_from_environment()) as client:
            failing.wait(10)
            down = client.get("/health/ready")
            assert down.status_code == 503, down.text
            assert down.json()["code"] == "worker_down"
            assert "RuntimeError; started again in 1 s" in down.json()["detail"]
            wait_for(lambda: client.get("/health/ready").status_code == 200, 10, "ready again")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
