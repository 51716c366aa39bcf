"""Options the ``tickets`` commands share: the log level, a port, a number of seconds."""

from __future__ import annotations

import argparse
import os

from entrypoints.settings import (
    DEFAULT_LOG_LEVEL,
    HIGHEST_PORT,
    SettingsError,
    level_name,
    log_level,
)


def add_log_level(command: argparse.ArgumentParser) -> None:
    """``--log-level``, of the commands that run for long (serve, worker)."""
    command.add_argument(
        "--log-level",
        type=_log_level,
        default=None,  # LOG_LEVEL, read after the arguments (see level_from_env)
        metavar="LEVEL",
        help="debug, info, warning, error or critical, in any case "
        f"(default: LOG_LEVEL, else {DEFAULT_LOG_LEVEL.lower()})",
    )


def _log_level(text: str) -> str:
    try:
        return level_name(text)
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def level_from_env() -> str:
    """LOG_LEVEL, or the default while it is unusable: the settings then report it, with any
    other problem, before anything starts (exit 2)."""
    try:
        return log_level(os.environ)
    except SettingsError:
        return DEFAULT_LOG_LEVEL


def port_number(text: str) -> int:
    """A TCP port to listen on, 1 to 65535 (of ``--metrics-port``)."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= HIGHEST_PORT:
        raise argparse.ArgumentTypeError(f"not a port number from 1 to {HIGHEST_PORT}: {text}")
    return int(text)


def seconds(text: str) -> float:
    seconds = float(text)
    if not seconds > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text}")
    return seconds
