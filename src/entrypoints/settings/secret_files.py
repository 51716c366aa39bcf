"""Secrets read from files: ``NAME_FILE=/run/secrets/name`` instead of ``NAME=value``.

Docker and compose ``secrets:``, Kubernetes secret volumes and systemd credentials hand a
secret over as a file; a file is not in the process's environment, so it is not inherited by
every child process, nor shown by ``docker inspect``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from entrypoints.environment import Problems, collect

# Every variable that holds a secret, or a URL that may hold a password.
SECRETS = (
    "DATABASE_URL",
    "REDIS_URL",
    "TICKET_JWT_SECRET",
    "TICKET_JWT_PRIVATE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_KEY",
    "AUTH_JWT_SECRET",
    "SMTP_URL",
    "SENTRY_DSN",
    "ALERT_WEBHOOK_URL",
)
SUFFIX = "_FILE"


def read_secret_files(env: Mapping[str, str], problems: Problems) -> Mapping[str, str]:
    """``env`` with each set ``NAME_FILE`` replaced by ``NAME``, the file's content.

    The file's final line break is dropped (``echo secret > file`` writes one). Setting both
    NAME and NAME_FILE is a problem: which one wins would be a guess. Without a file variable,
    ``env`` itself.
    """
    named = [name for name in SECRETS if env.get(name + SUFFIX)]
    if not named:
        return env
    resolved = {k: v for k, v in env.items() if k not in {name + SUFFIX for name in named}}
    for name in named:
        path = Path(env[name + SUFFIX])
        if env.get(name):
            problems.add(f"{name} and {name}{SUFFIX} are both set: set one of them")
            continue
        try:
            # Never the content in a message: only the variable and the path.
            resolved[name] = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            problems.add(f"{name}{SUFFIX}: cannot read {path}: {error.strerror}")
        except UnicodeDecodeError:
            problems.add(f"{name}{SUFFIX}: {path} is not UTF-8 text")
    return resolved


def with_secret_files(env: Mapping[str, str]) -> Mapping[str, str]:
    """``read_secret_files`` on its own: raises SettingsError naming every unreadable file."""
    with collect() as problems:
        resolved = read_secret_files(env, problems)
    return resolved
