"""Benchmark: door scans against a real `tickets serve` process on PostgreSQL, 8 at a time.

Three loads on one server in one run, each as scans (requests) per second with p50 and p99
latency, and as a ratio against the first: `GET /health`, a bare Litestar route (the cost of
HTTP itself); the first scan of each ticket (`ok`: verify, index, event store load, save); a
scan of a ticket already in today (`already_checked_in`, answered by the worker's scan index).

    .venv/bin/python -m bench.scan [--tickets 300] [--repeats 3000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.integration.conftest import PG_ADMIN, Api, ServerProcess, bearer, service_env

from adapters.persistence.scan_index import SqlScanIndex
from adapters.persistence.store_config import StoreConfig

STAFF = bearer("bench-door", "staff")


def load(
    base_url: str, requests: Sequence[Callable[[httpx.Client], httpx.Response]], concurrency: int
) -> dict[str, Any]:
    """Runs the requests on ``concurrency`` keep-alive connections; their rate and latencies."""
    latencies: list[float] = []
    results: dict[str, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::concurrency] for i in range(concurrency)]
    start = threading.Barrier(concurrency + 1)

    def worker(chunk: Sequence[Callable[[httpx.Client], httpx.Response]]) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            client.get("/health")  # connect before the clock starts
            start.wait()
            mine, words = [], []
            for request in chunk:
                began = time.perf_counter()
                response = request(client)
                mine.append(time.perf_counter() - began)
                assert response.status_code == 200, response.text
                words.append(response.json().get("result") or response.json().get("status"))
        with lock:
            latencies.extend(mine)
            for word in words:
                results[word] = results.get(word, 0) + 1

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(worker, chunk) for chunk in chunks]
        start.wait()
        began = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "results": results,
    }


def scan_request(token: str) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post("/api/checkin/scan", json={"token": token}, headers=STAFF)


def sell_tickets(client: httpx.Client, tickets: int) -> list[str]:
    api = Api(client)
    today = date.today()
    api.schedule(
        "bench",
        startDate=(today - timedelta(days=30)).isoformat(),
        endDate=(today + timedelta(days=60)).isoformat(),
    )
    tokens = []
    for n in range(tickets):
        api.profile(f"bench-{n}")
        order = api.order(f"bench-{n}", "salsa1", period="bench")
        assert api.pay(order).status_code == 200
        tokens.append(api.ticket(f"bench-{n}", period="bench").json()["qrToken"])
    return tokens


def wait_for_index(database_url: str, server: ServerProcess, timeout: float = 120) -> None:
    """Until the server's worker has followed every event of the index's topics."""
    index = SqlScanIndex(StoreConfig(url=database_url))
    schema = database_url.rsplit("schema=", 1)[1]
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with psycopg.connect(PG_ADMIN) as conn:
                row = conn.execute(
                    f'SELECT max(notification_id) FROM "{schema}".tickets_events'
                    " WHERE topic = ANY(%s)",
                    (list(index.topics),),
                )
                last = row.fetchone()
            if last and index.position() >= (last[0] or 0):
                return
            time.sleep(0.2)
        raise AssertionError(f"the worker did not catch up: {server.logs()[-2000:]}")
    finally:
        index.close()


def measure(database_url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    env = service_env(database_url, TICKET_JWT_PRIVATE_KEY=pem.decode(), LOG_LEVEL="WARNING")
    server = ServerProcess(env, workdir).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            tokens = sell_tickets(client, args.tickets)
        wait_for_index(database_url, server)
        health = load(
            server.base_url,
            [lambda c: c.get("/health")] * args.repeats,
            args.concurrency,
        )
        first = load(server.base_url, [scan_request(t) for t in tokens], args.concurrency)
        wait_for_index(database_url, server)  # the check-ins, followed
        repeats = [scan_request(tokens[i % len(tokens)]) for i in range(args.repeats)]
        again = load(server.base_url, repeats, args.concurrency)
    finally:
        server.stop()
    assert first["results"] == {"ok": args.tickets}, first["results"]
    assert again["results"] == {"already_checked_in": args.repeats}, again["results"]
    for scans in (first, again):
        scans["ratio_per_second_to_health"] = round(scans["per_second"] / health["per_second"], 3)
        scans["ratio_p50_to_health"] = round(scans["p50_ms"] / health["p50_ms"], 1)
        scans["ratio_p99_to_health"] = round(scans["p99_ms"] / health["p99_ms"], 1)
    return {
        "concurrency": args.concurrency,
        "token_algorithm": "EdDSA",
        "health (bare Litestar route)": health,
        "first scan of a ticket (ok: event store)": first,
        "repeat scan (already_checked_in: scan index)": again,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = {"postgres": measure(f"{PG_ADMIN}?schema={schema}", Path(tmp), args)}
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "scan.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
