"""Processes that end with the process that started them.

A parent killed outright (SIGKILL, the out-of-memory killer) stops none of its children: the
HTTP processes and the worker of a ``tickets serve``, or the worker's render processes, would
go on holding the port and their database connections. Each watches its parent instead.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

ORPHAN_CHECK_SECONDS = 1.0
# Set by `tickets serve` for the processes it starts (its HTTP processes and its worker).
PARENT_VARIABLE = "TICKETS_PARENT_PID"


def end_with(parent: int, end: Callable[[], None]) -> None:
    """Calls ``end`` (from a daemon thread) once ``parent`` is no longer this process's parent.

    ``parent``: the pid the parent gave, not ``os.getppid()`` read here: a parent killed while
    this process was starting up is gone already, and its pid would never be seen to change.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_SECONDS)
        end()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def end_with_the_parent_named() -> None:
    """Stops this process gracefully once the parent named in ``TICKETS_PARENT_PID`` is gone;
    nothing when no parent set it (a worker an operator runs)."""
    parent = os.environ.get(PARENT_VARIABLE)
    if parent:
        end_with(int(parent), stop_gracefully)


def stop_gracefully() -> None:
    """SIGTERM to this process: what stopping it by hand would do (requests or the email at
    hand are finished, the store closed)."""
    os.kill(os.getpid(), signal.SIGTERM)


def exit_now() -> None:
    os._exit(0)
