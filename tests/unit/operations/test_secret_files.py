"""Every secret may come from a file (NAME_FILE), as compose and Kubernetes hand secrets over."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError, dev_token_secret
from entrypoints.settings.secret_files import SECRETS, with_secret_files

pytestmark = pytest.mark.unit

VALID = {
    "TICKET_JWT_SECRET": "t" * 32,
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "AUTH_JWT_SECRET": "a" * 32,
}


def secret_file(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name.lower()
    path.write_text(content)
    return str(path)


def test_each_secret_is_read_from_its_file_without_the_final_line_break(tmp_path: Path) -> None:
    env = {
        "TICKET_JWT_SECRET_FILE": secret_file(tmp_path, "ticket", "f" * 40 + "\n"),
        "STRIPE_WEBHOOK_SECRET_FILE": secret_file(tmp_path, "stripe", "whsec_from_file\n"),
        "AUTH_JWT_SECRET_FILE": secret_file(tmp_path, "auth", "b" * 32),
        "DATABASE_URL_FILE": secret_file(
            tmp_path, "db", f"sqlite:///{tmp_path}/from-file.sqlite3\n"
        ),
    }

    settings = Settings.from_env(env)

    assert settings.tokens.secret == b"f" * 40
    assert settings.stripe.webhook_secret == "whsec_from_file"
    assert settings.identity.jwt_secret == "b" * 32
    assert settings.database.url == f"sqlite:///{tmp_path}/from-file.sqlite3"


def test_every_secret_has_its_file_variable(tmp_path: Path) -> None:
    env = {f"{name}_FILE": secret_file(tmp_path, name, f"value of {name}") for name in SECRETS}

    resolved = with_secret_files(env)

    assert resolved == {name: f"value of {name}" for name in SECRETS}


def test_a_missing_file_and_a_secret_set_twice_are_named_all_at_once(tmp_path: Path) -> None:
    env = {
        **VALID,
        "AUTH_JWT_SECRET_FILE": secret_file(tmp_path, "auth", "c" * 32),
        "STRIPE_WEBHOOK_SECRET": "",
        "STRIPE_WEBHOOK_SECRET_FILE": str(tmp_path / "absent"),
        "TICKET_JWT_SECRET": "",
        "TICKET_JWT_SECRET_FILE": secret_file(tmp_path, "ticket", "s" * 10),  # too short
    }

    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)

    problems = raised.value.problems
    assert "AUTH_JWT_SECRET and AUTH_JWT_SECRET_FILE are both set: set one of them" in problems
    assert any(p.startswith("STRIPE_WEBHOOK_SECRET_FILE: cannot read") for p in problems)
    assert any("TICKET_JWT_SECRET" in p and "32 bytes" in p for p in problems)
    assert "s" * 10 not in str(raised.value)  # the secret itself is never in a message


def test_dev_mode_takes_a_secret_file_before_its_own_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"STRIPE_WEBHOOK_SECRET_FILE": secret_file(tmp_path, "stripe", "whsec_file")}

    assert Settings.from_env(env, dev=True).stripe.webhook_secret == "whsec_file"


def test_dev_token_signs_with_the_secret_file(tmp_path: Path) -> None:
    path = secret_file(tmp_path, "auth", "d" * 32 + "\n")

    assert dev_token_secret({"AUTH_JWT_SECRET_FILE": path}) == "d" * 32
