"""The worker process of a ``tickets serve`` of several HTTP processes: started, watched, and
started again whenever it dies, until serve stops.

A worker killed under serve was never started again, and every HTTP process kept answering
ready while emails waited (50 of 60 unsent in the review's test). Now a death is logged with
its exit code or signal, the worker is started again after a pause that grows with each death
in a row (application.worker.restarts), a ``worker_restarting`` alert is raised when it keeps
dying, and while it is down the HTTP processes' readiness says so: they try the lock the worker
holds on a file serve names in ``TICKETS_WORKER_LOCK`` (adapters.worker_liveness).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Protocol

from application.worker.restarts import Restarts
from domain.alert import Alert

log = logging.getLogger("tickets")

# From `serve` to its worker (which locks the file) and its HTTP processes (which try it).
LOCK_VARIABLE = "TICKETS_WORKER_LOCK"


class WorkerLiveness(Protocol):
    def down_reason(self) -> str | None:
        """None while the worker runs, else why it does not (for the readiness answer)."""
        ...


def describe_exit(returncode: int) -> str:
    """``killed by SIGKILL`` or ``exit code 1``: how a process ended, for logs and alerts."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class WorkerProcess:
    """Keeps one worker process running from a thread of serve's, until ``stop``.

    The thread starts every worker process, and lives until ``stop``: the kernel signals a
    child when the thread that started it ends (adapters.parent_process). The worker runs in
    a session of its own, so that a Ctrl-C at the terminal reaches serve alone, which then
    stops the worker itself: any other end of the worker is a death.
    """

    def __init__(
        self,
        start: Callable[[], subprocess.Popen[bytes]],
        alert: Callable[[Alert], None],
        restarts: Restarts | None = None,
    ) -> None:
        self._start = start
        self._alert = alert
        self._restarts = restarts or Restarts()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor")

    def start(self) -> None:
        self._thread.start()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def _supervise(self) -> None:
        restarted = False
        while True:
            started = time.monotonic()
            with self._lock:  # never a start after stop() looked for the process to stop
                if self._stopping.is_set():
                    return
                try:
                    process = self._process = self._start()
                except OSError as error:  # no memory or pids left to fork: as good as a death
                    process, how = None, f"not started: {type(error).__name__}"
            if process is not None:
                if restarted:
                    log.warning("worker process started again", extra={"pid": process.pid})
                returncode = process.wait()
                if self._stopping.is_set():
                    return
                how = describe_exit(returncode)
            pause = self._restarts.died(time.monotonic() - started)
            log.error(
                "worker process died: starting it again",
                extra={
                    "pid": process.pid if process is not None else None,
                    "exit": how,
                    "ran_seconds": round(time.monotonic() - started, 1),
                    "deaths_in_a_row": self._restarts.deaths,
                    "restart_in_seconds": pause,
                },
            )
            if self._restarts.keeps_dying:
                self._alert(self._restarts.alert("serve's worker process", how, pause))
            if self._stopping.wait(pause):
                return
            restarted = True

    def stop(self, timeout: float) -> None:
        """SIGTERM: the worker finishes the email at hand and records its position, then
        exits; killed if it has not within ``timeout`` seconds."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None:
            _stop(process, timeout)
        if self._thread.is_alive():
            self._thread.join()


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.error("the worker did not stop in time: killed")
        process.kill()
        process.wait()
