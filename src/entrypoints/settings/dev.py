"""Development mode's secrets, and .env.example's placeholder secrets, which never start."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from pathlib import Path

from entrypoints.environment import Problems

log = logging.getLogger(__name__)

DEV_SECRETS_FILE = Path("var/dev-secrets.json")
# .env.example's secrets read "change-me...": a service started with one would take tokens
# anyone can sign, so it does not start.
PLACEHOLDER = "change-me"
PLACEHOLDER_CHECKED = ("TICKET_JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "AUTH_JWT_SECRET")


def refuse_placeholders(env: Mapping[str, str], problems: Problems) -> None:
    for name in PLACEHOLDER_CHECKED:
        if PLACEHOLDER in env.get(name, "").lower():
            problems.add(f"{name} still holds .env.example's placeholder: set a secret")


def dev_secrets(path: Path = DEV_SECRETS_FILE) -> dict[str, str]:
    """Development secrets, created once under ./var and kept, so tokens survive restarts."""
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    made = {
        "TICKET_JWT_SECRET": secrets.token_urlsafe(48),
        "AUTH_JWT_SECRET": secrets.token_urlsafe(48),
        "STRIPE_WEBHOOK_SECRET": f"whsec_dev_{secrets.token_urlsafe(24)}",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(made, indent=2))
    log.warning("DEV MODE: created development secrets in %s; never use them in production", path)
    return made
