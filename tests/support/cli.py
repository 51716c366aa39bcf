"""The `tickets` command run as an operator runs it: a process of its own, a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.service import ROOT


def tickets(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``tickets ARGS`` in ``cwd``, without the secrets or database of the caller's environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TICKET_", "AUTH_", "STRIPE_", "DATABASE_", "LOG_LEVEL", "METRICS_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
