"""Whether a worker process runs: a lock it holds on a file for as long as it lives.

``tickets serve`` names the file; its worker locks it once it is about to run, and its HTTP
processes try the lock to answer readiness. The kernel drops an ``flock`` the moment its holder
dies, however it dies (SIGKILL, the out-of-memory killer): no heartbeat to go stale, no pid
that could be another process's by now. The descriptor is not inherited (Python opens files
close-on-exec), so the worker's render processes never keep the lock after it.
"""

from __future__ import annotations

import fcntl
from typing import IO


class WorkerLockFile:
    def __init__(self, path: str) -> None:
        self._path = path
        self._held: IO[str] | None = None

    def hold(self) -> None:
        """Locks the file until ``release`` or this process's end (the worker's side)."""
        handle = open(self._path, "a")  # noqa: SIM115 (kept open: the lock lives with it)
        fcntl.flock(handle, fcntl.LOCK_EX)  # a worker before this one is dead: free at once
        self._held = handle

    def release(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    def down_reason(self) -> str | None:
        """None while a process holds the lock, else why the worker is not there."""
        try:
            handle = open(self._path)  # noqa: SIM115 (closed below)
        except FileNotFoundError:
            return "serve's worker process has not started"
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return None  # held: the worker runs
        return "serve's worker process is not running; serve starts it again"
