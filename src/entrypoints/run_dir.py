"""The private directory a ``tickets serve`` of several processes shares with its processes.

Its HTTP processes and its worker each count in their own memory; a scrape reaches one of them,
so /metrics said a different number at each scrape (counters going down, which Prometheus reads
as resets), and each process let ``RATE_LIMIT_PER_MINUTE`` through on its own. Through this
directory they count as one service: prometheus_client's multiprocess mode (a file per process
and metric type, merged at each scrape) and the rate limits' counters (a SQLite file, unless
``REDIS_URL`` shares them with other instances too).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

# prometheus_client reads it when it is first imported: set before the processes start.
METRICS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The rate limits' counters of the whole server (entrypoints.settings reads it; REDIS_URL wins).
RATE_LIMIT_FILE_VARIABLE = "TICKETS_RATE_LIMIT_FILE"


def prepare(environ: MutableMapping[str, str]) -> Path:
    """Makes a fresh directory (mode 0700) and names its parts in ``environ``, which the
    processes started afterwards inherit; it is removed when this process exits.

    Fresh at every start: files of an earlier run would add its counts to this one's. A
    directory an operator named in ``PROMETHEUS_MULTIPROC_DIR`` is not used, for that reason.
    The directories of servers killed outright (SIGKILL: no exit handler ran) are removed here.
    """
    namespace = _pid_namespace()
    if namespace is not None:
        _remove_orphans(Path(tempfile.gettempdir()), namespace)
    run = Path(tempfile.mkdtemp(prefix=f"tickets-serve-{namespace}-{os.getpid()}-"))
    metrics = run / "metrics"
    metrics.mkdir()
    environ[METRICS_VARIABLE] = str(metrics)
    environ[RATE_LIMIT_FILE_VARIABLE] = str(run / "rate-limits.sqlite3")
    atexit.register(_remove, run, os.getpid())
    return run


def _remove(run: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child that happens to run exit handlers
        shutil.rmtree(run, ignore_errors=True)


def _pid_namespace() -> int | None:
    """Which pids a directory's pid is one of: another container may share the temporary
    directory, and its live server's pid is no process here."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # not Linux: no sweeping
        return None


def _remove_orphans(temporary: Path, namespace: int) -> None:
    for found in temporary.glob(f"tickets-serve-{namespace}-*-*"):
        pid = found.name.split("-")[3]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(found, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
