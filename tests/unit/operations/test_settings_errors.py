"""An operator with a broken environment learns every problem from one failed start."""

from __future__ import annotations

import os

import pytest

from entrypoints import cli
from entrypoints.settings import Settings, SettingsError, collect
from entrypoints.settings import email as email_settings

pytestmark = pytest.mark.unit

VALID = {
    "TICKET_JWT_SECRET": "t" * 32,
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "AUTH_JWT_SECRET": "a" * 32,
}

BROKEN = {
    "DATABASE_URL": "mysql://db/tickets",
    "TICKET_JWT_SECRET": "too-short-secret",
    "TICKET_JWT_PRIVATE_KEY": "not a pem",
    "EMAIL_BACKEND": "smtp",  # without SMTP_URL
    "EMAIL_MAX_ATTEMPTS": "many",
    "WORKER_POLL_SECONDS": "-1",
    "ALERT_WEBHOOK_URL": "ftp://alerts",
    "BRAND_PRIMARY_COLOR": "crimson",
    "BRAND_LOGO_PATH": "/nonexistent/logo.png",
    "RATE_LIMIT_PER_MINUTE": "0",
    "REDIS_URL": "http://cache:6379",
}
# STRIPE_WEBHOOK_SECRET and the identity provider are missing as well.
NAMED = [
    "DATABASE_URL",
    "TICKET_JWT_SECRET",
    "TICKET_JWT_PRIVATE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "AUTH_JWT_SECRET or AUTH_JWKS_URL",
    "SMTP_URL",
    "ALERT_WEBHOOK_URL",
    "EMAIL_MAX_ATTEMPTS",
    "WORKER_POLL_SECONDS",
    "BRAND_PRIMARY_COLOR",
    "BRAND_LOGO_PATH",
    "RATE_LIMIT_PER_MINUTE",
    "REDIS_URL",
]


def test_every_unusable_variable_is_named_once_in_one_error() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(BROKEN)

    problems = raised.value.problems
    assert len(problems) == len(NAMED), problems
    for problem, name in zip(problems, NAMED, strict=True):
        assert problem.startswith(name) or f"{name}:" in problem, (name, problem)


def test_the_report_lists_each_problem_on_a_line_and_echoes_no_secret() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(BROKEN)

    report = raised.value.report()
    lines = report.splitlines()
    assert lines[0] == f"{len(NAMED)} configuration problems:"
    assert [line[:4] for line in lines[1:]] == ["  - "] * len(NAMED)
    assert "too-short-secret" not in report


def test_one_problem_reads_as_one_line() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**VALID, "RATE_LIMIT_PER_MINUTE": "lots"})

    assert raised.value.problems == ("RATE_LIMIT_PER_MINUTE must be a whole number",)
    assert raised.value.report() == (
        "configuration problem: RATE_LIMIT_PER_MINUTE must be a whole number"
    )


def test_a_valid_environment_still_gives_settings() -> None:
    settings = Settings.from_env(VALID)

    assert settings.database.url == "sqlite:///./var/tickets.sqlite3"
    assert settings.rate_limits.per_minute == 60


def test_collect_raises_only_after_its_whole_block_ran() -> None:
    reached = []

    def configure() -> None:
        with collect() as problems:
            problems.add("A is wrong")
            problems.read(lambda: _fails("B is wrong", "C is wrong"))
            reached.append("end of block")

    with pytest.raises(SettingsError) as raised:
        configure()

    assert reached == ["end of block"]
    assert raised.value.problems == ("A is wrong", "B is wrong", "C is wrong")


def _fails(*problems: str) -> int:
    raise SettingsError(*problems)


def test_the_command_exits_2_with_one_message_naming_every_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith(("TICKET_", "AUTH_", "STRIPE_", "DATABASE_", "EMAIL_", "REDIS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "0")

    assert cli.main(["migrate"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("tickets: 4 configuration problems:\n")
    for name in ("TICKET_JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "AUTH_JWT_SECRET"):
        assert f"  - {name}" in err
    assert "  - RATE_LIMIT_PER_MINUTE must be at least 1" in err
    assert "Traceback" not in err


def test_an_empty_value_counts_as_unset() -> None:
    settings = Settings.from_env(
        {**VALID, "DATABASE_URL": "", "PUBLIC_BASE_URL": "", "CHECKOUT_SUCCESS_URL": ""}
    )

    assert settings.database.url == "sqlite:///./var/tickets.sqlite3"
    assert settings.http.public_base_url == "http://127.0.0.1:8000"
    assert settings.http.checkout_success_url.startswith("http://127.0.0.1:8000/orders/")


def test_rules_of_an_adapter_config_stop_the_start_naming_the_variable() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {
                **VALID,
                "AUTH_JWT_SECRET": "short-auth-secret",
                "EMAIL_BACKEND": "smtp",
                "SMTP_URL": "http://mail.example",
                "ALERT_WEBHOOK_URL": "file:///etc/passwd",
            }
        )

    assert raised.value.problems == (
        "AUTH_*: the auth JWT secret must be at least 32 bytes long",
        "SMTP_URL must start with smtp:// or smtps://, not http:",
        "ALERT_WEBHOOK_URL must be an http(s) URL",
    )
    assert "short-auth-secret" not in raised.value.report()


def test_the_smtp_and_webhook_configs_are_built_once_by_the_settings() -> None:
    settings = Settings.from_env(
        {
            **VALID,
            "EMAIL_BACKEND": "smtp",
            "SMTP_URL": "smtp://u:pw@mail.example:587",
            "ALERT_WEBHOOK_URL": "https://hooks.example/T/B/X",
        }
    )

    assert settings.email.smtp is not None and settings.email.smtp.url.startswith("smtp://u:pw@")
    assert settings.email.smtp.redacted_url == "smtp://u:***@mail.example:587"
    assert settings.email.alert_webhook is not None
    assert "pw" not in repr(settings.email) and "hooks.example" not in repr(settings.email)


@pytest.mark.parametrize(("given", "processes"), [("0", 0), ("3", 3), (" 16 ", 16)])
def test_render_processes_are_a_count_from_zero(given: str, processes: int) -> None:
    settings = Settings.from_env({**VALID, "EMAIL_RENDER_PROCESSES": given})

    assert settings.email.render_processes == processes


@pytest.mark.parametrize("given", ["-1", "two", "1.5", "17"])
def test_a_render_process_count_out_of_range_is_refused(given: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**VALID, "EMAIL_RENDER_PROCESSES": given})

    assert raised.value.problems == ("EMAIL_RENDER_PROCESSES must be a whole number from 0 to 16",)


def test_render_processes_default_to_one_per_core_and_none_on_one_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for cores, processes in ((1, 0), (2, 2), (8, 4)):
        monkeypatch.setattr(email_settings, "usable_cpus", lambda cores=cores: cores)
        assert Settings.from_env(VALID).email.render_processes == processes
