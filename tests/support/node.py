"""The npm tools contract/package-lock.json pins (openapi-typescript, tsc): `npm ci` in contract/
installs them (.ci/run does). Outside CI a test that needs them skips when they are missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.service import ROOT

CONTRACT = ROOT / "contract"


def node_tool(name: str) -> Path:
    tool = CONTRACT / "node_modules" / ".bin" / name
    if not tool.exists() or shutil.which("node") is None:
        message = f"{tool} is missing: run `npm ci` in {CONTRACT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return tool
