"""bench/RESULTS.md: one table, a row per figure of issue 13, beside its baseline and target."""
# ruff: noqa: RUF001, RUF002 (the table is typeset: the signs are meant)

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str, str, str, str]
DOOR_ROWS = (  # measured on the door's server beside the first scans
    ("door scan, repeat (`already_checked_in`)", "≥ 0.5× `/health`"),
    ("`GET /api/tickets/{periodCode}`", "≥ 0.5× `/health`"),
    ("PDF download route (rendered ticket)", "≥ 0.3× `/health`"),
)


def _n(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _s(figure: dict[str, float], unit: str = "") -> str:
    """median [min–max] of the runs."""
    return f"{_n(figure['median'])}{unit} [{_n(figure['min'])}–{_n(figure['max'])}]"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def rows(r: dict[str, Any], pretix: dict[str, Any] | None) -> list[Row]:
    """The table's rows from the suite's results; a figure that failed says so."""
    out: list[Row] = []
    p = pretix or {}

    def failed(key: str, label: str, target: str) -> bool:
        if key in r.get("failed", {}):
            why = " ".join(str(r["failed"][key]).replace("|", "/").split())
            out.append((label, "", f"FAILED: {why}", "", "", target, "**not met**"))
            return True
        if key not in r:
            out.append((label, "", "not measured", "", "", target, "**not met**"))
            return True
        return False

    label, target = "door scan, first of the day (`ok`)", "≥ 20× pretix, p99 ≤ 30 ms"
    if failed("door", label, target):
        for label, target in DOOR_ROWS:  # one server measures these too: every row is shown
            failed("door", label, target)
    else:
        door = r["door"]
        first, health = door["first_scan"], door["health"]["per_second"]["median"]
        rate, p99 = first["per_second"]["median"], first["p99_ms"]["median"]
        ratio = rate / p["checkin_per_second"] if p else 0.0
        raw = r.get("raw_writes", {}).get("per_second_8")
        base = f"store writes {_n(raw['median'])}/s (8 threads)" if raw else ""
        out.append((
            label,
            f"{_n(p['checkin_per_second'])}/s, p99 {_n(p['checkin_p99_ms'])} ms" if p else "—",
            f"{_s(first['per_second'], '/s')}, p99 {_s(first['p99_ms'], ' ms')}",
            f"{base}; /health {_n(health)}/s",
            f"{ratio:.1f}× pretix" if p else "",
            target,
            _met(bool(p) and ratio >= 20 and p99 <= 30),
        ))  # fmt: skip
        for key, (label, target), share in zip(
            ("repeat_scan", "ticket_json", "ticket_pdf"), DOOR_ROWS, (0.5, 0.5, 0.3), strict=True
        ):
            figure = door[key]
            ratio = figure["per_second"]["median"] / health
            out.append((
                label,
                "—",
                f"{_s(figure['per_second'], '/s')}, p99 {_s(figure['p99_ms'], ' ms')}",
                f"/health {_s(door['health']['per_second'], '/s')}",
                f"{ratio:.2f}× /health",
                target,
                _met(ratio >= share),
            ))  # fmt: skip

    label, target = "PDF render", "≤ 12 ms, ≥ 5× pretix"
    if not failed("pdf", label, target):
        ms = r["pdf"]["ms"]["median"]
        ratio = p["pdf_ms"] / ms if p else 0.0
        out.append((
            label,
            f"{_n(p['pdf_ms'])} ms" if p else "—",
            _s(r["pdf"]["ms"], " ms"),
            f"one-line page {_s(r['pdf']['baseline_ms'], ' ms')}",
            f"{ratio:.1f}× pretix" if p else "",
            target,
            _met(bool(p) and ms <= 12 and ratio >= 5),
        ))  # fmt: skip

    label, target = "payment → paid order → tickets (no mail), `--no-worker`", "≥ 8× pretix"
    nw = None
    if not failed("no_worker", label, target):
        pay = r["no_worker"]["payment"]
        nw = pay["p50_ms"]["median"]
        ratio = p["mark_paid_no_mail_ms"] / nw if p else 0.0
        out.append((
            label,
            f"{_n(p['mark_paid_no_mail_ms'])} ms (in process)" if p else "—",
            f"{_s(pay['p50_ms'], ' ms')} (HTTP, 1 connection)",
            f"/health {_s(r['no_worker']['health']['p50_ms'], ' ms')}; "
            f"store write {_n(r['raw_writes']['p50_ms_1']['median'])} ms" if "raw_writes" in r
            else f"/health {_s(r['no_worker']['health']['p50_ms'], ' ms')}",
            f"{ratio:.1f}× pretix" if p else "",
            target,
            _met(bool(p) and ratio >= 8),
        ))  # fmt: skip

    label, target = "… the same with the worker running", "≤ 1.5× the `--no-worker` figure"
    if not failed("with_worker", label, target):
        pay = r["with_worker"]["payment"]
        ratio = pay["p50_ms"]["median"] / nw if nw else 0.0
        out.append((
            label,
            "—",
            _s(pay["p50_ms"], " ms"),
            f"/health {_s(r['with_worker']['health']['p50_ms'], ' ms')}",
            f"{ratio:.2f}× `--no-worker`" if nw else "",
            target,
            _met(bool(nw) and ratio <= 1.5),
        ))  # fmt: skip

    label, target = "payment → email with PDF on disk", "≥ 5× pretix; p50 ≤ 100 ms; ≥ 60 emails/s"
    if not failed("with_worker", label, target) and not failed("no_worker", label, target):
        latency = r["with_worker"]["email_latency"]
        rate = r["no_worker"]["emails"]["emails_per_second"]
        ms = latency["p50_ms"]["median"]
        ratio = p["mark_paid_mail_pdf_ms"] / ms if p else 0.0
        out.append((
            label,
            f"{_n(p['mark_paid_mail_pdf_ms'])} ms (mark paid, mail + PDF)" if p else "—",
            f"p50 {_s(latency['p50_ms'], ' ms')}; worker {_s(rate, ' emails/s')}",
            f"webhook answer {_s(latency['webhook_p50_ms'], ' ms')}",
            f"{ratio:.1f}× pretix" if p else "",
            target,
            _met(bool(p) and ratio >= 5 and ms <= 100 and rate["median"] >= 60),
        ))  # fmt: skip

    label, target = "replay 1M events", "≥ 50k events/s; peak RSS ≤ 300 MB"
    if not failed("replay", label, target):
        replay = r["replay"]
        rate, rss = replay["replay_events_per_s"], replay["replay_peak_rss_mb"]
        raw = replay.get("raw_select", {}).get("rows_per_s")
        out.append((
            f"replay {replay['events']:,} events",
            "no replay",
            f"{_n(rate)} events/s, peak RSS {_n(rss)} MB",
            f"raw SELECT {_n(raw)} rows/s" if raw else "",
            f"{replay.get('ratio_to_raw_select', 0):.2f}× raw SELECT" if raw else "",
            target,
            _met(rate >= 50_000 and rss <= 300),
        ))  # fmt: skip
    return out


def markdown(results: dict[str, Any], pretix: dict[str, Any] | None) -> str:
    m = results["machine"]
    if pretix is None:
        anchor = "pretix: not available (no reference run found)"
    elif pretix["same_run"]:
        anchor = f"pretix {pretix['version']}: measured in this run ({pretix['source']})"
    else:
        anchor = (
            f"pretix {pretix['version']}: **not measured in this run**; its newest reference run "
            f"({pretix['source']}, {pretix['date']}); `make bench ANCHOR=pretix` measures it too"
        )
    knobs = results["knobs"]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {results['date']}; suite wall time {results['wall_seconds'] / 60:.1f} min"
        f"{' (--quick)' if results['quick'] else ''}",
        f"- machine: {m['nproc']} cores ({m['cpu']}), {m['memory']}, Python {m['python']}, "
        f"PostgreSQL {m['postgresql']}, wrk {m['wrk']}; load average at start "
        f"{m['loadavg_at_start']}",
        f"- {anchor}",
        f"- method: `tickets serve --workers 2` (and `--no-worker` where the row says so) on "
        f"PostgreSQL in a schema of its own; HTTP figures by wrk (-t2 -c8; payments -t1 -c1) from "
        f"a process of its own, every answer checked (a wrong one fails the figure); "
        f"{knobs['warmup']:g} s warm-up not counted; each figure the median of {knobs['runs']} "
        f"runs [min–max], each run alternated with its `/health` baseline on the same server. "
        f"pretix figures are medians (p50) of its own run.",
        "",
        "| figure | pretix | ours | baseline (same run) | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results, pretix)]
    lines += ["", "Raw figures: `bench/out/results.json`. Re-run: `make bench` "
              "(`make bench ANCHOR=pretix` with pretix measured in the same run), "
              "`python -m bench --help` for the knobs.", ""]  # fmt: skip
    return "\n".join(lines)
