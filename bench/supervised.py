"""The reliability run's second part: `tickets serve --workers 2` as an operator runs it, its
worker supervised, its /metrics one for the whole service.

On the database the first part left: payments through both HTTP processes while /metrics is
scraped over fresh connections (no counter may go down between scrapes), the worker SIGKILLed
(readiness must say so, serve must start another, and the emails of payments made while it was
down must be sent), then SIGTERM.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.support.service import ROOT, bearer
from tests.support.stripe_events import checkout_completed, signed

COUNTER = re.compile(r"^(tickets_[a-z_]+_total)(\{[^}]*\})? ([0-9.e+]+)$", re.M)


@dataclass
class Finding:
    name: str
    expected: str
    observed: str
    ok: bool


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of a process's children."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            except FileNotFoundError:
                continue
            found.append((int(child), cmdline.decode(errors="replace")))
    return found


def worker_pid(serve: int) -> int | None:
    return next((pid for pid, cmd in children(serve) if " worker" in cmd), None)


def counters(text: str) -> dict[str, float]:
    return {name + (labels or ""): float(value) for name, labels, value in COUNTER.findall(text)}


def until(condition: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until ``condition`` held (to 0.01 s), or None if it did not within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return round(time.monotonic() - started, 2)
        time.sleep(0.1)
    return None


class Service:
    def __init__(self, port: int, env: dict[str, str], workdir: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.secret = env["STRIPE_WEBHOOK_SECRET"]
        self.outbox = Path(env["EMAIL_OUTBOX_DIR"])
        self.log = (workdir / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "entrypoints.cli",
                "serve",
                "--workers",
                "2",
                "--port",
                f"{port}",
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env, "LOG_LEVEL": "INFO"},
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def ready(self) -> bool:
        return self.get("/health/ready") == 200

    def get(self, path: str) -> int:
        try:
            return httpx.get(self.base + path, timeout=2).status_code
        except httpx.HTTPError:
            return 0

    def scrape(self) -> dict[str, float]:
        # A fresh connection each time: either HTTP process may answer.
        return counters(httpx.get(self.base + "/metrics", timeout=5).text)

    def paid_order(self, user: str) -> str:
        """A dancer's order, paid: the ticket email follows (from the worker)."""
        with httpx.Client(base_url=self.base, timeout=30) as client:
            headers = bearer(user)
            profile = {"name": f"Dancer {user}", "email": f"{user}@example.no"}
            assert client.put("/api/me/profile", json=profile, headers=headers).is_success
            body = {"periodCode": "2026-fall", "registrations": [{"trackCode": "salsa1"}]}
            order: dict[str, Any] = client.post("/api/orders", json=body, headers=headers).json()
            payload, signature = signed(
                checkout_completed(order["orderId"], order["totalCents"]), self.secret
            )
            response = client.post(
                "/api/webhooks/stripe",
                content=payload,
                headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
            )
            assert response.status_code == 200, response.text
        return user

    def emailed(self, user: str) -> bool:
        return any(f"{user}@example.no" in p.read_text(errors="replace") for p in self.emails())

    def emails(self) -> list[Path]:
        return sorted(self.outbox.glob("*.eml")) if self.outbox.exists() else []

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def run(port: int, env: dict[str, str], workdir: Path, scrapes: int = 120) -> list[Finding]:
    findings: list[Finding] = []

    def check(name: str, expected: object, observed: object, ok: bool) -> None:
        findings.append(Finding(name, str(expected), str(observed), ok))

    service = Service(port, env, workdir)
    try:
        started = until(service.ready, 90)
        check(
            "serve --workers 2 ready",
            "< 90 s",
            f"{started:.1f} s" if started else "no",
            bool(started),
        )
        if not started:
            return findings

        # Scrapes between payments: a counter seen lower than before is a lie.
        drops, last = 0, service.scrape()
        for n in range(scrapes):
            if n % 10 == 0:
                service.paid_order(f"scraped-{n}")
            now = service.scrape()
            drops += sum(1 for key, value in last.items() if now.get(key, 0.0) < value)
            last = {**last, **now}
        check(f"counters going down over {scrapes} scrapes", 0, drops, drops == 0)
        paid = len(range(0, scrapes, 10))
        issued = last.get("tickets_issued_total", 0.0)
        check("  tickets_issued_total of both processes", f">= {paid}", issued, issued >= paid)

        # The worker SIGKILLed: readiness says so, serve starts another, nothing is lost.
        first = worker_pid(service.process.pid)
        check("serve runs a worker process", "a pid", first, first is not None)
        if first is None:
            return findings
        os.kill(first, signal.SIGKILL)
        down = until(lambda: not service.ready(), 15)
        check("/health/ready 503 after the worker died", "< 15 s", down, down is not None)
        late = [service.paid_order(f"while-down-{n}") for n in range(3)]
        back = until(service.ready, 60)
        second = worker_pid(service.process.pid)
        restarted = down is not None and back is not None
        check("worker restarted, ready again", "< 60 s", back, restarted)
        check("  a new worker pid", f"not {first}", second, second not in (None, first))
        sent = until(lambda: all(service.emailed(user) for user in late), 60)
        check("emails of payments while it was down", "sent", sent, sent is not None)
    finally:
        code = service.stop()
        check("SIGTERM: serve exits 0", 0, code, code == 0)
    return findings
