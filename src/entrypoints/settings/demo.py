"""What ``tickets demo`` needs of the service's settings: the secrets it signs with, and
where the file email backend writes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from entrypoints.environment import collect
from entrypoints.settings.dev import DEV_SECRETS_FILE
from entrypoints.settings.email import EmailSettings
from entrypoints.settings.secret_files import read_secret_files

NEEDED = ("AUTH_JWT_SECRET", "STRIPE_WEBHOOK_SECRET")


class DemoSettings(NamedTuple):
    auth_secret: str
    webhook_secret: str
    outbox: Path
    # The secrets came from the dev file: the service runs here (make run), so its outbox is
    # here too, even before its first email makes the folder.
    service_is_here: bool


def demo_secrets(env: Mapping[str, str], dev_file: Path = DEV_SECRETS_FILE) -> DemoSettings:
    """The identity provider's secret (to sign bearer tokens), the webhook's secret (to sign
    as Stripe does) and the outbox folder: from the environment (or NAME_FILE), else the
    development secrets ``tickets serve --dev`` keeps in this folder. Never made here: new
    ones would not be the running service's."""
    with collect() as problems:
        env = read_secret_files(env, problems)
        dev = json.loads(dev_file.read_text()) if dev_file.exists() else {}
        for name in NEEDED:
            if not (env.get(name) or dev.get(name)):
                problems.add(
                    f"{name} is required: the running service's, or run this where `tickets "
                    f"serve --dev` keeps {dev_file}"
                )
    auth_secret, webhook_secret = (env.get(name) or dev[name] for name in NEEDED)
    outbox = Path(env.get("EMAIL_OUTBOX_DIR") or EmailSettings().outbox_dir)
    service_is_here = not all(env.get(name) for name in NEEDED)
    return DemoSettings(auth_secret, webhook_secret, outbox, service_is_here)
