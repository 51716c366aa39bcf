"""How the service's processes run: the log level, the worker's own settings, and what
``tickets serve`` hands the processes it starts."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import msgspec

from entrypoints.environment import SettingsError, collect, number
from entrypoints.settings.cpus import usable_cpus
from entrypoints.worker_supervisor import LOCK_VARIABLE

DEFAULT_LOG_LEVEL = "INFO"
# Python's level names: LOG_LEVEL and --log-level take them in any case (`info` too).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# From `serve` to the HTTP processes it starts (entrypoints.cli.app_from_environment).
SERVE_OPTIONS_VARIABLE = "TICKETS_SERVE_OPTIONS"
HIGHEST_PORT = 65535


def log_level(env: Mapping[str, str]) -> str:
    """LOG_LEVEL, the default of the commands' ``--log-level``, as a level name logging takes.

    Read on its own, before the arguments: the log is configured before the other settings
    are read, and ``--help`` needs none of them. Raises SettingsError for an unknown level;
    ``Settings.from_env`` reads it again so that it is reported with the other problems.
    """
    return level_name(env.get("LOG_LEVEL", "").strip() or DEFAULT_LOG_LEVEL, "LOG_LEVEL")


def level_name(text: str, named: str = "--log-level") -> str:
    """A log level in any case (``info``, ``Warning``) as logging names it (``INFO``)."""
    name = text.strip().upper()
    if name not in LOG_LEVELS:
        choices = ", ".join(level.lower() for level in LOG_LEVELS)
        raise SettingsError(f"{named} must be one of {choices} (any case), not {text!r}")
    return name


def http_processes(env: Mapping[str, str]) -> int:
    """The default of `serve --workers`: WEB_CONCURRENCY (the name gunicorn and uvicorn read,
    and platforms set), else one per CPU the process may use (settings.cpus)."""
    return number(env, "WEB_CONCURRENCY", 0) or usable_cpus()


class WorkerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """``tickets worker``'s own: its metrics port, and the file that says it is alive."""

    metrics_port: int | None = None  # none: no metrics served (`--metrics-port` wins)
    # Named by `serve` for the worker to lock and its HTTP processes to try (worker_supervisor).
    lock_file: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkerSettings:
        with collect() as problems:
            metrics_port = problems.read(lambda: port_number(env, "WORKER_METRICS_PORT"))
        return cls(metrics_port=metrics_port, lock_file=env.get(LOCK_VARIABLE) or None)


def port_number(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= HIGHEST_PORT:
        raise SettingsError(f"{name} must be a port number from 1 to {HIGHEST_PORT}")
    return int(raw)


class ServeOptions(msgspec.Struct, frozen=True, kw_only=True):
    """What `serve`'s command line tells the HTTP processes it starts, as JSON in
    ``TICKETS_SERVE_OPTIONS``: they are made by uvicorn, from the environment alone."""

    dev: bool
    log_level: str
    run_worker: bool  # in a thread of this process (serve with one process)
    body_timeout: float
    metrics_port: int | None = None  # set: /metrics there (served by `serve`), not on the API

    def hand_over(self, environ: MutableMapping[str, str]) -> None:
        """Names them in ``environ``, which the processes started afterwards inherit."""
        environ[SERVE_OPTIONS_VARIABLE] = msgspec.json.encode(self).decode()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServeOptions:
        return msgspec.json.decode(env[SERVE_OPTIONS_VARIABLE], type=cls)
