"""``tickets audit``: history, time travel, replay, export and tamper evidence, for auditors."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from application.audit.auditing import Audit, AuditEvent, PastState
from application.audit.digest import Progress as Advance
from application.audit.invariants import Invariant
from application.audit.replay import ReplayReport
from application.errors import ApplicationError
from entrypoints.settings import Settings, SettingsError

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services

R = TypeVar("R")

# Exit codes: the audit found something (1), or could not be run as asked (2).
FOUND, UNUSABLE = 1, 2
CSV_COLUMNS = (
    "notificationId",
    "aggregateId",
    "version",
    "type",
    "timestamp",
    "actor",
    "reference",
    "requestId",
    "data",
)
SHOWN_VIOLATIONS = 20  # per invariant: the rest are counted
HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")

_encoder = msgspec.json.Encoder()


def add_commands(commands: Any) -> None:
    """Adds ``audit`` and its subcommands to the ``tickets`` parser's subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dev", action="store_true", help="development mode: secrets from ./var, like serve"
    )
    audit = commands.add_parser("audit", help="for auditors: history, replay, export, digests")
    verbs = audit.add_subparsers(dest="audit_command", required=True)

    history = verbs.add_parser(
        "history", parents=[common], help="an aggregate's events, or its state at a moment"
    )
    history.add_argument("aggregate_id", type=_uuid, metavar="ID", help="an aggregate id")
    history.add_argument("--json", action="store_true", help="JSON instead of a table")
    when = history.add_mutually_exclusive_group()
    when.add_argument("--at", type=_timestamp, metavar="TS", help="its state at this moment")
    when.add_argument("--version", type=_positive, metavar="N", help="its state at version N")

    replay = verbs.add_parser(
        "replay",
        parents=[common],
        help="read the whole log: check the invariants, rebuild and compare the read models",
    )
    replay.add_argument(
        "--rebuild", action="store_true", help="replace the live read models with the rebuilt"
    )

    export = verbs.add_parser("export", parents=[common], help="stream events as JSONL or CSV")
    export.add_argument("--since", type=_timestamp, metavar="TS", help="from this moment on")
    export.add_argument("--until", type=_timestamp, metavar="TS", help="before this moment")
    export.add_argument(
        "--type",
        action="append",
        default=[],
        dest="types",
        metavar="TYPE",
        help="only this event type (Order.PaymentReceived); may be repeated",
    )
    export.add_argument("--format", required=True, choices=("jsonl", "csv"))
    export.add_argument("--output", type=Path, metavar="FILE", help="a file instead of stdout")

    digest = verbs.add_parser(
        "digest", parents=[common], help="the SHA-256 chain's head over the log, to record"
    )
    digest.add_argument("--upto", type=_positive, metavar="N", help="only up to notification N")

    verify = verbs.add_parser(
        "verify", parents=[common], help="check that the log still gives a recorded digest"
    )
    verify.add_argument("--digest", required=True, type=_hex_digest, metavar="HEX")
    verify.add_argument("--upto", required=True, type=_positive, metavar="N")


def run(args: argparse.Namespace) -> int:
    out = Console(soft_wrap=False)
    err = Console(stderr=True)
    try:
        with _services(args) as services:
            audit = services.audit
            command = args.audit_command
            if command == "history":
                return _history(audit, args, out)
            if command == "replay":
                report = _with_progress(
                    err,
                    "replaying",
                    lambda progress: audit.replay(
                        services.read_models,
                        follower_store=services.follower_store,
                        rebuild=args.rebuild,
                        progress=progress,
                    ),
                )
                _print_report(report, out)
                return 0 if report.ok else FOUND
            if command == "export":
                return _export(audit, args, err)
            if command == "digest":
                digest = _with_progress(
                    err, "hashing", lambda progress: audit.digest(upto=args.upto, progress=progress)
                )
                out.print(f"digest  {digest.head}")
                out.print(f"upto    {digest.upto}")
                out.print(f"events  {digest.events}")
                out.print(
                    f"Record both; later: tickets audit verify --digest {digest.head} "
                    f"--upto {digest.upto}",
                    style="dim",
                )
                return 0
            verdict = _with_progress(
                err,
                "verifying",
                lambda progress: audit.verify(args.digest, args.upto, progress=progress),
            )
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
            _print_json(out, state_record(past))
            return 0
        table = Table(
            title=f"{past.aggregate_type} {past.aggregate_id}",
            caption=(
                f"version {past.version} of {past.latest_version}, as of {_time(past.modified_on)}"
            ),
        )
        table.add_column("attribute", style="bold")
        table.add_column("value", overflow="fold")
        for name, value in state_record(past)["state"].items():
            table.add_row(name, _compact(value))
        out.print(table)
        return 0
    events = audit.history(args.aggregate_id)
    if args.json:
        _print_json(out, [event_record(e, with_position=False) for e in events])
        return 0
    table = Table(title=f"{events[0].type.split('.')[0]} {args.aggregate_id}")
    for column in ("version", "type", "timestamp", "actor", "reference"):
        table.add_column(column, no_wrap=column != "reference")
    table.add_column("data", overflow="fold")
    for event in events:
        table.add_row(
            str(event.version),
            event.type,
            _time(event.timestamp),
            event.actor,
            event.reference or "",
            _compact(event.data),
        )
    out.print(table)
    return 0


def event_record(event: AuditEvent, *, with_position: bool = True) -> dict[str, Any]:
    """An event as JSON-ready values: the envelope in camelCase, data as recorded."""
    record: dict[str, Any] = {}
    if with_position:
        record["notificationId"] = event.position
        record["aggregateId"] = str(event.aggregate_id)
    record |= {
        "version": event.version,
        "type": event.type,
        "timestamp": _builtins(event.timestamp),
        "actor": event.actor,
        "reference": event.reference,
        "requestId": event.request_id,
        "data": _builtins(event.data),
    }
    return record


def state_record(past: PastState) -> dict[str, Any]:
    return {
        "aggregateId": str(past.aggregate_id),
        "type": past.aggregate_type,
        "version": past.version,
        "latestVersion": past.latest_version,
        "createdOn": _builtins(past.created_on),
        "modifiedOn": _builtins(past.modified_on),
        "state": _builtins(past.state),
    }


# --- replay -------------------------------------------------------------------------------


def _print_report(report: ReplayReport, out: Console) -> None:
    out.print(
        f"Replayed {report.events:,} events (notifications up to {report.upto:,}) in "
        f"{report.seconds:.2f} s: {report.events_per_second:,.0f} events/s"
    )
    by_invariant: dict[Invariant, list[Any]] = {}
    for violation in report.violations:
        by_invariant.setdefault(violation.invariant, []).append(violation)
    rules = Table(title="Invariants")
    rules.add_column("invariant", style="bold", no_wrap=True)
    rules.add_column("rule", overflow="fold")
    rules.add_column("result", no_wrap=True)
    for invariant in Invariant:
        found = len(by_invariant.get(invariant, ()))
        result = Text(f"VIOLATED ({found})", style="red") if found else Text("holds", "green")
        rules.add_row(invariant.value, invariant.rule, result)
    out.print(rules)
    if report.violations:
        table = Table(title="Violations")
        table.add_column("invariant", style="red", no_wrap=True)
        table.add_column("what", overflow="fold")
        for invariant, violations in by_invariant.items():
            for violation in violations[:SHOWN_VIOLATIONS]:
                table.add_row(invariant.value, violation.detail)
            if len(violations) > SHOWN_VIOLATIONS:
                table.add_row(invariant.value, f"and {len(violations) - SHOWN_VIOLATIONS} more")
        out.print(table)
    if report.read_models:
        models = Table(title="Read models, rebuilt from the log")
        models.add_column("read model", style="bold", no_wrap=True)
        models.add_column("result", no_wrap=True)
        models.add_column("detail", overflow="fold")
        for model in report.read_models:
            result = Text("equal", "green") if model.equal else Text("DIFFERS", "red")
            detail = model.detail + ("; replaced with the rebuilt one" if model.rebuilt else "")
            models.add_row(model.name, result, detail)
        out.print(models)
    else:
        out.print("No read models are configured: nothing to rebuild.", style="dim")
    if report.ok:
        out.print("All invariants hold.", style="green")
    else:
        differing = [m.name for m in report.read_models if not (m.equal or m.rebuilt)]
        failures = [i.value for i in report.broken()]
        if differing:
            failures.append(f"read models differ from the log ({', '.join(differing)})")
        out.print(f"AUDIT FAILED: {'; '.join(failures)}", style="red")


# --- export -------------------------------------------------------------------------------


def _export(audit: Audit, args: argparse.Namespace, err: Console) -> int:
    events = audit.export(since=args.since, until=args.until, types=args.types)
    count = 0
    with _output(args.output) as stream:
        if args.format == "jsonl":
            for event in events:
                stream.write(_encoder.encode(event_record(event)).decode() + "\n")
                count += 1
        else:
            writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for event in events:
                record = event_record(event)
                record["data"] = _encoder.encode(record["data"]).decode()
                writer.writerow(record)
                count += 1
    err.print(f"exported {count:,} events" + (f" to {args.output}" if args.output else ""))
    return 0


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with path.open("w", encoding="utf-8", newline="") as stream:
        yield stream


# --- helpers ------------------------------------------------------------------------------


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} events/s", style="cyan")


def _with_progress(err: Console, what: str, work: Callable[[Advance], R]) -> R:
    with Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=not err.is_terminal,
    ) as progress:
        task = progress.add_task(what, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return work(advance)


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _compact(value: Any) -> str:
    return _encoder.encode(_builtins(value)).decode()


def _print_json(out: Console, value: Any) -> None:
    out.file.write(msgspec.json.format(_encoder.encode(value), indent=2).decode() + "\n")


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
