"""Benchmark: ticket emails on the file backend, on SQLite and PostgreSQL.

1. Latency: a real `tickets serve` process (its worker in a background thread, default poll)
   takes a signed webhook at a random moment; the time until the ticket's .eml is on disk,
   median and p95 of N, as a ratio against the webhook's own answer time in the same run.
2. Throughput: the worker drains M issued tickets (template, QR PNG, PDF, MIME, file, recorded
   `Emailed`): emails/s, as a ratio against writing the same .eml bytes straight to disk.

    .venv/bin/python -m bench.email_worker [--tickets 30] [--batch 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from litestar.testing import TestClient
from tests.integration.conftest import PG_ADMIN, Api, ServerProcess, service_env
from tests.stripe_events import checkout_completed

from adapters.persistence.eventstore import migrate
from entrypoints.bootstrap import build, build_worker
from entrypoints.http.app import create_app
from entrypoints.settings import Settings


def latency(database_url: str, tickets: int, workdir: Path) -> dict[str, float]:
    outbox = workdir / f"outbox-{uuid.uuid4().hex[:6]}"
    server = ServerProcess(service_env(database_url, EMAIL_OUTBOX_DIR=str(outbox)), workdir)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            api.schedule()
            placed = []
            for n in range(tickets):
                api.profile(f"bench-{n}")
                placed.append(api.order(f"bench-{n}", "salsa1"))
            answered, on_disk = [], []
            pacing = random.Random(4)
            for n, order in enumerate(placed):
                # Payments arrive at any moment of the worker's poll, not just after a pass.
                time.sleep(pacing.uniform(0, 0.5))
                payload = checkout_completed(order["orderId"], order["totalCents"])
                started = time.perf_counter()
                assert api.webhook(payload).status_code == 200
                answered.append(time.perf_counter() - started)
                while len(list(outbox.glob("*.eml"))) <= n:
                    if time.perf_counter() - started > 30:
                        raise RuntimeError("no email within 30 s")
                    time.sleep(0.002)
                on_disk.append(time.perf_counter() - started)
    finally:
        server.stop()
    median, base = statistics.median(on_disk), statistics.median(answered)
    return {
        "tickets": tickets,
        "webhook_to_email_median_ms": round(median * 1000, 1),
        "webhook_to_email_p95_ms": round(statistics.quantiles(on_disk, n=20)[18] * 1000, 1),
        "webhook_answer_median_ms": round(base * 1000, 2),
        "ratio_to_webhook_answer": round(median / base, 1),
    }


def throughput(database_url: str, count: int, workdir: Path) -> dict[str, float]:
    outbox = workdir / f"outbox-{uuid.uuid4().hex[:6]}"
    settings = Settings.from_env(service_env(database_url, EMAIL_OUTBOX_DIR=str(outbox)))
    migrate(settings.database)
    services = build(settings)
    with TestClient(create_app(services)) as client:
        api = Api(client)
        api.schedule()
        for n in range(count):
            api.profile(f"bench-{n}")
            assert api.pay(api.order(f"bench-{n}", "salsa1")).status_code == 200
    worker = build_worker(build(settings))
    started = time.perf_counter()
    while worker.run_once() or len(list(outbox.glob("*.eml"))) < count:
        pass
    elapsed = time.perf_counter() - started
    worker.close()
    # Baseline: the same bytes, written as the file backend writes them (aside, then renamed).
    emails = [path.read_bytes() for path in sorted(outbox.glob("*.eml"))]
    copy = workdir / f"copy-{uuid.uuid4().hex[:6]}"
    copy.mkdir()
    started = time.perf_counter()
    for n, data in enumerate(emails):
        partial = copy / f".{n}.partial"
        partial.write_bytes(data)
        os.replace(partial, copy / f"{n}.eml")
    baseline = time.perf_counter() - started
    return {
        "emails": count,
        "emails_per_second": round(count / elapsed, 1),
        "raw_writes_per_second": round(count / baseline, 1),
        "ratio_to_raw_writes": round(elapsed / baseline, 1),
        "mean_email_kib": round(sum(map(len, emails)) / len(emails) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sqlite = f"sqlite:///{tmp}/latency.sqlite3"
        results["sqlite"] = {"latency": latency(sqlite, args.tickets, work)}
        results["sqlite"]["throughput"] = throughput(
            f"sqlite:///{tmp}/throughput.sqlite3", args.batch, work
        )
        schemas = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        try:
            results["postgres"] = {
                "latency": latency(f"{PG_ADMIN}?schema={schemas[0]}", args.tickets, work),
                "throughput": throughput(f"{PG_ADMIN}?schema={schemas[1]}", args.batch, work),
            }
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "email_worker.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
