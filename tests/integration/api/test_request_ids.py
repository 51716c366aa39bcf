"""One request id through everything: responses, every log line, events, the worker's lines."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from application.payments.ports import StripeNotice
from entrypoints import logs
from entrypoints.bootstrap import build, build_worker
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.email_support import outbox, wait_for
from tests.support.fake_stripe import FakeStripe
from tests.support.service import (
    ADMIN,
    ROOT,
    Api,
    ServerProcess,
    bearer,
    free_port,
    service_env,
)

pytestmark = pytest.mark.integration

Lines = Callable[[], list[dict[str, Any]]]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """The service's log as it writes it (JSON lines), parsed; restored after the test."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.configure("INFO", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:] = handlers
    root.setLevel(level)


class ExplodingGateway:
    """A payment gateway with a bug: every webhook is a 500."""

    def start_checkout(self, request: Any) -> None:
        return None

    def parse_webhook(self, payload: bytes, signature: str | None) -> StripeNotice:
        raise RuntimeError("a bug in the gateway")


def test_every_answer_carries_a_request_id_and_leaves_one_access_line(
    tmp_path: Path, log_lines: Lines
) -> None:
    env = service_env(f"sqlite:///{tmp_path}/t.sqlite3", RATE_LIMIT_PER_MINUTE="1")
    settings = Settings.from_env(env)
    migrate(settings.database)
    services = build(settings, gateway=ExplodingGateway())
    asked: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", "/health", {}, 200),
        ("GET", "/no/such/route", {}, 404),
        ("DELETE", "/health", {}, 405),
        ("GET", "/api/me/profile", {}, 401),
        ("GET", "/api/tickets/2026-fall", bearer("u1"), 404),
        ("GET", "/api/tickets/2026-fall", bearer("u1"), 429),
        ("POST", "/api/webhooks/stripe", {"Stripe-Signature": "t=1,v1=00", **JSON}, 500),
        ("POST", "/api/admin/periods", {**ADMIN, "Content-Type": "text/plain"}, 415),
    ]
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        for n, (method, path, headers, status) in enumerate(asked):
            given = f"req-{n}.{method.lower()}"
            response = client.request(
                method, path, headers={**headers, "X-Request-ID": given}, content=b"{}"
            )
            assert response.status_code == status, (path, response.text)
            assert response.headers["x-request-id"] == given, path
        # Made up when the caller's is missing, too long or not plain characters.
        for bad in (None, b"x" * 129, b"two words", "ünïcode".encode("latin-1"), b"a\x01b"):
            headers = {} if bad is None else {"X-Request-ID": bad}
            response = client.get("/health", headers=headers)
            made = response.headers["x-request-id"]
            assert UUID(made).hex == made

    access = [line for line in log_lines() if line["event"] == "request"]
    by_id = {line["request_id"]: line for line in access}
    assert len(access) == len(asked) + 5 and len(by_id) == len(access)  # one line each
    assert by_id["req-0.get"] | {"duration_ms": 0} == {
        "event": "request",
        "request_id": "req-0.get",
        "method": "GET",
        "route": "/health",
        "status": 200,
        "duration_ms": 0,
        "user_id": None,
        "level": "info",
        "logger": "tickets.access",
        "timestamp": by_id["req-0.get"]["timestamp"],
    }
    assert by_id["req-1.get"]["route"] == "unmatched" and by_id["req-1.get"]["status"] == 404
    assert by_id["req-3.get"]["status"] == 401 and by_id["req-3.get"]["user_id"] is None
    assert [by_id[f"req-{n}.get"]["status"] for n in (4, 5)] == [404, 429]
    assert by_id["req-4.get"]["user_id"] == "u1"  # verified before the 404
    assert by_id["req-5.get"]["route"] == "/api/tickets/{periodCode}"
    assert by_id["req-6.post"]["status"] == 500
    # The 500's error line carries the same id, so the access line leads to the traceback.
    [error] = [line for line in log_lines() if line["event"] == "unhandled error"]
    assert error["request_id"] == "req-6.post" and "a bug in the gateway" in error["exception"]


def test_a_signed_links_key_never_reaches_the_log(tmp_path: Path, log_lines: Lines) -> None:
    settings = Settings.from_env(service_env(f"sqlite:///{tmp_path}/t.sqlite3"))
    migrate(settings.database)
    with TestClient(create_app(build(settings))) as client:
        ticket_id = "0b7c6a52-3c1e-4a8e-9d0b-5a7e2c4b9f10"
        page = client.get(f"/tickets/{ticket_id}?key=the-secret-view-key")
        pdf = client.get(f"/api/tickets/download/{ticket_id}?key=the-secret-view-key")
    assert page.status_code == pdf.status_code == 404
    written = json.dumps(log_lines())
    assert "the-secret-view-key" not in written and "key=" not in written
    access = [line for line in log_lines() if line["event"] == "request"]
    assert [line["route"] for line in access] == [
        "/tickets/{ticketId}",
        "/api/tickets/download/{ticketId}",
    ]
    assert {line["ticket_id"] for line in access} == {ticket_id}  # the id, not the key


def test_a_fulfilment_is_followed_by_its_request_id_through_the_api_and_the_worker(
    database_url: str, tmp_path: Path, log_lines: Lines, fake_stripe: FakeStripe
) -> None:
    env = service_env(database_url, EMAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    settings = Settings.from_env(env)
    migrate(settings.database)
    services = build(settings)
    worker = build_worker(services)
    with TestClient(create_app(services)) as client:
        api = Api(client)
        order = api.new_dancer_order()
        while worker.run_once():  # the worker has caught up: what it logs next is the payment's
            pass
        before = len(log_lines())

        body, signature = _signed_payment(order)
        response = client.post(
            "/api/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": signature, "X-Request-ID": "fulfil-42", **JSON},
        )
        assert response.status_code == 200
        api_lines = log_lines()[before:]
        for _ in range(5):
            worker.run_once()
        assert outbox(tmp_path / "outbox"), "the ticket email was not sent"
        worker_lines = log_lines()[before + len(api_lines) :]
        worker.close()
        ticket_id = UUID(worker_lines[-1]["ticket_id"])
        history = services.audit.history(ticket_id)

    steps = [line["event"] for line in api_lines]
    assert steps[0] == "fulfilment received" and steps[-1] == "request"
    assert "fulfilment ticket issued" in steps and "fulfilment recorded" in steps
    assert {line.get("request_id") for line in api_lines} == {"fulfil-42"}, api_lines
    # The handler's ids are on each line after it learnt them, and on the access line.
    assert {line.get("stripe_event_id") for line in api_lines[1:]} != {None}
    assert api_lines[-1]["order_id"] == order["orderId"]

    assert [line["event"] for line in worker_lines] == ["ticket email queued", "ticket emailed"]
    assert {line.get("request_id") for line in worker_lines} == {"fulfil-42"}, worker_lines
    # ... and in the events it caused: the ticket's, including the worker's own "emailed".
    assert [e.type for e in history][-1] == "Ticket.Emailed"
    assert {e.request_id for e in history} == {"fulfil-42"}


def _signed_payment(order: dict[str, Any]) -> tuple[bytes, str]:
    from tests.support.service import WEBHOOK_SECRET
    from tests.support.stripe_events import checkout_completed, signed

    return signed(checkout_completed(order["orderId"], order["totalCents"]), WEBHOOK_SECRET)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_ids_follow_one_fulfilment_across_the_api_and_worker_processes(
    database_url: str, tmp_path: Path
) -> None:
    """As deployed with several instances: ``serve --no-worker`` and ``worker`` on PostgreSQL,
    each writing JSON lines (the in-process worker is the test above, on both stores)."""
    env = service_env(database_url, EMAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    server = ServerProcess(env, tmp_path).start("--no-worker")
    worker_log = tmp_path / "worker.log"
    metrics_port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "worker", "--metrics-port", str(metrics_port)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
        cwd=tmp_path,
        stdout=worker_log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        api = Api(httpx.Client(base_url=server.base_url, timeout=30))
        order = api.new_dancer_order()
        body, signature = _signed_payment(order)
        response = api.client.post(
            "/api/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": signature, "X-Request-ID": "pay-7f3a", **JSON},
        )
        assert response.headers["x-request-id"] == "pay-7f3a"
        wait_for(lambda: outbox(tmp_path / "outbox"), 60, "the ticket email")
        time.sleep(0.3)  # the worker's last line about it is written after the send
        # The worker process serves its own counters (and the followers' lag) when asked to.
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert 'tickets_emails_sent_total{kind="issued"} 1.0' in scraped
        assert 'tickets_follower_behind_notifications{follower="ticket-emails"} 0.0' in scraped
    finally:
        server.stop()
        worker.terminate()
        assert worker.wait(timeout=15) == 0

    def parsed(text: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    api_lines = [line for line in parsed(server.logs()) if line.get("request_id") == "pay-7f3a"]
    assert api_lines[0]["event"] == "fulfilment received"
    assert api_lines[-1]["event"] == "request" and api_lines[-1]["status"] == 200
    # Nothing the server said between the webhook's first line and its access line lacks it.
    every = parsed(server.logs())
    first, last = every.index(api_lines[0]), every.index(api_lines[-1])
    assert all(line.get("request_id") == "pay-7f3a" for line in every[first : last + 1])

    about_events = [
        line
        for line in parsed(worker_log.read_text())
        if "ticket_id" in line or "event_type" in line
    ]
    assert [line["event"] for line in about_events] == ["ticket email queued", "ticket emailed"]
    assert {line["request_id"] for line in about_events} == {"pay-7f3a"}
