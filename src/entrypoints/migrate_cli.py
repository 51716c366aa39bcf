"""``tickets migrate``: bring the database to this release's schema, or (``--check``) say
whether it is behind, for a deployment's pre-flight step or a monitoring check."""

from __future__ import annotations

import argparse
import json
import logging
import os
from typing import Any

from entrypoints.settings import Settings

log = logging.getLogger("tickets")

CURRENT, BEHIND = 0, 1  # --check's exit statuses (2: the settings or the database, as always)


def add_commands(commands: Any) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="create or upgrade the event store's schema (as the database's owner)",
        description="Applies the schema steps this release needs, once, under a lock: safe "
        "when several processes run it at the same moment. With --check, changes nothing.",
    )
    migrate.add_argument(
        "--dev",
        action="store_true",
        help="development mode: the database and secrets of ./var, like serve (default: off)",
    )
    migrate.add_argument(
        "--check",
        action="store_true",
        help=f"change nothing: exit {BEHIND} when the schema is behind this release, "
        f"{CURRENT} when it is current (default: migrate)",
    )
    migrate.add_argument(
        "--json", action="store_true", help="print the result as one JSON object (default: log)"
    )


def run(args: argparse.Namespace) -> int:
    from adapters.persistence.eventstore import latest_schema_version, migrate, schema_is_behind
    from adapters.persistence.migrations import schema_version

    settings = Settings.from_env(os.environ, dev=args.dev)
    database = settings.database
    behind = schema_is_behind(database)
    if args.check:
        result = {
            "database": database.redacted_url,
            "behind": behind,
            "schema_version": schema_version(database),
            "latest_schema_version": latest_schema_version(),
        }
        if args.json:
            print(json.dumps(result))
        else:
            word = "behind: run `tickets migrate`" if behind else "current"
            print(
                f"schema {word} (database at version {result['schema_version']}, "
                f"this release needs {result['latest_schema_version']})"
            )
        return BEHIND if behind else CURRENT
    migrate(database)
    log.info("schema ready", extra={"database": database.redacted_url})
    if args.json:
        print(
            json.dumps(
                {
                    "database": database.redacted_url,
                    "migrated": behind,
                    "schema_version": schema_version(database),
                }
            )
        )
    return 0
