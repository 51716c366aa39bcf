"""Readiness and the worker: a server that runs one is not ready while it is down.

An API answering ready while its worker is dead takes payments whose tickets are never
emailed. Only a server that runs a worker asks (``tickets serve`` without ``--no-worker``): it
hands what tells it to the app (``create_app(worker=...)``), which routes get as ``worker``.
"""

from __future__ import annotations

import logging

from entrypoints.http.openapi import Problem
from entrypoints.http.problems import HttpProblem
from entrypoints.worker_supervisor import WorkerLiveness

log = logging.getLogger(__name__)

WORKER_DOWN = Problem(
    503, "worker_down", "this server's worker is not running (it is being started again)"
)
RETRY_AFTER_SECONDS = 5


def worker_down(liveness: WorkerLiveness | None) -> None:
    """Raises the 503 ``worker_down`` problem while the worker of this server does not run."""
    if liveness is None:
        return
    reason = liveness.down_reason()
    if reason is not None:
        log.warning("not ready: the worker is down", extra={"reason": reason})
        raise HttpProblem(503, WORKER_DOWN.code, reason, retry_after=RETRY_AFTER_SECONDS)
