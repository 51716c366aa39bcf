""".env.example lists every variable the service reads, so an operator misses none."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError
from tests.support.environment import variables_read

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
LISTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)


# os.environ.get(...), os.environ[...] but not os.environ[...] = ..., ... in os.environ, getenv
ENVIRON_READ = re.compile(
    r"os\.environ(?:\.get\(|\[[^\]]+\](?!\s*=[^=]))|\bin\s+os\.environ\b|\bgetenv\("
)


def test_the_commands_read_the_environment_only_through_the_settings() -> None:
    """The settings read every variable (one place to find them, check them and list them
    here): the commands pass the environment to them and only write to it, for the
    processes they start."""
    for command in ("cli.py", "worker_cli.py", "audit_cli.py", "migrate_cli.py"):
        text = (ROOT / "src" / "entrypoints" / command).read_text()
        assert ENVIRON_READ.findall(text) == [], command
        assert "os.environ" in text  # what the pattern looks for is there to be found


def test_the_pattern_finds_reads_and_not_writes() -> None:
    reads = 'os.environ.get("A"); os.environ[B]; "C" in os.environ; os.environ[D] == "x"'
    reads += '; os.getenv("F")'
    writes = 'os.environ[E] = "e"; Settings.from_env(os.environ); run_dir.prepare(os.environ)'

    assert len(ENVIRON_READ.findall(reads)) == 5
    assert ENVIRON_READ.findall(writes) == []


def example() -> str:
    return (ROOT / ".env.example").read_text()


def test_every_variable_the_service_reads_is_in_env_example() -> None:
    read = variables_read()
    assert {
        "TICKET_JWT_SECRET",
        "EMAIL_MAX_ATTEMPTS",
        "LOG_LEVEL",
        "PROMETHEUS_MULTIPROC_DIR",
        "HTTP_HEADER_TIMEOUT_SECONDS",
        "CORS_ALLOW_ORIGINS",
        "WORKER_METRICS_PORT",
    } <= read

    listed = set(LISTED.findall(example()))
    assert read - listed == set()


def example_values() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in example().splitlines()
        if line.strip() and not line.startswith("#")
    )


SECRETS = ("TICKET_JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "AUTH_JWT_SECRET")


def shown_secrets() -> dict[str, str]:
    """The secrets .env.example shows, commented out: compose hands them over as files."""
    return dict(
        line.removeprefix("# ").split("=", 1)
        for line in example().splitlines()
        if line.removeprefix("# ").split("=", 1)[0] in SECRETS
    )


def test_env_example_sets_no_secret_compose_would_hand_every_container() -> None:
    """compose.yaml reads .env as every tickets container's env_file: a secret set there
    would reach them all (and, beside compose's NAME_FILE, be refused)."""
    assert set(SECRETS) & set(example_values()) == set()
    assert not any("PASSWORD" in name for name in example_values())
    assert set(shown_secrets()) == set(SECRETS)


def test_the_placeholder_secrets_of_env_example_stop_the_start() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(example_values() | shown_secrets())

    assert raised.value.problems == tuple(
        f"{name} still holds .env.example's placeholder: set a secret" for name in SECRETS
    )


def test_env_example_with_its_secrets_set_gives_valid_settings() -> None:
    values = example_values() | {name: f"whsec_{secrets.token_hex(32)}" for name in SECRETS}

    settings = Settings.from_env(values)

    assert settings.email.backend == "file"
    assert settings.tokens.private_key_pem is None
