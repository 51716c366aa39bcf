"""/metrics of a server of several processes: what a process that died counted stays counted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import counted

pytestmark = pytest.mark.unit

PROCESS = """
from prometheus_client import Counter, Gauge
Counter("things", "things done").inc({n})
Gauge("busy", "in progress", multiprocess_mode="livesum").inc()
"""


def test_a_dead_processs_counts_stay_and_its_live_gauges_go(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (2, 3):  # two processes that counted, then ended (killed or replaced)
        subprocess.run([sys.executable, "-c", PROCESS.format(n=n)], env=env, check=True)

    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(counted(str(tmp_path)).decode())
        for sample in family.samples
    }

    assert samples["things_total"] == 5
    assert samples.get("busy", 0) == 0  # not 2: nobody is busy any more
    assert not list(tmp_path.glob("gauge_live*"))
