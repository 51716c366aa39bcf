"""The ``tickets`` command: serve, migrate, dev-token, openapi, audit, worker, demo.

The parser and the small commands live here; ``serve``, ``migrate``, ``audit``, ``worker`` and
``demo`` in their own modules (serve_cli.py, migrate_cli.py, ...).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from adapters.credentials import redacted_url
from adapters.identity import mint_dev_token
from application.errors import StoreUnavailable
from entrypoints import (
    audit_cli,
    demo_cli,
    logs,
    migrate_cli,
    serve_cli,
    worker_cli,
)
from entrypoints.cli_options import level_from_env
from entrypoints.settings import (
    DEFAULT_LOG_LEVEL,
    SettingsError,
    database_url,
    dev_token_secret,
    with_secret_files,
)
from entrypoints.version import package_version

if TYPE_CHECKING:
    pass

log = logging.getLogger("tickets")
SETTINGS_HINT = (
    "Nothing was started. Set these in the environment (every variable is in .env.example),"
    " or try the service out with `tickets serve --dev`."
)


def main(argv: Sequence[str] | None = None) -> int:
    args = command_line().parse_args(argv)
    return _run(args)


def command_line() -> argparse.ArgumentParser:
    """The parser of every command; each option's help names its default."""
    parser = argparse.ArgumentParser(prog="tickets", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tickets {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cli.add_commands(commands)
    migrate_cli.add_commands(commands)

    token = commands.add_parser("dev-token", help="print a bearer token signed with the dev secret")
    token.add_argument("--sub", required=True, help="the user id (required)")
    token.add_argument(
        "--role",
        action="append",
        choices=["admin", "staff"],
        default=[],
        help="a role of the user; may be repeated (default: none, a dancer)",
    )
    token.add_argument("--email", help="the email claim (default: none)")
    token.add_argument("--name", help="the name claim (default: none)")

    openapi = commands.add_parser(
        "openapi", help="write the OpenAPI document (JSON) without a server or configuration"
    )
    openapi.add_argument("--output", help="the file to write (default: standard output)")

    audit_cli.add_commands(commands)
    worker_cli.add_commands(commands)
    demo_cli.add_commands(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    if hasattr(args, "log_level"):
        args.log_level = args.log_level or level_from_env()
    # JSON lines for log collectors; readable console lines for a developer (--dev).
    logs.configure(
        getattr(args, "log_level", None) or DEFAULT_LOG_LEVEL, json=not getattr(args, "dev", False)
    )
    try:
        if args.command == "serve":
            return serve_cli.run(args)
        if args.command == "migrate":
            return migrate_cli.run(args)
        if args.command == "openapi":
            return _openapi(args.output)
        if args.command == "audit":
            return audit_cli.run(args)
        if args.command == "worker":
            return worker_cli.run(args)
        if args.command == "demo":
            return demo_cli.run(args)
        return _dev_token(args)
    except SettingsError as error:
        # One message naming every variable at fault, so one edit of the environment fixes all.
        print(f"tickets: {error.report()}\n{SETTINGS_HINT}", file=sys.stderr)
        return 2
    except StoreUnavailable as error:
        # At start-up (the migrate step): one line an operator can act on, not a traceback.
        where = redacted_url(database_url(with_secret_files(os.environ)))
        print(f"tickets: the database does not answer at {where}: {error.detail}", file=sys.stderr)
        return 2


def _openapi(output: str | None) -> int:
    from entrypoints.http.app import openapi_document

    text = json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
    return 0


def _dev_token(args: argparse.Namespace) -> int:
    secret = dev_token_secret(os.environ)
    print(
        mint_dev_token(secret, args.sub, roles=tuple(args.role), email=args.email, name=args.name)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
