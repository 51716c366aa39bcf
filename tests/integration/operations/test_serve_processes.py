"""`tickets serve --workers 2`: two HTTP processes and the worker in a process of its own."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from entrypoints.worker_cli import SERVE_NICENESS
from tests.support.email_support import outbox, wait_for
from tests.support.service import Api, ServerProcess

pytestmark = pytest.mark.integration


def children(pid: int, columns: str = "args=") -> list[str]:
    """The command lines (or other ``ps`` columns) of a process's children."""
    listed = subprocess.run(
        ["ps", "-ww", "--ppid", str(pid), "-o", columns],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in listed.stdout.splitlines() if line.strip()]


def test_two_http_processes_and_one_worker_process_serve_the_readme_flow(
    server: ServerProcess, tmp_path: Path
) -> None:
    server.start("--workers", "2")
    assert server.process is not None
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        order = api.new_dancer_order()
        assert api.pay(order).status_code == 200
        ticket = api.ticket("dancer-1")
        assert ticket.status_code == 200, ticket.text
        link = urlsplit(ticket.json()["pdfUrl"])
        assert client.get(f"{link.path}?{link.query}").status_code == 200
        # Emails come from the worker process: no HTTP process sends them.
        emails = wait_for(lambda: outbox(tmp_path / "var" / "outbox"), what="the ticket email")
        assert len(emails) == 1

        spawned = children(server.process.pid)
        niceness = dict(
            line.split(None, 1)[::-1] for line in children(server.process.pid, "ni=,args=")
        )

    assert sum("spawn_main" in c for c in spawned) == 2, spawned  # uvicorn's HTTP processes
    assert sum("-m entrypoints worker" in c for c in spawned) == 1, spawned
    # Background work yields the cores to requests; the HTTP processes keep the server's own.
    own = os.getpriority(os.PRIO_PROCESS, server.process.pid)
    for command, nice in niceness.items():
        expected = own + SERVE_NICENESS if "-m entrypoints worker" in command else own
        assert int(nice) == expected, (command, nice)

    server.process.terminate()  # SIGTERM: HTTP processes and the worker stop, exit 0
    assert server.process.wait(timeout=60) == 0, server.logs()
    # Every HTTP process logs the route template, never the signed link's key.
    assert parse_qs(link.query)["key"][0] not in server.logs()
    time.sleep(0.5)
    assert children(server.process.pid) == []


# docs/configuration.md (tickets serve): killed outright, serve's processes are all gone within a
# second (idle: measured 0.15-0.64 s; 0.9-1.1 s when they polled for their parent every second).
ORPHANS_END_SECONDS = 1.0


def running(pid: int) -> bool:
    """Whether a process still runs: a zombie holds no port, connection nor memory (this
    machine's pid 1 reaps orphans only about once a second)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_a_server_killed_outright_takes_its_http_processes_and_worker_with_it(
    server: ServerProcess,
) -> None:
    server.start("--workers", "2")
    assert server.process is not None
    started = [int(pid) for pid in children(server.process.pid, "pid=")]
    assert len(started) >= 3, started  # two HTTP processes, the worker (and a resource tracker)

    server.process.kill()  # SIGKILL (the out-of-memory killer): the server stops nothing itself
    killed = time.monotonic()
    server.process.wait(timeout=10)

    # The kernel tells each the moment its parent dies, and each stops gracefully: nothing
    # keeps serving the port nor holds the database's connections.
    wait_for(lambda: not any(running(pid) for pid in started), 30, "the server's processes to end")
    took = time.monotonic() - killed
    assert took < ORPHANS_END_SECONDS, f"{took:.2f} s"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/health", timeout=2)
