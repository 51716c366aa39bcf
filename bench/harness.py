"""The suite's tools: a `tickets serve` in a PostgreSQL schema of its own, wrk, medians, machine."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from tests.support.service import PG_ADMIN, service_env

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("load.lua")
WRK_THREADS, WRK_CONNECTIONS = 2, 8  # as the pretix anchor measures


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL in a schema of its own, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{PG_ADMIN}?schema={schema}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tickets_command() -> list[str]:
    """The installed `tickets` command of this environment (what an operator runs)."""
    script = Path(sys.executable).with_name("tickets")
    return [str(script)] if script.exists() else [shutil.which("tickets") or "tickets"]


def bench_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **service_env(
            database_url,
            EMAIL_OUTBOX_DIR=str(workdir / "outbox"),
            RATE_LIMIT_PER_MINUTE=str(10**9),  # the ticket routes' limit, out of the way
            LOG_LEVEL="WARNING",  # a log line per request would be part of every figure
            EMAIL_RENDER_PROCESSES="",  # the default: one per core
            **extra,
        ),
    }


@dataclass
class Process:
    """A `tickets` command in a process group of its own, stopped by its pid."""

    args: Sequence[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.process = subprocess.Popen(
            [*tickets_command(), *self.args],
            env=self.env,
            cwd=self.log_path.parent,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # serve stops its HTTP processes and worker
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@dataclass
class Server:
    """`tickets serve` as an operator starts it: `--workers 2`, the worker apart unless told."""

    env: dict[str, str]
    workdir: Path
    serve_args: Sequence[str] = ("--workers", "2")
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        args = ["serve", "--port", str(self.port), *self.serve_args]
        self.process = Process(args, self.env, self.workdir / f"serve-{self.port}.log").start()
        deadline = time.monotonic() + 180  # a loaded machine starts Python slowly
        while time.monotonic() < deadline:
            assert self.process.process is not None
            if self.process.process.poll() is not None:
                raise RuntimeError(f"tickets serve exited: {self.process.logs()}")
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"tickets serve did not become ready: {self.process.logs()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def wait_for_followers(self, timeout: float = 900) -> None:
        """Until every follower of the log (read models, senders) has caught up and done the
        jobs it queued, from /metrics: a figure is not measured beside a worker still busy
        with the data made for it (thousands of emails' jobs, each read and found sent)."""
        deadline = time.monotonic() + timeout
        behind: dict[str, float] = {}
        while time.monotonic() < deadline:
            text = httpx.get(f"{self.url}/metrics", timeout=30).text
            behind = {
                f"{name} {follower}": float(value)
                for name, follower, value in re.findall(
                    r'^tickets_follower_(behind_notifications|pending_jobs)\{follower="([^"]+)"\}'
                    r" (\S+)$",
                    text,
                    re.MULTILINE,
                )
            }
            if behind and not any(behind.values()):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the worker did not catch up in {timeout:.0f} s: {behind}")


@contextmanager
def serving(env: dict[str, str], workdir: Path, *serve_args: str) -> Iterator[Server]:
    server = Server(env, workdir, serve_args or ("--workers", "2")).start()
    try:
        yield server
    except Exception:
        # The server's own account of a failed figure (its log goes with the work folder).
        if server.process is not None:
            log(f"  the server's log ends with:\n{server.process.logs()}")
        raise
    finally:
        server.stop()


# --- wrk ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What wrk sends: a GET with a header, or one prepared line per request (POST)."""

    path: str
    expect: str = "-"  # a substring of every good answer
    header: tuple[str, str] | None = None  # sent with every request
    lines: Path | None = None  # "<value of line_header>\t<body>" per request
    line_header: str = ""

    def script_args(self, threads: int) -> list[str]:
        if self.lines is None:
            return ["get", self.expect, *(self.header or ())]
        return [
            "lines",
            self.expect,
            str(self.lines),
            str(threads),
            self.line_header,
            *(self.header or ()),
        ]


def wrk(
    base_url: str,
    load: Load,
    seconds: float,
    threads: int = WRK_THREADS,
    connections: int = WRK_CONNECTIONS,
) -> dict[str, Any]:
    """One wrk run (a process of its own): rate, latency, and every answer checked."""
    threads = min(threads, connections)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        base_url + load.path,
        "--",
        *load.script_args(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    result["connections"] = connections
    return result


def failures(run: dict[str, Any]) -> str | None:
    """Why a run is not a figure: a wrong answer, a socket error, too few prepared requests."""
    problems = []
    if run["ran_out"]:
        problems.append(f"ran out of prepared requests ({run['ran_out']}): raise the capacity")
    if run["not_ok"]:
        problems.append(f"{run['not_ok']} answers not ok {run['not_ok_reasons']}")
    errors = {k: v for k, v in run["socket_errors"].items() if v}
    if errors:
        problems.append(f"socket errors {errors}")
    if not run["ok"]:
        problems.append("no answer at all")
    return "; ".join(problems) or None


# --- figures ------------------------------------------------------------------------------------


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Median of the runs with their min and max."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": list(values),
    }


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{memory_kib / 2**20:.1f} GiB",
        "python": platform.python_version(),
        "postgresql": str(row[0]).split()[0] if row else "?",
        "wrk": (wrk_version.stdout.split() or ["?", "?"])[1],
        "loadavg_at_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }
