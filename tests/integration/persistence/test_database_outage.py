"""PostgreSQL going away under a running service: answers in seconds, recovers by itself.

A TCP proxy in front of PostgreSQL (tests/tcp_proxy.py) refuses or silently drops on the
test's word, as a database that is down or a network that swallows packets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from adapters.persistence.eventstore import open_store
from adapters.persistence.store_config import StoreConfig
from domain.order import Order
from tests.support.email_support import outbox, wait_for
from tests.support.service import (
    PG_ADMIN,
    ROOT,
    WEBHOOK_SECRET,
    Api,
    ServerProcess,
    bearer,
    postgres_or_skip,
    service_env,
)
from tests.support.stripe_events import checkout_completed, signed
from tests.support.tcp_proxy import TcpProxy, running_proxy

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

BOUND_SECONDS = 3.0  # the bound: an answer within 3 s of the database going away


@pytest.fixture
def schema() -> Iterator[str]:
    postgres_or_skip()
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    with running_proxy() as running:
        yield running


def through(proxy: TcpProxy, schema: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{proxy.port}/test?schema={schema}"


def topics(schema: str) -> list[str]:
    store = open_store(StoreConfig(f"{PG_ADMIN}?schema={schema}"))
    try:
        return [n.topic for n in store.notifications()]
    finally:
        store.close()


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response, elapsed: float, what: str) -> None:
    assert response.status_code == 503, (what, response.status_code, response.text)
    assert elapsed < BOUND_SECONDS, f"{what} took {elapsed:.2f} s"
    assert response.headers["content-type"].startswith("application/problem+json"), what
    assert response.json()["code"] == "store_unavailable", (what, response.text)
    assert int(response.headers["retry-after"]) > 0, what


@pytest.mark.parametrize("mode", ["refuse", "drop"])
def test_while_postgres_is_away_every_request_answers_503_fast_and_all_recovers(
    mode: str, proxy: TcpProxy, schema: str, tmp_path: Path
) -> None:
    env = service_env(through(proxy, schema), EMAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    server = ServerProcess(env, tmp_path)
    try:
        server.start()
        client = httpx.Client(base_url=server.base_url, timeout=60)
        api = Api(client)
        order = api.new_dancer_order()
        recorded = topics(schema)
        body, signature = signed(
            checkout_completed(order["orderId"], order["totalCents"]), WEBHOOK_SECRET
        )
        calls: dict[str, Callable[[], httpx.Response]] = {
            "ready": lambda: client.get("/health/ready"),
            "period": lambda: client.get("/api/periods/2026-fall"),
            "order": lambda: client.get(
                f"/api/orders/{order['orderId']}", headers=bearer("dancer-1")
            ),
            "ticket": lambda: api.ticket("dancer-1"),
            "webhook": lambda: client.post(
                "/api/webhooks/stripe",
                content=body,
                headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
            ),
        }

        proxy.set(mode)
        for _ in range(2):  # the first calls meet pooled connections; the next, none left
            with ThreadPoolExecutor(max_workers=len(calls) * 2) as pool:
                answers = {
                    f"{name}-{n}": pool.submit(timed, call)
                    for name, call in calls.items()
                    for n in range(2)
                }
                for what, answer in answers.items():
                    assert_unavailable(*answer.result(), what)
            time.sleep(1)

        assert client.get("/health").status_code == 200  # alive: only not ready

        proxy.set("pass")
        wait_for(lambda: client.get("/health/ready").status_code == 200, 15, "ready again")
        assert topics(schema) == recorded  # the failed webhook left nothing behind
        assert calls["webhook"]().status_code == 200  # Stripe's retry completes it
        assert api.ticket("dancer-1").status_code == 200
        wait_for(lambda: outbox(tmp_path / "outbox"), 20, "the ticket email")
        assert topics(schema).count(Order.PaymentReceived.TOPIC) == 1
    finally:
        server.stop()
    assert server.process is not None and server.process.returncode == 0, server.logs()
    lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    events = [line["event"] for line in lines]
    # The worker says when the outage starts and ends, not at every attempt.
    assert sum("wake-up connection lost" in e for e in events) <= 1, events
    assert sum("wake-up connection back" in e for e in events) <= 1, events
    assert sum(e.startswith("event store unavailable: the worker") for e in events) <= 1, [
        (line["event"], line.get("follower"), line.get("error"), line["timestamp"][11:23])
        for line in lines
        if "worker" in line["event"] or "follower" in line["event"]
    ]
    # Errors: the failed webhooks (reported on purpose: a payment waits), nothing else.
    errors = [line["event"] for line in lines if line.get("level") == "error"]
    assert set(errors) <= {"fulfilment failed"}, errors


def run_cli(command: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", command],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


@pytest.mark.parametrize("mode", ["refuse", "drop"])
@pytest.mark.parametrize("command", ["serve", "worker", "migrate"])
def test_starting_without_a_database_is_one_clear_line_and_exit_2(
    command: str, mode: str, proxy: TcpProxy, schema: str, tmp_path: Path
) -> None:
    proxy.set(mode)
    code, stdout, stderr, elapsed = run_cli(command, service_env(through(proxy, schema)), tmp_path)

    assert code == 2, (stdout, stderr)
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("tickets: the database does not answer"), stderr
    assert f"127.0.0.1:{proxy.port}" in stderr and "Traceback" not in stderr
    assert elapsed < 15
