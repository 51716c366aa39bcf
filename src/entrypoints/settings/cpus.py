"""How many CPUs this process may use: in a container, its quota, not the host's cores.

``os.cpu_count()`` counts the host's cores whatever the container is given: with
``--cpus 2`` on a 64-core host, 64 HTTP processes would share two CPUs' worth of time.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def usable_cpus(cgroup: Path = CGROUP) -> int:
    """The CPUs this process may run on (its affinity: ``--cpuset-cpus``, taskset), lowered
    to its cgroup's CPU quota rounded up (``--cpus``, Kubernetes' CPU limit); at least 1."""
    cpus = len(os.sched_getaffinity(0))
    quota = cpu_quota(cgroup)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def cpu_quota(cgroup: Path = CGROUP) -> float | None:
    """CPUs' worth of time per period the cgroup allows, or None when it has no limit.

    cgroup v2 (``cpu.max``: "quota period" or "max period"), else v1 (``cpu.cfs_quota_us``,
    -1 without a limit, and ``cpu.cfs_period_us``). Only the process's own cgroup is read:
    in a container it is mounted at the root of /sys/fs/cgroup.
    """
    try:
        quota, _, period = (cgroup / "cpu.max").read_text().strip().partition(" ")
    except OSError:
        try:
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max": no limit
        return None
    if quota_us <= 0 or period_us <= 0:
        return None
    return quota_us / period_us
