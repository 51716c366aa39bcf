""".env.example lists every variable the service reads, so an operator misses none."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
# env.get("NAME"...), env["NAME"], os.environ.get("NAME"...), helpers called (env, "NAME"...)
# and "NAME" in os.environ
READ = re.compile(
    r'(?:\benv|\benviron)(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]+)"'
    r'|\(\s*env\s*,\s*"([A-Z][A-Z0-9_]+)"'
    r'|"([A-Z][A-Z0-9_]+)"\s+in\s+(?:os\.)?environ\b'
)
LISTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)


def variables_read() -> set[str]:
    names: set[str] = set()
    for module in (ROOT / "src" / "entrypoints").rglob("*.py"):
        for match in READ.finditer(module.read_text()):
            names.add(next(group for group in match.groups() if group))
    return names


def example() -> str:
    return (ROOT / ".env.example").read_text()


def test_every_variable_the_service_reads_is_in_env_example() -> None:
    read = variables_read()
    assert {
        "TICKET_JWT_SECRET",
        "EMAIL_MAX_ATTEMPTS",
        "LOG_LEVEL",
        "PROMETHEUS_MULTIPROC_DIR",
    } <= read

    listed = set(LISTED.findall(example()))
    assert read - listed == set()


def example_values() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in example().splitlines()
        if line.strip() and not line.startswith("#")
    )


def test_the_placeholder_secrets_of_env_example_stop_the_start() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(example_values())

    assert raised.value.problems == tuple(
        f"{name} still holds .env.example's placeholder: set a secret"
        for name in ("TICKET_JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "AUTH_JWT_SECRET")
    )


def test_env_example_with_its_secrets_set_gives_valid_settings() -> None:
    values = {
        name: f"whsec_{secrets.token_hex(32)}" if "change-me" in value else value
        for name, value in example_values().items()
    }

    settings = Settings.from_env(values)

    assert settings.email.backend == "file"
    assert settings.tokens.private_key_pem is None
