"""Processes that end with the process that started them.

A parent killed outright (SIGKILL, the out-of-memory killer) stops none of its children: the
HTTP processes and the worker of a ``tickets serve``, or the worker's render processes, would
go on holding the port and their database connections. Each watches its parent instead.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

ORPHAN_CHECK_SECONDS = 1.0
# Set by `tickets serve` for the processes it starts (its HTTP processes and its worker).
PARENT_VARIABLE = "TICKETS_PARENT_PID"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


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
    nothing when no parent set it (a worker an operator runs).

    On Linux the kernel sends the SIGTERM the moment the parent dies (``PR_SET_PDEATHSIG``):
    polling for it cost up to a second before the graceful stop even began. The parent must
    start such a child from a thread that lives as long as it does: the signal comes when that
    thread ends. Elsewhere, the parent is polled for every second.
    """
    named = os.environ.get(PARENT_VARIABLE)
    if not named:
        return
    parent = int(named)
    if signalled_when_the_parent_dies(signal.SIGTERM):
        if os.getppid() != parent:  # it died before the kernel was asked: no signal will come
            stop_gracefully()
        return
    end_with(parent, stop_gracefully)


def signalled_when_the_parent_dies(signum: int) -> bool:
    """Asks Linux to send ``signum`` to this process when its parent dies; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # no libc to load, or no prctl in it
        return False


def stop_gracefully() -> None:
    """SIGTERM to this process: what stopping it by hand would do (requests or the email at
    hand are finished, the store closed)."""
    os.kill(os.getpid(), signal.SIGTERM)


def exit_now() -> None:
    os._exit(0)
