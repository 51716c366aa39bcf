"""Benchmark: one fulfilment (signed webhook to 200) against a real `tickets serve` process.

Reports the median and p95 of N paid orders, on SQLite and PostgreSQL, each as a ratio against
`GET /health` on the same server in the same run (the cost of HTTP itself).

    .venv/bin/python -m bench.fulfilment [--orders 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from tests.integration.conftest import PG_ADMIN, Api, ServerProcess, service_env
from tests.stripe_events import checkout_completed


def measure(database_url: str, orders: int, workdir: Path, *serve_args: str) -> dict[str, float]:
    server = ServerProcess(service_env(database_url), workdir).start(*serve_args)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            api.schedule()
            placed = []
            for n in range(orders):
                api.profile(f"bench-{n}")
                placed.append(api.order(f"bench-{n}", "salsa1"))
            health = []
            for _ in range(orders):
                started = time.perf_counter()
                client.get("/health")
                health.append(time.perf_counter() - started)
            webhook = []
            for order in placed:
                payload = checkout_completed(order["orderId"], order["totalCents"])
                started = time.perf_counter()
                response = api.webhook(payload)
                webhook.append(time.perf_counter() - started)
                assert response.status_code == 200
    finally:
        server.stop()
    median, base = statistics.median(webhook), statistics.median(health)
    return {
        "orders": orders,
        "fulfilment_median_ms": round(median * 1000, 2),
        "fulfilment_p95_ms": round(statistics.quantiles(webhook, n=20)[18] * 1000, 2),
        "health_median_ms": round(base * 1000, 2),
        "ratio_to_health": round(median / base, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        # With the worker in the process (emails, scan index: the default), and without it
        # (the webhook's own cost, as with `tickets worker` in a process of its own).
        for mode, serve_args in (("", ()), ("_no_worker", ("--no-worker",))):
            sqlite = f"sqlite:///{tmp}/bench{mode}.sqlite3"
            results[f"sqlite{mode}"] = measure(sqlite, args.orders, Path(tmp), *serve_args)
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            try:
                postgres = f"{PG_ADMIN}?schema={schema}"
                results[f"postgres{mode}"] = measure(postgres, args.orders, Path(tmp), *serve_args)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "fulfilment.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
