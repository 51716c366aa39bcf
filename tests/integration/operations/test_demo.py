"""`tickets demo` walks the whole flow against a running `tickets serve`, as a new user runs
it after `make run`, and as an operator runs it against a deployment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integration.operations.test_cli import tickets
from tests.support.service import AUTH_SECRET, WEBHOOK_SECRET, ServerProcess, service_env

pytestmark = pytest.mark.integration


def test_demo_against_make_run_needs_no_configuration(tmp_path: Path) -> None:
    server = ServerProcess(
        {k: "" for k in os.environ if k.startswith(("TICKET_", "AUTH_", "STRIPE_", "DATABASE_"))},
        tmp_path,
    )
    server.start("--dev")
    try:
        result = tickets("demo", "--url", server.base_url, cwd=tmp_path)
        english = tickets("demo", "--url", server.base_url, "--locale", "en", cwd=tmp_path)
    finally:
        server.stop()

    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(maxsplit=1) for line in result.stdout.splitlines() if line[0] != " ")
    assert lines["order"].endswith(": PAID")
    assert lines["ticket"].endswith(": ACTIVE")
    assert "/tickets/" in lines["web"] and "?key=" in lines["web"]
    assert "/api/tickets/download/" in lines["pdf"]
    email = Path(lines["email"])
    assert email.parent == tmp_path / "var" / "outbox"
    assert b"Content-Type: application/pdf" in email.read_bytes()
    assert next((tmp_path / "var" / "demo").glob("ticket-demo-*.pdf")).read_bytes()[:5] == b"%PDF-"
    # A profile made without a language gets the school's, Norwegian; asked for, English.
    assert "language nb" in lines["profile"]
    assert "subject: Billetten din til Demo" in result.stdout
    assert english.returncode == 0, english.stdout + english.stderr
    assert "language en" in english.stdout and "subject: Your ticket for Demo" in english.stdout
    # The secrets it signed with are the service's own, and no secret is printed.
    secrets = json.loads((tmp_path / "var" / "dev-secrets.json").read_text())
    for secret in secrets.values():
        assert secret not in result.stdout + result.stderr


def test_demo_with_the_services_secrets_from_files_prints_json(
    database_url: str, tmp_path: Path
) -> None:
    server = ServerProcess(service_env(database_url), tmp_path).start()
    (tmp_path / "webhook-secret").write_text(WEBHOOK_SECRET + "\n")
    elsewhere = tmp_path / "elsewhere"  # not the service's folder: no dev secrets there
    elsewhere.mkdir()
    try:
        result = tickets(
            "demo",
            "--url",
            server.base_url,
            "--outbox",
            str(tmp_path / "var" / "outbox"),
            "--json",
            cwd=elsewhere,
            env={
                "AUTH_JWT_SECRET": AUTH_SECRET,
                "STRIPE_WEBHOOK_SECRET_FILE": str(tmp_path / "webhook-secret"),
            },
        )
        again = tickets(
            "demo",
            "--url",
            server.base_url,
            "--json",
            cwd=elsewhere,
            env={"AUTH_JWT_SECRET": AUTH_SECRET, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
        )
    finally:
        server.stop()

    assert result.returncode == 0, result.stdout + result.stderr
    first = json.loads(result.stdout)
    assert first["orderStatus"] == "PAID" and first["ticketStatus"] == "ACTIVE"
    assert Path(first["pdfPath"]).read_bytes()[:5] == b"%PDF-"
    assert Path(first["emailPath"]).parent == tmp_path / "var" / "outbox"
    # Again against the same service, with names of its own; the outbox is not on "this
    # machine" (not named, not in the working folder): not looked for.
    assert again.returncode == 0, again.stdout + again.stderr
    second = json.loads(again.stdout)
    assert second["orderStatus"] == "PAID" and second["periodCode"] != first["periodCode"]
    assert second["emailPath"] is None


def test_demo_says_which_step_failed(tmp_path: Path) -> None:
    server = ServerProcess(service_env(f"sqlite:///{tmp_path}/t.sqlite3"), tmp_path).start()
    try:
        result = tickets(
            "demo",
            "--url",
            server.base_url,
            cwd=tmp_path,
            env={"AUTH_JWT_SECRET": AUTH_SECRET, "STRIPE_WEBHOOK_SECRET": "whsec_not_the_one"},
        )
    finally:
        server.stop()

    assert result.returncode == 1
    assert "the Stripe webhook: POST /api/webhooks/stripe answered 400" in result.stderr
    assert "whsec_not_the_one" not in result.stdout + result.stderr
