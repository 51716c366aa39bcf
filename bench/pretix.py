"""The pretix anchor: measured in this run (`--anchor pretix`) or its newest reference run."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

ANCHOR = Path("/work/shared/anchors/pretix")
RUNS = Path("/tmp/pretix-bench/results")  # where run_all.sh writes each run
PARTS = ("a_checkin_wrk", "b_pdf", "c_confirm")  # what the table compares; (d) is skipped


def measure(log_path: Path) -> dict[str, Any]:
    """Runs the anchor now (parts a, b, c) and returns its summary: pretix in the same run."""
    started = time.time()
    with log_path.open("wb") as out:
        done = subprocess.run(
            [str(ANCHOR / "run_all.sh"), "--skip", "d"], stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        raise RuntimeError(f"the pretix anchor failed (see {log_path})")
    made = [p for p in RUNS.glob("*/summary.json") if p.stat().st_mtime >= started]
    if not made:
        raise RuntimeError(f"the pretix anchor wrote no summary (see {log_path})")
    return _figures(max(made, key=lambda p: p.stat().st_mtime), same_run=True)


def reference() -> dict[str, Any]:
    """The newest earlier run with every part the table uses: kept with the anchor, or made on
    this machine (its folder is read-only: runs stay in /tmp/pretix-bench)."""
    runs = [*(ANCHOR / "results").glob("*/summary.json"), *RUNS.glob("*/summary.json")]
    for summary in sorted(runs, key=lambda p: p.parent.name, reverse=True):
        if set(PARTS) <= set(json.loads(summary.read_text())["results"]):
            return _figures(summary, same_run=False)
    raise RuntimeError(f"no reference run of the pretix anchor in {ANCHOR / 'results'}")


def _figures(summary: Path, *, same_run: bool) -> dict[str, Any]:
    run = json.loads(summary.read_text())
    results = run["results"]
    confirm = {v["variant"]: v["ms_per_order"] for v in results["c_confirm"]["results"]}
    checkin = results["a_checkin_wrk"]
    return {
        "source": str(summary.parent),
        "same_run": same_run,
        "date": run["date"],
        "version": f"{run['pretix'][0]} (Django {run['pretix'][1]})",
        "checkin_per_second": checkin["req_per_s"],
        "checkin_p99_ms": checkin["latency_ms"]["p99"],
        "checkin_all_ok": checkin["not_ok"] == 0,
        "pdf_ms": results["b_pdf"]["renderer_ms_per_ticket"]["p50"],
        "mark_paid_no_mail_ms": confirm["no_mail"]["p50"],
        "mark_paid_mail_pdf_ms": confirm["mail_pdf"]["p50"],
    }
