"""`python -m bench`: the benchmark suite of issue 13, one table in bench/RESULTS.md.

Every figure is measured against a real `tickets serve` (PostgreSQL, a schema of its own,
dropped after) by wrk from a process of its own, after a warm-up, three runs, each beside its
baseline from the same run; pretix beside it (`--anchor pretix`: measured now; otherwise its
newest reference run). Raw figures in bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import figures, pretix, report
from bench.harness import ROOT, log, machine

QUICK = figures.Knobs(
    seconds=1,
    warmup=1,
    scan_seconds=1,
    scan_capacity=600,
    webhook_seconds=1,
    webhook_capacity=300,
    email_orders=5,
    email_batch=20,
    pdf_tickets=20,
    replay_events=20_000,
)
FIGURES = ("door", "raw_writes", "pdf", "no_worker", "with_worker", "replay")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, small data (a check)")
    parser.add_argument(
        "--anchor",
        choices=("pretix", "reference"),
        default="reference",
        help="pretix: run the pretix anchor in this run (~4 min); reference: its newest kept run",
    )
    parser.add_argument("--only", help=f"a comma list of {','.join(FIGURES)}")
    parser.add_argument(
        "--results", type=Path, help="the Markdown table (default bench/RESULTS.md)"
    )
    for knob in fields(figures.Knobs):
        parser.add_argument(
            f"--{knob.name.replace('_', '-')}",
            type=type(knob.default),
            help=f"default {knob.default} ({getattr(QUICK, knob.name)} with --quick)",
        )
    args = parser.parse_args(argv)
    knobs = QUICK if args.quick else figures.Knobs()
    chosen = {k.name: getattr(args, k.name) for k in fields(figures.Knobs)}
    knobs = replace(knobs, **{k: v for k, v in chosen.items() if v is not None})
    only = args.only.split(",") if args.only else list(FIGURES)
    started = time.perf_counter()
    out = ROOT / "bench/out"
    out.mkdir(parents=True, exist_ok=True)
    target = args.results or (out / "RESULTS.quick.md" if args.quick else ROOT / "bench/RESULTS.md")
    raw = target.with_suffix(".json") if args.results else out / "results.json"
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "quick": args.quick,
        "knobs": asdict(knobs),
        "failed": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        steps = {
            "door": lambda: figures.door_and_routes(knobs, work),
            "raw_writes": lambda: figures.raw_store_writes(knobs),
            "pdf": lambda: figures.pdf_render(knobs),
            "no_worker": lambda: figures.payments_no_worker(knobs, work),
            "with_worker": lambda: figures.payments_with_worker(knobs, work),
            "replay": lambda: figures.replay(knobs),
        }
        for name in only:
            log(f"{name}")
            began = time.perf_counter()
            try:
                results[name] = steps[name]()
            except (figures.FigureFailed, RuntimeError) as error:
                log(f"{name} FAILED: {error}")
                results["failed"][name] = str(error)[-500:]  # the error's own last line
            results.setdefault("seconds", {})[name] = round(time.perf_counter() - began, 1)
            raw.write_text(json.dumps(results, indent=1, default=str))
            results["wall_seconds"] = time.perf_counter() - started  # the table so far
            target.write_text(report.markdown(results, _fallback()))
    anchor = None
    try:
        if args.anchor == "pretix":
            log("pretix anchor (parts a, b, c)")
            anchor = pretix.measure(out / "pretix.log")
        else:
            anchor = pretix.reference()
    except RuntimeError as error:
        log(f"pretix: {error}")
        results["failed"]["pretix"] = str(error)
        anchor = None if args.anchor == "reference" else _fallback()
    results["pretix"] = anchor
    results["wall_seconds"] = time.perf_counter() - started
    raw.write_text(json.dumps(results, indent=1, default=str))
    table = report.markdown(results, anchor)
    target.write_text(table)
    print(table)
    log(f"table in {target}; wall time {results['wall_seconds'] / 60:.1f} min")
    return 1 if results["failed"] else 0


def _fallback() -> dict[str, Any] | None:
    try:
        return pretix.reference()
    except RuntimeError:
        return None


if __name__ == "__main__":
    sys.exit(main())
