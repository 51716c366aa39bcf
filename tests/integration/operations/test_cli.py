"""The `tickets` command as an operator uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support.cli import tickets
from tests.support.service import ServerProcess, service_env

pytestmark = pytest.mark.integration


def test_serve_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    missing = tickets("serve", "--port", "1", cwd=tmp_path)
    assert missing.returncode == 2
    assert "TICKET_JWT_SECRET is required" in missing.stderr

    short = tickets(
        "serve",
        "--port",
        "1",
        cwd=tmp_path,
        env={
            "TICKET_JWT_SECRET": "short",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "AUTH_JWT_SECRET": "a" * 32,
        },
    )
    assert short.returncode == 2
    assert "at least 32 bytes" in short.stderr
    assert "short" not in short.stderr.replace("at least", "")  # the secret is not echoed

    no_auth = tickets(
        "serve",
        "--port",
        "1",
        cwd=tmp_path,
        env={"TICKET_JWT_SECRET": "t" * 32, "STRIPE_WEBHOOK_SECRET": "whsec_x"},
    )
    assert no_auth.returncode == 2
    assert "AUTH_JWT_SECRET or AUTH_JWKS_URL" in no_auth.stderr


def test_serve_dev_runs_with_no_configuration_and_keeps_its_dev_secrets(tmp_path: Path) -> None:
    server = ServerProcess({}, tmp_path)
    clean = {
        k: "" for k in os.environ if k.startswith(("TICKET_", "AUTH_", "STRIPE_", "DATABASE_"))
    }
    server.env = clean
    server.start("--dev")
    try:
        secrets = json.loads((tmp_path / "var" / "dev-secrets.json").read_text())
        assert (tmp_path / "var" / "tickets.sqlite3").exists()
        assert httpx.get(f"{server.base_url}/health").json() == {"status": "ok"}
        token = tickets(
            "dev-token", "--sub", "admin-1", "--role", "admin", cwd=tmp_path
        ).stdout.strip()
        alerts = httpx.get(
            f"{server.base_url}/api/admin/alerts", headers={"Authorization": f"Bearer {token}"}
        )
        assert alerts.status_code == 200
        assert alerts.json() == {"items": [], "nextCursor": None}
    finally:
        server.stop()
    assert "DEV MODE" in server.logs()
    assert secrets["TICKET_JWT_SECRET"] not in server.logs()

    server.start("--dev")  # the same secrets again: tokens made before still work
    try:
        assert json.loads((tmp_path / "var" / "dev-secrets.json").read_text()) == secrets
    finally:
        server.stop()


def test_dev_token_prints_a_bearer_token_with_the_given_claims(tmp_path: Path) -> None:
    result = tickets(
        "dev-token",
        "--sub",
        "u-1",
        "--role",
        "staff",
        "--email",
        "u@example.no",
        "--name",
        "U",
        cwd=tmp_path,
        env={"AUTH_JWT_SECRET": "s" * 32},
    )
    assert result.returncode == 0
    claims = jwt.decode(result.stdout.strip(), "s" * 32, algorithms=["HS256"])
    assert claims["sub"] == "u-1" and claims["roles"] == ["staff"]
    assert claims["email"] == "u@example.no" and claims["name"] == "U"


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "entrypoints.cli"],
        [sys.executable, "-m", "entrypoints"],  # how `serve` starts its worker
        [str(Path(sys.executable).with_name("tickets"))],  # the installed command
    ],
    ids=["cli-module", "package", "console-script"],
)
def test_version_prints_the_installed_package_version(tmp_path: Path, command: list[str]) -> None:
    from importlib.metadata import version

    shown = subprocess.run(
        [*command, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"tickets {version('salsanor-tickets')}"


def test_the_commands_main_module_imports_none_of_the_service_until_it_runs() -> None:
    """Processes spawned by multiprocessing (the email render processes) import their parent's
    main module first: the `tickets` command's and `python -m entrypoints`' must cost nothing."""
    probe = (
        "import sys, entrypoints.__main__; "
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in "
        "{'entrypoints', 'adapters', 'application', 'domain', 'litestar', 'stripe', 'psycopg'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "['entrypoints', 'entrypoints.__main__']"


@pytest.mark.parametrize("verb", [["replay"], ["replay", "--rebuild"], ["digest"]])
def test_audit_on_a_database_never_migrated_says_so_and_exits_2(
    database_url: str, tmp_path: Path, verb: list[str]
) -> None:
    """On PostgreSQL `audit replay --rebuild` ended in a missing table's traceback (exit 1)."""
    ran = tickets("audit", *verb, cwd=tmp_path, env=service_env(database_url))

    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr
    assert "run `tickets migrate` first" in ran.stderr
