"""`tickets migrate --check`: exit 1 while the schema is behind, 0 once it is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import tickets
from tests.support.service import service_env

pytestmark = pytest.mark.integration


def test_check_says_behind_then_current_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    env = service_env(database_url)

    behind = tickets("migrate", "--check", "--json", cwd=tmp_path, env=env)
    assert behind.returncode == 1, behind.stderr
    found = json.loads(behind.stdout)
    assert found["behind"] is True and found["schema_version"] == 0
    assert tickets("migrate", "--check", cwd=tmp_path, env=env).returncode == 1  # unchanged

    migrated = tickets("migrate", "--json", cwd=tmp_path, env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert json.loads(migrated.stdout)["migrated"] is True

    current = tickets("migrate", "--check", cwd=tmp_path, env=env)
    assert current.returncode == 0, current.stderr
    assert current.stdout.startswith("schema current")


def test_an_unusable_log_level_is_a_configuration_problem_not_a_traceback(
    tmp_path: Path,
) -> None:
    env = {"LOG_LEVEL": "loud", "METRICS_CACHE_SECONDS": "never"}
    done = tickets("migrate", "--dev", "--check", cwd=tmp_path, env=env)

    assert done.returncode == 2
    assert "2 configuration problems" in done.stderr and "Traceback" not in done.stderr
    assert "LOG_LEVEL must be one of debug, info" in done.stderr

    lower = tickets("migrate", "--dev", cwd=tmp_path, env={"LOG_LEVEL": "info"})
    assert lower.returncode == 0, lower.stderr
