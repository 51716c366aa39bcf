"""Benchmark: PDF ticket rendering, and the JSON ticket route's throughput against a bare route.

1. The PDF: median and p95 render time over N tickets (real JWTs, varied names), as a ratio
   against the same run's baseline, a one-line A6 page with the same embedded font (the cost of
   reportlab itself). The QR encoding alone is reported too.
2. The routes: requests per second of `GET /api/tickets/{periodCode}` (authentication, rate
   limit, event store reads, token derivation and hash check) and of the PDF download, against
   `GET /health` (a bare Litestar route) on the same `tickets serve` process in the same run,
   on SQLite and PostgreSQL. Rate limits are raised out of the way.

    .venv/bin/python -m bench.pdf_and_ticket_route [--tickets 200] [--seconds 3] [--threads 8]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from reportlab.lib.pagesizes import A6
from reportlab.pdfgen.canvas import Canvas
from tests.integration.conftest import PG_ADMIN, Api, ServerProcess, bearer, service_env

from adapters.pdf_ticket import REGULAR, PdfTicketRenderer
from adapters.qr_code import qr_code
from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from application.ports import TicketDocument, TokenClaims

NAMES = ("Åse Øvergård", "Émilie Côté-Lefèvre", "Ёлена Ковалёва", "Ola Nordmann", "Zoë Ærø")


def documents(count: int) -> list[TicketDocument]:
    signer = JwtTokenSigner(QrTokenConfig(secret=b"bench-secret-" + b"x" * 32))
    made = []
    for n in range(count):
        ticket_id = uuid.uuid4()
        token = signer.sign(
            TokenClaims(
                ticket_id=ticket_id,
                period_id=uuid.uuid4(),
                person_id=uuid.uuid4(),
                version=1,
                issued_at=datetime(2026, 8, 20, 12, tzinfo=UTC),
                expires_at=datetime(2026, 12, 15, 23, tzinfo=UTC),
            )
        )
        made.append(
            TicketDocument(
                ticket_id=ticket_id,
                token=token,
                token_version=1,
                person_name=f"{NAMES[n % len(NAMES)]} {n}",
                period_code="2026-fall",
                period_name="Fall 2026",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 12, 15),
                timezone="Europe/Oslo",
                location="Dansestudio, Oslo",
                tracks=("Salsa 1", "Bachata 1"),
                view_url="https://tickets.example/tickets/x?key=k",
                pdf_url="https://tickets.example/api/tickets/download/x?key=k",
            )
        )
    return made


def timed(action: Callable[[], object], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def measure_pdf(count: int) -> dict[str, Any]:
    renderer = PdfTicketRenderer()  # registers the fonts: not part of a ticket's cost
    docs = documents(count)
    renderer.render_pdf(docs[0])  # warm-up

    def baseline_page() -> bytes:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A6, initialFontName=REGULAR, initialFontSize=9)
        canvas.drawString(20, 200, "Åse Øvergård · Fall 2026")
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    baseline = timed(baseline_page, count)
    queue = iter(docs)
    tickets = timed(lambda: renderer.render_pdf(next(queue)), count)
    codes = iter(docs)
    qr = timed(lambda: qr_code(next(codes).token), count)
    median, base = statistics.median(tickets), statistics.median(baseline)
    return {
        "tickets": count,
        "pdf_median_ms": round(median * 1000, 2),
        "pdf_p95_ms": round(statistics.quantiles(tickets, n=20)[18] * 1000, 2),
        "qr_encode_median_ms": round(statistics.median(qr) * 1000, 2),
        "baseline_one_line_page_median_ms": round(base * 1000, 2),
        "ratio_to_baseline": round(median / base, 1),
        "pdf_bytes": len(renderer.render_pdf(docs[0])),
    }


def throughput(
    base_url: str, path: str, headers: dict[str, str], seconds: float, threads: int
) -> float:
    """Requests per second of ``threads`` keep-alive clients hammering ``path``."""
    counts = [0] * threads
    failures: list[int] = []
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while time.perf_counter() < deadline:
                status = client.get(path).status_code
                if status != 200:
                    failures.append(status)
                    return
                counts[slot] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise AssertionError(f"{path} answered {failures[0]}")
    return sum(counts) / elapsed


def measure_routes(
    database_url: str, workdir: Path, seconds: float, threads: int
) -> dict[str, Any]:
    env = service_env(database_url, RATE_LIMIT_PER_MINUTE=str(10**9))
    server = ServerProcess(env, workdir).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            api.schedule()
            api.profile("bench-1")
            assert api.pay(api.order("bench-1", "salsa1", "bachata1")).status_code == 200
            ticket_id = api.ticket("bench-1").json()["ticketId"]
        user = bearer("bench-1")
        routes = {
            "health": ("/health", {}),
            "ticket_json": ("/api/tickets/2026-fall", user),
            "ticket_pdf": (f"/api/tickets/download/{ticket_id}", user),
        }
        for path, headers in routes.values():  # warm-up: connections, caches, JIT-free paths
            throughput(server.base_url, path, headers, 0.5, threads)
        # Alternated twice: a drift of the machine hits every route alike.
        rates: dict[str, list[float]] = {name: [] for name in routes}
        for _ in range(2):
            for name, (path, headers) in routes.items():
                rates[name].append(throughput(server.base_url, path, headers, seconds, threads))
    finally:
        server.stop()
    health, json_route, pdf_route = (statistics.mean(rates[n]) for n in routes)
    return {
        "threads": threads,
        "health_rps": round(health),
        "ticket_json_rps": round(json_route),
        "ticket_json_ratio_to_health": round(json_route / health, 2),
        "ticket_pdf_rps": round(pdf_route),
        "ticket_pdf_ratio_to_health": round(pdf_route / health, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    results: dict[str, Any] = {"pdf": measure_pdf(args.tickets)}
    print(json.dumps(results, indent=2), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        results["routes_sqlite"] = measure_routes(
            f"sqlite:///{tmp}/bench.sqlite3", Path(tmp), args.seconds, args.threads
        )
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            results["routes_postgres"] = measure_routes(
                f"{PG_ADMIN}?schema={schema}", Path(tmp), args.seconds, args.threads
            )
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "pdf_and_ticket_route.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
