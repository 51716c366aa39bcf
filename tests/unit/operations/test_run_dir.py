"""The directory `tickets serve` shares with its processes: fresh each start, never left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints import run_dir

pytestmark = pytest.mark.unit


def test_each_start_gets_a_fresh_private_directory_named_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    environ: dict[str, str] = {run_dir.METRICS_VARIABLE: "/somewhere/an/operator/chose"}

    first = run_dir.prepare(environ)
    second = run_dir.prepare({})

    assert first != second
    assert environ[run_dir.METRICS_VARIABLE] == str(first / "metrics")
    assert list((first / "metrics").iterdir()) == []
    assert (first.stat().st_mode & 0o777) == 0o700


def test_directories_of_servers_killed_outright_are_removed_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    namespace = os.stat("/proc/self/ns/pid").st_ino
    orphan = tmp_path / f"tickets-serve-{namespace}-{dead_pid}-abc"
    living = tmp_path / f"tickets-serve-{namespace}-{os.getpid()}-def"
    elsewhere = tmp_path / f"tickets-serve-{namespace + 1}-{dead_pid}-ghi"  # another container's
    for folder in (orphan, living, elsewhere):
        (folder / "metrics").mkdir(parents=True)

    run_dir.prepare({})

    assert not orphan.exists()
    assert living.exists() and elsewhere.exists()


def test_the_directory_is_removed_when_the_server_exits(tmp_path: Path) -> None:
    code = (
        "import os, sys; from entrypoints import run_dir; "
        "print(run_dir.prepare(os.environ)); sys.exit(0)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    made = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )

    assert Path(made.stdout.strip()).parent == tmp_path
    assert list(tmp_path.iterdir()) == []
