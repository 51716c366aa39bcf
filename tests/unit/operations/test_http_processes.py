"""`tickets serve` starts as many HTTP processes as the CPUs it may use, not the host's cores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, http_processes
from entrypoints.settings import processes as process_settings
from entrypoints.settings.cpus import cpu_quota, usable_cpus

pytestmark = pytest.mark.unit


def cgroup_v2(tmp_path: Path, cpu_max: str) -> Path:
    (tmp_path / "cpu.max").write_text(cpu_max + "\n")
    return tmp_path


def test_a_cgroup_v2_quota_counts_rounded_up(tmp_path: Path) -> None:
    assert cpu_quota(cgroup_v2(tmp_path, "150000 100000")) == 1.5
    assert cpu_quota(cgroup_v2(tmp_path, "max 100000")) is None


def test_a_cgroup_v1_quota_counts(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_quota(tmp_path) == 2.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu_quota(tmp_path) is None


def test_no_cgroup_file_is_no_limit(tmp_path: Path) -> None:
    assert cpu_quota(tmp_path) is None


def test_the_quota_lowers_the_affinity_and_never_below_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(64)))
    monkeypatch.setattr(os, "cpu_count", lambda: 64)

    assert usable_cpus(cgroup_v2(tmp_path, "150000 100000")) == 2
    assert usable_cpus(cgroup_v2(tmp_path, "1000 100000")) == 1
    assert usable_cpus(cgroup_v2(tmp_path, "max 100000")) == 64
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {3})
    assert usable_cpus(cgroup_v2(tmp_path, "max 100000")) == 1


def test_web_concurrency_wins_over_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_settings, "usable_cpus", lambda: 3)

    assert http_processes({}) == 3
    assert http_processes({"WEB_CONCURRENCY": "5"}) == 5
    with pytest.raises(SettingsError, match="WEB_CONCURRENCY must be a whole number"):
        http_processes({"WEB_CONCURRENCY": "many"})
    with pytest.raises(SettingsError, match="WEB_CONCURRENCY must be at least 1"):
        http_processes({"WEB_CONCURRENCY": "0"})
