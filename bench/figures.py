"""The suite's measurements, each one over HTTP from wrk (or the outbox) against `tickets serve`,
three runs after a warm-up, with the baseline measured in the same run."""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from reportlab.lib.pagesizes import A6
from reportlab.pdfgen.canvas import Canvas
from tests.support.service import WEBHOOK_SECRET
from tests.support.stripe_events import checkout_completed, signature_header

from adapters.pdf_ticket import REGULAR, PdfTicketRenderer
from adapters.persistence.eventstore import migrate, open_store
from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from application.tickets.ports import TicketDocument, TokenClaims
from bench import data
from bench.harness import (
    ROOT,
    Load,
    Process,
    Server,
    bench_env,
    failures,
    log,
    postgres_schema,
    serving,
    spread,
    wrk,
)
from domain.person import Person
from domain.shared import Cause
from entrypoints.settings import Settings


@dataclass(frozen=True)
class Knobs:
    runs: int = 3
    seconds: float = 5.0  # per run of a steady route (/health, repeat scans, ticket routes)
    warmup: float = 1.0  # seconds before the runs, not counted
    scan_seconds: float = 3.0  # per run of first scans: each needs a ticket of its own
    scan_capacity: int = 1200  # first scans per second prepared for (tickets made)
    webhook_seconds: float = 3.0  # per run of payments (one connection)
    webhook_capacity: int = 400  # payments per second prepared for (orders placed)
    email_orders: int = 20  # paced payments per run, each timed until its .eml is on disk
    email_batch: int = 100  # emails per run of the worker's throughput
    pdf_tickets: int = 100  # PDFs per run of the renderer
    replay_events: int = 1_000_000


class FigureFailed(RuntimeError):
    """A wrong answer, not a figure."""


def _checked(run: dict[str, Any], what: str) -> dict[str, Any]:
    problem = failures(run)
    if problem:
        raise FigureFailed(f"{what}: {problem}")
    return run


def _rates(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "per_second": spread([r["per_second"] for r in runs]),
        "p50_ms": spread([r["latency_ms"]["p50"] for r in runs]),
        "p99_ms": spread([r["latency_ms"]["p99"] for r in runs]),
        "answers": sum(r["ok"] for r in runs),
        "raw": runs,
    }


# --- door scans and ticket routes: one `tickets serve --workers 2` ------------------------------

REPEAT_CAPACITY = 8000  # repeat scans per second prepared for
REPEAT_TICKETS = 200  # kept apart from the first scans' tickets, checked in before the runs


def _scan_each(base_url: str, device: tuple[str, str], tokens: list[str]) -> list[str]:
    """Scans each token once (8 at a time, not measured); every answer must be ``ok``."""

    def scan(token: str) -> str:
        response = client.post("/api/checkin/scan", json={"token": token}, headers=[device])
        return str(response.json().get("result")) if response.status_code == 200 else response.text

    with httpx.Client(base_url=base_url, timeout=60) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(scan, tokens))
    if set(answers) != {"ok"}:
        raise FigureFailed(f"checking in the repeat scans' tickets: {sorted(set(answers))[:3]}")
    return tokens


def door_and_routes(knobs: Knobs, work: Path) -> dict[str, Any]:
    """/health, first scans, repeat scans, the JSON ticket and the PDF download, alternated."""
    with postgres_schema() as url:
        env = bench_env(url, work)
        with serving(env, work) as server:
            setup = data.through_api(server.url)
            per_run = round(knobs.scan_capacity * knobs.scan_seconds)
            warm = round(knobs.scan_capacity * knobs.warmup)
            history = data.History(env, setup.period_id)
            try:
                started = time.perf_counter()
                tokens = history.tickets(warm + per_run * knobs.runs + REPEAT_TICKETS)
                log(f"  {len(tokens)} tickets recorded in {time.perf_counter() - started:.0f} s")
            finally:
                history.close()
            server.wait_for_followers()
            return _door_runs(server, setup, tokens, warm, per_run, knobs, work)


def _door_runs(
    server: Server,
    setup: data.Setup,
    tokens: list[str],
    warm: int,
    per_run: int,
    knobs: Knobs,
    work: Path,
) -> dict[str, Any]:
    device, dancer = setup.device_header, setup.dancer_header

    def first_scans(chunk: list[str], name: str) -> Load:
        lines = data.write_lines(work / f"{name}.txt", data.scan_lines(chunk))
        return Load("/api/checkin/scan", '"result":"ok"', device, lines, "X-Request-ID")

    def repeat_scans(checked_in: list[str]) -> Load:  # each line sent once: made long enough
        count = round(REPEAT_CAPACITY * max(knobs.seconds, knobs.warmup))
        cycled = [checked_in[n % len(checked_in)] for n in range(count)]
        lines = data.write_lines(work / "repeat.txt", data.scan_lines(cycled))
        return Load(
            "/api/checkin/scan", '"result":"already_checked_in"', device, lines, "X-Request-ID"
        )

    steady = {
        "health": Load("/health", '"status":"ok"'),
        "ticket_json": Load(f"/api/tickets/{data.PERIOD}", '"qrToken"', dancer),
        "ticket_pdf": Load(f"/api/tickets/download/{setup.dancer_ticket_id}", "%PDF", dancer),
    }
    log("  warm-up")
    for load in steady.values():  # the PDF is rendered here: the runs download a rendered one
        wrk(server.url, load, knobs.warmup)
    _checked(wrk(server.url, first_scans(tokens[:warm], "warm"), knobs.warmup), "warm-up scans")
    # Checked in once, each answer seen: the tickets the repeat scans cycle through.
    checked_in = _scan_each(server.url, device, tokens[-REPEAT_TICKETS:])
    repeat = repeat_scans(checked_in)
    server.wait_for_followers()
    runs: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("health", "first_scan", "repeat_scan", "ticket_json", "ticket_pdf")
    }
    for n in range(knobs.runs):
        log(f"  round {n + 1} of {knobs.runs}")
        runs["health"].append(_checked(wrk(server.url, steady["health"], knobs.seconds), "health"))
        chunk = tokens[warm + n * per_run : warm + (n + 1) * per_run]
        first = wrk(server.url, first_scans(chunk, f"first-{n}"), knobs.scan_seconds)
        runs["first_scan"].append(_checked(first, "first scans"))
        server.wait_for_followers()  # the check-ins followed before the next run
        runs["repeat_scan"].append(_checked(wrk(server.url, repeat, knobs.seconds), "repeat scans"))
        for name in ("ticket_json", "ticket_pdf"):
            runs[name].append(_checked(wrk(server.url, steady[name], knobs.seconds), name))
    return {name: _rates(values) for name, values in runs.items()}


# --- payments: `--no-worker`, then the worker's emails/s; with the worker, then email latency ----


def _orders(env: dict[str, str], setup: data.Setup, count: int) -> list[tuple[str, int]]:
    history = data.History(env, setup.period_id, seed=11)
    try:
        return history.pending_orders(count)
    finally:
        history.close()


def _payment_runs(
    server: Server, orders: list[tuple[str, int]], knobs: Knobs, work: Path
) -> dict[str, Any]:
    """Webhooks on one connection (each a payment of its own) beside /health on one connection."""
    per_run = round(knobs.webhook_capacity * knobs.webhook_seconds)
    warm = round(knobs.webhook_capacity * knobs.warmup)
    health = Load("/health", '"status":"ok"')

    def payments(chunk: list[tuple[str, int]], name: str) -> Load:
        lines = data.write_lines(work / f"{name}.txt", data.webhook_lines(chunk))  # signed now
        return Load("/api/webhooks/stripe", '"received":true', None, lines, "Stripe-Signature")

    one = {"threads": 1, "connections": 1}
    wrk(server.url, health, knobs.warmup, **one)
    warmed = wrk(server.url, payments(orders[:warm], "pay-warm"), knobs.warmup, **one)
    # One connection: the answered payments are among the file's first lines (wrk asks its
    # script for one request more than it sends): the first `ok` but one were surely sent.
    paid = list(orders[1 : _checked(warmed, "warm-up")["ok"]])
    runs: dict[str, list[dict[str, Any]]] = {"health": [], "payment": []}
    for n in range(knobs.runs):
        runs["health"].append(_checked(wrk(server.url, health, knobs.seconds, **one), "health"))
        chunk = orders[warm + n * per_run : warm + (n + 1) * per_run]
        run = _checked(
            wrk(server.url, payments(chunk, f"pay-{n}"), knobs.webhook_seconds, **one), "payments"
        )
        runs["payment"].append(run)
        paid += chunk[1 : run["ok"]]
    _verify_paid(server.url, paid)
    return {name: _rates(values) for name, values in runs.items()} | {"paid_orders": len(paid)}


def _verify_paid(base_url: str, paid: list[tuple[str, int]]) -> None:
    """A 200 says nothing: a wrong payment is an alert. None, and a sample of orders PAID."""
    wrong = [a for a in data.alerts(base_url) if a["kind"] != "profile_missing"]
    if wrong:
        raise FigureFailed(f"payments raised alerts: {wrong[:3]}")
    for order_id, _ in random.sample(paid, min(30, len(paid))):
        if (status := data.order_status(base_url, order_id)) != "PAID":
            raise FigureFailed(f"order {order_id} is {status} after its payment")


def payments_no_worker(knobs: Knobs, work: Path) -> dict[str, Any]:
    """`serve --workers 2 --no-worker`: the webhook's own cost; then `tickets worker` sends the
    emails those payments queued, and the outbox's growth is the worker's throughput."""
    with postgres_schema() as url:
        env = bench_env(url, work)
        with serving(env, work, "--workers", "2", "--no-worker") as server:
            setup = data.through_api(server.url)
            need = round(
                knobs.webhook_capacity * (knobs.warmup + knobs.runs * knobs.webhook_seconds)
            )
            result = _payment_runs(server, _orders(env, setup, need), knobs, work)
        result["emails"] = _worker_throughput(env, work, knobs, result["paid_orders"])
    return result


def _outbox_count(outbox: Path) -> int:
    try:
        return sum(1 for entry in os.scandir(outbox) if entry.name.endswith(".eml"))
    except FileNotFoundError:
        return 0


def _worker_throughput(
    env: dict[str, str], work: Path, knobs: Knobs, queued: int
) -> dict[str, Any]:
    outbox = Path(env["EMAIL_OUTBOX_DIR"])
    before = _outbox_count(outbox)
    warm = max(10, knobs.email_batch // 5)
    batch = min(knobs.email_batch, (queued - warm) // knobs.runs)  # as many as were paid
    if batch < 5:
        raise FigureFailed(f"only {queued} payments queued emails: too few to time the worker")
    marks = [before + warm + n * batch for n in range(knobs.runs + 1)]
    worker = Process(["worker"], env, work / "worker.log").start()
    times: list[float] = []
    try:
        deadline = time.monotonic() + 300
        while len(times) < len(marks):
            if time.monotonic() > deadline:
                raise FigureFailed(
                    f"the worker sent {_outbox_count(outbox) - before} emails: {worker.logs()}"
                )
            if _outbox_count(outbox) >= marks[len(times)]:
                times.append(time.perf_counter())
                continue
            time.sleep(0.005)
    finally:
        worker.stop()
    rates = [batch / (b - a) for a, b in itertools.pairwise(times)]
    sample = next(p for p in outbox.iterdir() if p.suffix == ".eml").read_bytes()
    if b"application/pdf" not in sample:
        raise FigureFailed("the email has no PDF attached")
    return {
        "emails_per_second": spread(rates),
        "emails_per_run": batch,
        "email_kib": round(len(sample) / 1024, 1),
    }


def payments_with_worker(knobs: Knobs, work: Path) -> dict[str, Any]:
    """`serve --workers 2` (its worker in a process of its own): payment to .eml on disk, paced;
    then the webhooks again while the worker emails their tickets."""
    with postgres_schema() as url:
        env = bench_env(url, work / "with-worker")
        (work / "with-worker").mkdir(exist_ok=True)
        with serving(env, work / "with-worker") as server:
            setup = data.through_api(server.url)
            latency_orders = 3 + knobs.runs * knobs.email_orders
            need = round(
                knobs.webhook_capacity * (knobs.warmup + knobs.runs * knobs.webhook_seconds)
            )
            orders = _orders(env, setup, latency_orders + need)
            server.wait_for_followers()
            latency = _email_latency(
                server, Path(env["EMAIL_OUTBOX_DIR"]), orders[:latency_orders], knobs
            )
            result = _payment_runs(server, orders[latency_orders:], knobs, work)
    return result | {"email_latency": latency}


def _email_latency(
    server: Server, outbox: Path, orders: list[tuple[str, int]], knobs: Knobs
) -> dict[str, Any]:
    pacing = random.Random(4)
    on_disk: list[float] = []
    answered: list[float] = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.get("/health")
        for order_id, total in orders:
            time.sleep(pacing.uniform(0, 0.3))  # a payment comes at any moment of the worker
            before = _outbox_count(outbox)
            body = json.dumps(checkout_completed(order_id, total)).encode()
            headers = {
                "Stripe-Signature": signature_header(body, WEBHOOK_SECRET),
                "Content-Type": "application/json",
            }
            started = time.perf_counter()
            response = client.post("/api/webhooks/stripe", content=body, headers=headers)
            answered.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise FigureFailed(f"webhook answered {response.status_code}: {response.text}")
            while _outbox_count(outbox) <= before:
                if time.perf_counter() - started > 60:
                    raise FigureFailed("no email within 60 s of a payment")
                time.sleep(0.001)
            on_disk.append(time.perf_counter() - started)
    measured, webhook = on_disk[3:], answered[3:]
    size = knobs.email_orders
    chunks = [measured[i * size : (i + 1) * size] for i in range(knobs.runs)]
    return {
        "p50_ms": spread([statistics.median(c) * 1000 for c in chunks]),
        "webhook_p50_ms": spread(
            [
                statistics.median(webhook[i * size : (i + 1) * size]) * 1000
                for i in range(knobs.runs)
            ]
        ),
    }


# --- in-process figures: the renderer, the store's raw writes, the replay -----------------------


NAMES = ("Åse Øvergård", "Émilie Côté-Lefèvre", "Ёлена Ковалёва", "Ola Nordmann", "Zoë Ærø")


def _documents(count: int) -> list[TicketDocument]:
    signer = JwtTokenSigner(QrTokenConfig(secret=b"bench-secret-" + b"x" * 32))
    made = []
    for n in range(count):
        ticket_id = uuid.uuid4()
        claims = TokenClaims(
            ticket_id=ticket_id,
            period_id=uuid.uuid4(),
            person_id=uuid.uuid4(),
            version=1,
            issued_at=datetime(2026, 8, 20, 12, tzinfo=UTC),
            expires_at=datetime(2026, 12, 15, 23, tzinfo=UTC),
        )
        made.append(
            TicketDocument(
                ticket_id=ticket_id,
                token=signer.sign(claims),
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
                locale="nb",
            )
        )
    return made


def _median_ms(action: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def pdf_render(knobs: Knobs) -> dict[str, Any]:
    """The ticket PDF as the worker renders it (what pretix's figure is: its renderer's call),
    beside a one-line page with the same font (reportlab itself)."""
    renderer = PdfTicketRenderer()  # fonts registered: not part of a ticket's cost
    docs = _documents(knobs.pdf_tickets * knobs.runs + 5)
    for doc in docs[:5]:
        renderer.render_pdf(doc)

    def one_line_page() -> bytes:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A6, initialFontName=REGULAR, initialFontSize=9)
        canvas.drawString(20, 200, "Åse Øvergård · Fall 2026")
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    tickets, baseline = [], []
    queue = iter(docs[5:])
    for _ in range(knobs.runs):
        baseline.append(_median_ms(one_line_page, knobs.pdf_tickets))
        tickets.append(_median_ms(lambda: renderer.render_pdf(next(queue)), knobs.pdf_tickets))
    return {"ms": spread(tickets), "baseline_ms": spread(baseline)}


RAW_EVENTS = 100_000  # made before the raw writes, enough for ~6,000 a second


def raw_store_writes(knobs: Knobs) -> dict[str, Any]:
    """The event store's recorder alone: one event per transaction from 8 threads (its table
    lock per insert is the ceiling of anything that writes), and on one connection."""
    with postgres_schema() as url:
        settings = Settings.from_env(bench_env(url, Path(tempfile.gettempdir())))
        migrate(settings.database)
        store = open_store(settings.database)
        try:
            cause = Cause("bench", "req-bench")
            events = [
                store.mapper.to_stored_event(e)
                for n in range(RAW_EVENTS)
                for e in Person.register(
                    user_id=f"raw-{n}", name="Raw", email="raw@example.no", phone=None, cause=cause
                ).collect_events()
            ]
            feed = iter(events)
            lock = threading.Lock()

            def writes(threads: int, seconds: float) -> dict[str, float]:
                latencies: list[float] = []
                stop = time.perf_counter() + seconds

                def writer() -> None:
                    mine = []
                    while time.perf_counter() < stop:
                        with lock:
                            event = next(feed, None)
                        if event is None:
                            raise FigureFailed(f"{RAW_EVENTS} events were too few for the runs")
                        began = time.perf_counter()
                        store.recorder.insert_events([event])
                        mine.append(time.perf_counter() - began)
                    with lock:
                        latencies.extend(mine)

                pool = [threading.Thread(target=writer) for _ in range(threads)]
                began = time.perf_counter()
                for thread in pool:
                    thread.start()
                for thread in pool:
                    thread.join()
                elapsed = time.perf_counter() - began
                if not latencies:
                    raise FigureFailed("no raw write was timed")
                return {
                    "per_second": len(latencies) / elapsed,
                    "p50_ms": statistics.median(latencies) * 1000,
                }

            writes(8, knobs.warmup)
            eight = [writes(8, knobs.scan_seconds) for _ in range(knobs.runs)]
            one = [writes(1, knobs.scan_seconds) for _ in range(knobs.runs)]
        finally:
            store.close()
    return {
        "per_second_8": spread([r["per_second"] for r in eight]),
        "p50_ms_1": spread([r["p50_ms"] for r in one]),
    }


def replay(knobs: Knobs) -> dict[str, Any]:
    """The replay helper's own bench (`python -m bench.replay`), on PostgreSQL; its figures."""
    command = [
        sys.executable,
        "-m",
        "bench.replay",
        "--events",
        str(knobs.replay_events),
        "--stores",
        "postgres",
        "--table-only",  # its diagnostics (the recorder's pages, invariants only) take minutes
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise FigureFailed(f"bench.replay failed: {done.stderr.strip().splitlines()[-1:]}")
    result: dict[str, Any] = json.loads((ROOT / "bench/out/replay.json").read_text())[
        f"postgres_{knobs.replay_events}"
    ]
    return result
