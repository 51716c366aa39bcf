"""The service's settings: one frozen model read from the environment, every problem at once.

Each variable is read and checked here, once, in the module of its concern (the HTTP
service's in ``entrypoints.http.settings``); ``model.Settings`` composes them. A rule that
belongs to an adapter's own config (a secret's length, a URL's scheme, a colour) is written
beside that config and runs when the config is built: these modules build it and name the
variable when it refuses. Adapters get the configs built here (through bootstrap) and never
check them again.
"""

from __future__ import annotations

from entrypoints.environment import SettingsError, collect
from entrypoints.http.settings import (
    HttpSettings,
    cors_origins_from_env,
    trusted_proxies_from_env,
)
from entrypoints.settings.auth import dev_token_secret
from entrypoints.settings.demo import demo_secrets
from entrypoints.settings.dev import dev_secrets
from entrypoints.settings.email import EmailSettings
from entrypoints.settings.metrics import MetricsSettings
from entrypoints.settings.model import Settings
from entrypoints.settings.monitoring import MonitoringSettings
from entrypoints.settings.processes import (
    DEFAULT_LOG_LEVEL,
    HIGHEST_PORT,
    ServeOptions,
    WorkerSettings,
    http_processes,
    level_name,
    log_level,
)
from entrypoints.settings.secret_files import with_secret_files
from entrypoints.settings.store import DEFAULT_DATABASE_URL, database_url

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_LOG_LEVEL",
    "HIGHEST_PORT",
    "EmailSettings",
    "HttpSettings",
    "MetricsSettings",
    "MonitoringSettings",
    "ServeOptions",
    "Settings",
    "SettingsError",
    "WorkerSettings",
    "collect",
    "cors_origins_from_env",
    "database_url",
    "demo_secrets",
    "dev_secrets",
    "dev_token_secret",
    "http_processes",
    "level_name",
    "log_level",
    "trusted_proxies_from_env",
    "with_secret_files",
]
