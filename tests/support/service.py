"""Integration fixtures: real event stores (SQLite file, PostgreSQL schema), real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from adapters.identity import mint_dev_token
from adapters.persistence.eventstore import migrate
from application.worker.loop import Worker
from entrypoints.bootstrap import Services, build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.stripe_events import checkout_completed, signed

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
TICKET_SECRET = "ticket-secret-for-tests-" + "x" * 16
AUTH_SECRET = "auth-secret-for-tests-" + "y" * 16
WEBHOOK_SECRET = "whsec_test_" + "z" * 24
ROOT = Path(__file__).resolve().parents[2]


def postgres_or_skip() -> None:
    """PostgreSQL tests never skip silently: under CI=true a missing server fails the run."""
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is not reachable at 127.0.0.1:5432: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/tickets.sqlite3"
        return
    postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_ADMIN}?schema={schema}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TICKET_JWT_SECRET": TICKET_SECRET,
        "AUTH_JWT_SECRET": AUTH_SECRET,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # Emails rendered in the worker's process, as before: starting render processes for
        # every test's worker costs seconds each; test_ticket_emails has one that runs them.
        "EMAIL_RENDER_PROCESSES": "0",
        **extra,
    }


def bearer(user_id: str, *roles: str, email: str | None = None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint_dev_token(AUTH_SECRET, user_id, roles=roles, email=email)}"
    }


ADMIN = bearer("admin-1", "admin")


def period_body(code: str = "2026-fall", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": "Fall 2026",
        "startDate": "2026-09-01",
        # Into next summer: the tests with the real clock need today inside the period.
        "endDate": "2027-06-15",
        "timezone": "Europe/Oslo",
        "location": "Dansestudio, Oslo",
        "currency": "NOK",
        "tracks": [
            {"code": "salsa1", "name": "Salsa 1", "priceCents": 150000},
            {"code": "bachata1", "name": "Bachata 1", "priceCents": 120000},
        ],
    }
    return body | overrides


@dataclass
class Api:
    """A client of the service with the few calls every scenario makes."""

    client: Any  # TestClient or httpx.Client: the same calls

    def schedule(self, code: str = "2026-fall", **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/admin/periods", json=period_body(code, **overrides), headers=ADMIN
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def profile(
        self, user: str, name: str = "Åse Øvergård", locale: str | None = None
    ) -> dict[str, Any]:
        """``locale`` None: the profile gets DEFAULT_LOCALE (Norwegian)."""
        body = {"name": name, "email": f"{user}@example.no"}
        if locale is not None:
            body["locale"] = locale
        response = self.client.put("/api/me/profile", json=body, headers=bearer(user))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def order(
        self, user: str, *tracks: str, period: str = "2026-fall", partner: str | None = None
    ) -> dict[str, Any]:
        registrations: list[dict[str, Any]] = [{"trackCode": t, "role": "leader"} for t in tracks]
        if partner:
            registrations += [
                {"trackCode": t, "personId": partner, "role": "follower"} for t in tracks
            ]
        response = self.client.post(
            "/api/orders",
            json={"periodCode": period, "registrations": registrations},
            headers=bearer(user),
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def new_dancer_order(self, user: str = "dancer-1") -> dict[str, Any]:
        """The usual start of a scenario: the period, the dancer's profile, a Salsa 1 order."""
        self.schedule()
        self.profile(user)
        return self.order(user, "salsa1")

    def pay(self, order: dict[str, Any], **overrides: Any) -> httpx.Response:
        payload = checkout_completed(order["orderId"], order["totalCents"], **overrides)
        return self.webhook(payload)

    def webhook(self, payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> httpx.Response:
        body, signature = signed(payload, secret)
        response: httpx.Response = self.client.post(
            "/api/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )
        return response

    def ticket(self, user: str, period: str = "2026-fall") -> httpx.Response:
        response: httpx.Response = self.client.get(f"/api/tickets/{period}", headers=bearer(user))
        return response


def follow_read_models(services: Services) -> None:
    """What the worker does for the read models (an in-process app runs no worker)."""
    store = services.store
    for model in services.read_models:
        for notification in store.notifications(start=model.position() + 1, topics=model.topics):
            model.handle(notification, store.decode(notification))


def admin_alerts(client: Any, services: Services) -> list[dict[str, Any]]:
    """The admin alert list's first page (up to 200), once the worker has caught up."""
    follow_read_models(services)
    response = client.get("/api/admin/alerts", params={"limit": 200}, headers=ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@dataclass
class Running:
    api: Api
    services: Services
    settings: Settings


@pytest.fixture
def running(database_url: str) -> Iterator[Running]:
    """The service in-process over its HTTP interface, on a real event store."""
    settings = Settings.from_env(service_env(database_url))
    migrate(settings.database)
    services = build(settings)
    with TestClient(create_app(services)) as client:
        yield Running(Api(client), services, settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """``tickets serve`` in a process of its own, as it runs in production."""

    env: dict[str, str]
    cwd: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *args: str) -> ServerProcess:
        self.port = free_port()
        self.log = self.cwd / f"server-{self.port}.log"
        # One HTTP process with the worker inside unless a test asks for more (--workers).
        one = args if "--workers" in args else ("--workers", "1", *args)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(self.port), *one],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **self.env},
            cwd=self.cwd,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120  # a loaded machine starts Python slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/health/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()  # not left running (holding its database connections) after the test
        raise AssertionError(f"server did not become ready: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def logs(self) -> str:
        return self.log.read_text()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(service_env(database_url), tmp_path)
    yield process
    process.stop()


def drain(worker: Worker, timeout: float = 30.0) -> None:
    """Runs the worker until it has nothing left to do (what its loop does, at once)."""
    deadline = time.monotonic() + timeout
    while worker.run_once():
        assert time.monotonic() < deadline, "the worker did not catch up"
