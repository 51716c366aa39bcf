"""A worker that dies is started again after a growing pause, and one ``worker_restarting``
alert says when it keeps dying: the policy, and the worker thread of a one-process server."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.worker_liveness import WorkerLockFile
from application.worker.restarts import Restarts
from domain.alert import Alert, AlertKind, Severity
from entrypoints.worker_cli import BackgroundWorker
from entrypoints.worker_supervisor import WorkerProcess, describe_exit

pytestmark = pytest.mark.unit


def test_the_pause_doubles_with_each_death_in_a_row_up_to_its_ceiling() -> None:
    restarts = Restarts(first_pause=1, max_pause=10, steady_after=60)

    pauses = [restarts.died(ran_seconds=2) for _ in range(6)]

    assert pauses == [1, 2, 4, 8, 10, 10]


def test_a_worker_that_ran_steadily_starts_a_new_run_of_deaths() -> None:
    restarts = Restarts(first_pause=1, steady_after=60)
    restarts.died(ran_seconds=2)
    restarts.died(ran_seconds=2)

    assert restarts.died(ran_seconds=61) == 1
    assert restarts.deaths == 1


def test_the_alert_comes_once_per_run_of_deaths_at_the_third() -> None:
    restarts = Restarts(alert_after=3)
    keeps_dying = []
    for _ in range(5):
        restarts.died(ran_seconds=1)
        keeps_dying.append(restarts.keeps_dying)
    first = restarts.alert("serve's worker process", "killed by SIGKILL", 4)

    assert keeps_dying == [False, False, True, False, False]
    assert first.kind is AlertKind.WORKER_RESTARTING
    assert first.severity is Severity.CRITICAL
    assert "has died 5 times in a row (last: killed by SIGKILL)" in first.message
    # Keyed by its run of deaths: raised again for this run it is the same alert.
    assert restarts.alert("serve's worker process", "x", 4).id == first.id
    restarts.died(ran_seconds=120)
    assert restarts.alert("serve's worker process", "x", 1).id != first.id


def test_how_a_process_ended_reads_as_its_signal_or_exit_code() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(1) == "exit code 1"
    assert describe_exit(-200) == "killed by signal 200"


def test_the_lock_file_says_whether_its_holder_lives(tmp_path: Path) -> None:
    path = str(tmp_path / "worker.lock")
    worker, readiness = WorkerLockFile(path), WorkerLockFile(path)
    assert readiness.down_reason() == "serve's worker process has not started"
    (tmp_path / "worker.lock").touch()
    assert readiness.down_reason() is not None

    worker.hold()
    assert readiness.down_reason() is None
    worker.release()  # as the kernel does when the holder dies, however it dies
    assert readiness.down_reason() == "serve's worker process is not running; serve starts it again"


@dataclass
class Alerts:
    raised: list[Alert] = field(default_factory=list)

    def raise_now(self, alert: Alert) -> None:
        self.raised.append(alert)


@dataclass
class Services:
    alerts: Alerts = field(default_factory=Alerts)


class Worker:
    """Fails its run as told, else runs until asked to stop."""

    def __init__(self, fails: bool) -> None:
        self.fails = fails

    def run(self, stop: threading.Event) -> None:
        if self.fails:
            raise RuntimeError("the loop broke")
        stop.wait()


def eventually(check: Callable[[], Any], seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.01)
    raise AssertionError("timed out")


def test_a_worker_thread_that_fails_is_started_again_and_is_down_meanwhile() -> None:
    services = Services()
    failures = [True, True, False]  # two failed runs, then one that lasts
    builds = []

    def build(given: Any) -> Worker:
        assert given is services
        builds.append(time.monotonic())
        return Worker(fails=failures.pop(0))

    worker = BackgroundWorker(
        services, build=build, restarts=Restarts(first_pause=0.3, alert_after=2)
    )
    assert worker.down_reason() == "the worker has not started"
    worker.start()

    eventually(lambda: builds and worker.down_reason() != "the worker has not started")
    assert worker.down_reason() == "the worker failed (RuntimeError; started again in 0.3 s)"
    eventually(lambda: len(builds) == 3 and worker.down_reason() is None)
    assert builds[1] - builds[0] >= 0.3 and builds[2] - builds[1] >= 0.6  # a growing pause
    (alert,) = services.alerts.raised  # at the second failure in a row
    assert alert.kind is AlertKind.WORKER_RESTARTING
    assert "the worker has died 2 times in a row (last: RuntimeError)" in alert.message

    worker.stop()
    assert len(builds) == 3  # a stop is no failure: not started again


def test_serves_worker_process_is_started_again_whatever_ended_it() -> None:
    alerts: list[Alert] = []
    starts: list[str] = []

    def start() -> subprocess.Popen[bytes]:
        starts.append("start")
        if len(starts) == 1:
            raise OSError("no pids left")  # fork failed: as good as a death
        if len(starts) == 2:
            return subprocess.Popen(["sh", "-c", "exit 3"])
        return subprocess.Popen(["sleep", "30"])

    supervisor = WorkerProcess(start, alerts.append, Restarts(first_pause=0.05, alert_after=2))
    supervisor.start()
    eventually(lambda: len(starts) == 3)
    running = supervisor.pid
    supervisor.stop(timeout=5)

    (alert,) = alerts  # at the second death in a row
    assert "died 2 times in a row (last: exit code 3)" in alert.message
    assert running is not None and not Path(f"/proc/{running}").exists()  # stopped and reaped
    assert len(starts) == 3  # a stop is no death
