"""`make docs`: the site builds with mkdocs --strict (every link and anchor checked), the API
reference rendered from the committed OpenAPI document, nothing loaded from a CDN."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.service import ROOT

pytestmark = pytest.mark.integration


def test_the_site_builds_strictly_with_the_api_reference(tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = subprocess.run(
        [str(Path(sys.executable).with_name("mkdocs")), "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr

    reference = (site / "api" / "reference" / "index.html").read_text()
    assert 'id="getMyTicket"' in reference and 'id="schema-problemdetails"' in reference
    for page in site.rglob("*.html"):
        html = page.read_text()
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html, page
