"""contract/: the committed OpenAPI document and TypeScript types are the service's own, and
the example a frontend starts from type-checks against them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.node import CONTRACT, node_tool

pytestmark = pytest.mark.integration

REGENERATE = "run `make contract` and commit contract/"


def run(*args: str, cwd: Path = CONTRACT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_the_committed_document_is_what_tickets_openapi_writes() -> None:
    exported = run(str(Path(sys.executable).with_name("tickets")), "openapi")
    assert exported.returncode == 0, exported.stderr
    committed = (CONTRACT / "openapi.json").read_text(encoding="utf-8")
    assert committed == exported.stdout, REGENERATE


def test_the_committed_types_are_generated_from_the_committed_document(tmp_path: Path) -> None:
    generated = tmp_path / "api.d.ts"
    result = run(str(node_tool("openapi-typescript")), "openapi.json", "-o", str(generated))
    assert result.returncode == 0, result.stdout + result.stderr
    committed = (CONTRACT / "api.d.ts").read_text(encoding="utf-8")
    assert committed == generated.read_text(encoding="utf-8"), REGENERATE


def test_error_codes_are_a_union_of_literals_for_typescript() -> None:
    types = (CONTRACT / "api.d.ts").read_text(encoding="utf-8")
    assert 'code: "aggregate_not_found" | ' in types and '| "ticket_not_found" |' in types


def test_the_openapi_fetch_example_type_checks() -> None:
    result = run(str(node_tool("tsc")), "--noEmit", "-p", ".")
    assert result.returncode == 0, result.stdout + result.stderr
