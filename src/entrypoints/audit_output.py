"""What ``tickets audit`` prints and writes: event and state records, the replay's report,
the export's JSON lines and CSV, and the progress of a read of the whole log."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import msgspec
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

from application.audit.auditing import AuditEvent, PastState
from application.audit.digest import Progress as Advance
from application.audit.invariants import Invariant
from application.audit.replay import ReplayReport

R = TypeVar("R")

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

_encoder = msgspec.json.Encoder()


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


def report_record(report: ReplayReport) -> dict[str, Any]:
    """The replay's report as ``--json`` prints it: every violation, none cut short."""
    return {
        "ok": report.ok,
        "events": report.events,
        "upto": report.upto,
        "seconds": round(report.seconds, 3),
        "invariants": {
            invariant.value: sum(1 for v in report.violations if v.invariant is invariant)
            for invariant in Invariant
        },
        "violations": [
            {"invariant": v.invariant.value, "detail": v.detail} for v in report.violations
        ],
        "read_models": [
            {"name": m.name, "equal": m.equal, "rebuilt": m.rebuilt, "detail": m.detail}
            for m in report.read_models
        ],
    }


def print_report(report: ReplayReport, out: Console) -> None:
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


def export(events: Iterable[AuditEvent], fmt: str, path: Path | None, err: Console) -> None:
    """Writes ``events`` as JSON lines (``fmt`` jsonl) or CSV to ``path``, else stdout."""
    count = 0
    with _output(path) as stream:
        if fmt == "jsonl":
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
    err.print(f"exported {count:,} events" + (f" to {path}" if path else ""))


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with path.open("w", encoding="utf-8", newline="") as stream:
        yield stream


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} events/s", style="cyan")


def with_progress(err: Console, what: str, work: Callable[[Advance], R]) -> R:
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


def compact(value: Any) -> str:
    return _encoder.encode(_builtins(value)).decode()


def print_json(out: Console, value: Any) -> None:
    out.file.write(msgspec.json.format(_encoder.encode(value), indent=2).decode() + "\n")


def shown_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
