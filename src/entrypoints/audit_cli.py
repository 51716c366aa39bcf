"""``tickets audit``: history, time travel, replay, export and tamper evidence, for auditors.

Its commands and arguments; what they print and write is entrypoints.audit_output.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.table import Table

from application.audit.auditing import Audit
from application.errors import ApplicationError
from entrypoints.audit_output import (
    compact,
    event_record,
    export,
    print_json,
    print_report,
    report_record,
    shown_time,
    state_record,
    with_progress,
)
from entrypoints.settings import Settings, SettingsError

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services

# Exit codes: the audit found something (1), or could not be run as asked (2).
FOUND, UNUSABLE = 1, 2
HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


def add_commands(commands: Any) -> None:
    """Adds ``audit`` and its subcommands to the ``tickets`` parser's subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dev",
        action="store_true",
        help="development mode: secrets from ./var, like serve (default: off)",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument(
        "--json", action="store_true", help="one JSON document instead of text (default: text)"
    )
    audit = commands.add_parser("audit", help="for auditors: history, replay, export, digests")
    verbs = audit.add_subparsers(dest="audit_command", required=True)

    history = verbs.add_parser(
        "history",
        parents=[common, as_json],
        help="an aggregate's events, or its state at a moment",
    )
    history.add_argument("aggregate_id", type=_uuid, metavar="ID", help="an aggregate id")
    when = history.add_mutually_exclusive_group()
    when.add_argument(
        "--at", type=_timestamp, metavar="TS", help="its state at this moment (default: events)"
    )
    when.add_argument(
        "--version", type=_positive, metavar="N", help="its state at version N (default: events)"
    )

    replay = verbs.add_parser(
        "replay",
        parents=[common, as_json],
        help="read the whole log: check the invariants, rebuild and compare the read models",
    )
    replay.add_argument(
        "--rebuild",
        action="store_true",
        help="replace the live read models with the rebuilt (default: compare only)",
    )

    export = verbs.add_parser("export", parents=[common], help="stream events as JSONL or CSV")
    export.add_argument(
        "--since", type=_timestamp, metavar="TS", help="from this moment on (default: the start)"
    )
    export.add_argument(
        "--until", type=_timestamp, metavar="TS", help="before this moment (default: now)"
    )
    export.add_argument(
        "--type",
        action="append",
        default=[],
        dest="types",
        metavar="TYPE",
        help="only this event type (Order.PaymentReceived); may be repeated (default: all)",
    )
    export.add_argument(
        "--format", required=True, choices=("jsonl", "csv"), help="JSON lines or CSV (required)"
    )
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="a file (default: standard output)"
    )

    digest = verbs.add_parser(
        "digest", parents=[common, as_json], help="the SHA-256 chain's head over the log, to record"
    )
    digest.add_argument(
        "--upto", type=_positive, metavar="N", help="only up to notification N (default: all)"
    )

    verify = verbs.add_parser(
        "verify",
        parents=[common, as_json],
        help="check that the log still gives a recorded digest (exit 1 when it does not)",
    )
    verify.add_argument(
        "--digest",
        required=True,
        type=_hex_digest,
        metavar="HEX",
        help="the digest `audit digest` printed (required)",
    )
    verify.add_argument(
        "--upto",
        required=True,
        type=_positive,
        metavar="N",
        help="the notification it was taken up to (required)",
    )


def run(args: argparse.Namespace) -> int:
    out = Console(soft_wrap=False)
    err = Console(stderr=True, soft_wrap=True)  # a message is one line, whatever the width
    try:
        with _services(args) as services:
            audit = services.audit
            command = args.audit_command
            if command == "history":
                return _history(audit, args, out)
            if command == "replay":
                report = with_progress(
                    err,
                    "replaying",
                    lambda progress: audit.replay(
                        services.read_models,
                        follower_store=services.follower_store,
                        rebuild=args.rebuild,
                        progress=progress,
                    ),
                )
                if args.json:
                    print_json(out, report_record(report))
                else:
                    print_report(report, out)
                return 0 if report.ok else FOUND
            if command == "export":
                events = audit.export(since=args.since, until=args.until, types=args.types)
                export(events, args.format, args.output, err)
                return 0
            if command == "digest":
                digest = with_progress(
                    err, "hashing", lambda progress: audit.digest(upto=args.upto, progress=progress)
                )
                if args.json:
                    record = {"digest": digest.head, "upto": digest.upto, "events": digest.events}
                    print_json(out, record)
                    return 0
                out.print(f"digest  {digest.head}")
                out.print(f"upto    {digest.upto}")
                out.print(f"events  {digest.events}")
                out.print(
                    f"Record both; later: tickets audit verify --digest {digest.head} "
                    f"--upto {digest.upto}",
                    style="dim",
                )
                return 0
            verdict = with_progress(
                err,
                "verifying",
                lambda progress: audit.verify(args.digest, args.upto, progress=progress),
            )
            if args.json:
                print_json(
                    out,
                    {
                        "ok": verdict.ok,
                        "detail": verdict.detail,
                        "computed": {
                            "digest": verdict.computed.head,
                            "upto": verdict.computed.upto,
                        },
                    },
                )
                return 0 if verdict.ok else FOUND
            out.print(("OK: " if verdict.ok else "TAMPERED: ") + verdict.detail)
            if not verdict.ok:
                out.print(f"computed digest {verdict.computed.head} up to {verdict.computed.upto}")
            return 0 if verdict.ok else FOUND
    except SettingsError as error:
        err.print(f"tickets audit: {error.report()}", markup=False)
        return UNUSABLE
    except ApplicationError as error:
        err.print(f"tickets audit: {getattr(error, 'detail', error)}", markup=False)
        return UNUSABLE
    except PersistenceError as error:
        err.print(
            f"tickets audit: the event store cannot be read ({type(error).__name__}): {error}",
            markup=False,
        )
        return UNUSABLE


@contextmanager
def _services(args: argparse.Namespace) -> Iterator[Services]:
    # Imported when needed: the other commands start without building every adapter.
    from adapters.persistence.eventstore import latest_schema_version, schema_is_behind
    from entrypoints.bootstrap import build

    settings = Settings.from_env(os.environ, dev=args.dev)
    # An auditor's tool reads and never migrates: a database behind this release is named as
    # such, not met with a missing table's traceback half-way through a replay.
    if schema_is_behind(settings.database):
        raise ApplicationError(
            f"the database at {settings.database.redacted_url} is not at this release's schema "
            f"(version {latest_schema_version()}): run `tickets migrate` first"
        )
    services = build(settings)
    try:
        yield services
    finally:
        services.close()


# --- history and time travel ----------------------------------------------------------------


def _history(audit: Audit, args: argparse.Namespace, out: Console) -> int:
    if args.at is not None or args.version is not None:
        past = audit.state_at(args.aggregate_id, version=args.version, at=args.at)
        if args.json:
            print_json(out, state_record(past))
            return 0
        table = Table(
            title=f"{past.aggregate_type} {past.aggregate_id}",
            caption=f"version {past.version} of {past.latest_version}, "
            f"as of {shown_time(past.modified_on)}",
        )
        table.add_column("attribute", style="bold")
        table.add_column("value", overflow="fold")
        for name, value in state_record(past)["state"].items():
            table.add_row(name, compact(value))
        out.print(table)
        return 0
    events = audit.history(args.aggregate_id)
    if args.json:
        print_json(out, [event_record(e, with_position=False) for e in events])
        return 0
    table = Table(title=f"{events[0].type.split('.')[0]} {args.aggregate_id}")
    for column in ("version", "type", "timestamp", "actor", "reference"):
        table.add_column(column, no_wrap=column != "reference")
    table.add_column("data", overflow="fold")
    for event in events:
        table.add_row(
            str(event.version),
            event.type,
            shown_time(event.timestamp),
            event.actor,
            event.reference or "",
            compact(event.data),
        )
    out.print(table)
    return 0


# --- arguments --------------------------------------------------------------------------------


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a UUID)") from None


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time like 2026-09-01T12:00:00Z"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return number


def _hex_digest(text: str) -> str:
    if not HEX_DIGEST.match(text):
        raise argparse.ArgumentTypeError("a digest is 64 hexadecimal characters")
    return text.lower()
