"""LOG_LEVEL and --log-level in any case; an unknown level is a configuration problem."""

from __future__ import annotations

import pytest

from entrypoints.cli import command_line
from entrypoints.settings import Settings, SettingsError, level_name, log_level

pytestmark = pytest.mark.unit

VALID = {
    "TICKET_JWT_SECRET": "t" * 32,
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "AUTH_JWT_SECRET": "a" * 32,
}


@pytest.mark.parametrize("given", ["info", "INFO", "Info", " info "])
def test_a_level_is_taken_in_any_case(given: str) -> None:
    assert log_level({"LOG_LEVEL": given}) == "INFO"
    assert level_name(given) == "INFO"


def test_no_level_is_info() -> None:
    assert log_level({}) == "INFO"
    assert log_level({"LOG_LEVEL": ""}) == "INFO"


def test_an_unknown_level_is_reported_with_every_other_problem() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**VALID, "LOG_LEVEL": "loud", "METRICS_PORT": "http"})

    assert raised.value.problems == (
        "METRICS_PORT must be a port number from 1 to 65535",
        "LOG_LEVEL must be one of debug, info, warning, error, critical (any case), not 'loud'",
    )


def test_the_command_line_level_is_taken_in_any_case_too() -> None:
    args = command_line().parse_args(["serve", "--log-level", "debug"])
    assert args.log_level == "DEBUG"


def test_an_unknown_command_line_level_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        command_line().parse_args(["worker", "--log-level", "loud"])
    assert exited.value.code == 2
    assert "--log-level must be one of debug" in capsys.readouterr().err
