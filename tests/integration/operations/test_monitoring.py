"""Sentry with the real SDK, sending to a local HTTP server that receives its envelopes."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Notification
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from adapters.persistence.worker_coordination import NoFollowerLocks, PollWakeup
from application.worker.loop import Worker
from domain.person import Person
from entrypoints import monitoring
from entrypoints.bootstrap import build
from entrypoints.http.app import create_app
from entrypoints.http.problems import reported
from entrypoints.settings import MonitoringSettings, Settings
from entrypoints.version import package_version
from tests.integration.operations.test_metrics import FlakySigner
from tests.support.service import WEBHOOK_SECRET, Api, bearer, service_env
from tests.support.stripe_events import checkout_completed, signed

pytestmark = pytest.mark.integration


@dataclass
class SentryServer:
    """What a Sentry server would have received: the raw envelopes, and their events."""

    port: int = 0
    envelopes: list[bytes] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://public-key@127.0.0.1:{self.port}/1"

    def events(self) -> list[dict[str, Any]]:
        return [
            payload
            for envelope in self.envelopes
            for kind, payload in _items(envelope)
            if kind == "event"
        ]


def _items(envelope: bytes) -> Iterator[tuple[str, dict[str, Any]]]:
    """The items of an envelope: a header line, then (item header line, payload) pairs."""
    _, _, rest = envelope.partition(b"\n")
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        yield header["type"], json.loads(payload) if payload.startswith(b"{") else {}


@pytest.fixture
def sentry_server() -> Iterator[SentryServer]:
    server = SentryServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            if self.path == "/api/1/envelope/":
                server.envelopes.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.port = http.server_address[1]
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield server
    http.shutdown()


@pytest.fixture
def monitored(sentry_server: SentryServer) -> Iterator[SentryServer]:
    settings = MonitoringSettings(dsn=sentry_server.dsn, environment="test-env")
    assert monitoring.start(settings, "api", reported)
    yield sentry_server
    monitoring.stop()


def flush() -> None:
    import sentry_sdk

    sentry_sdk.flush(timeout=5)


def test_a_failed_fulfilment_reaches_sentry_tagged_and_without_secrets(
    database_url: str, tmp_path: Path, monitored: SentryServer
) -> None:
    settings = Settings.from_env(service_env(database_url))
    migrate(settings.database)
    signer = FlakySigner(settings.tokens)
    services = build(settings, signer=signer)
    # Made after Sentry started: its Litestar integration hooks into the app's construction.
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        api = Api(client)
        order = api.new_dancer_order()
        assert api.ticket("dancer-1").status_code == 404  # the client's business: not sent
        assert client.get("/api/me/profile").status_code == 401  # neither
        body, signature = signed(
            checkout_completed(order["orderId"], order["totalCents"]), WEBHOOK_SECRET
        )
        signer.fail = True
        failed = client.post(
            "/api/webhooks/stripe?key=the-view-key-value",
            content=body,
            headers={
                "Stripe-Signature": signature,
                "Content-Type": "application/json",
                "X-Request-ID": "req-sentry-1",
                "Cookie": "session=cookie-value-1",
                **bearer("dancer-1"),
            },
        )
        assert failed.status_code == 500
        flush()

    # One event of the exception (its error line and the app's handler are one), and one of
    # the critical admin alert the failure raised (logged at ERROR by the alert sink).
    [event] = [e for e in monitored.events() if "exception" in e]
    [alert] = [e for e in monitored.events() if "exception" not in e]
    assert "fulfilment of Stripe event" in alert["logentry"]["formatted"]
    assert alert["tags"]["request_id"] == "req-sentry-1"
    assert event["release"] == package_version()
    assert event["environment"] == "test-env"
    tags = event["tags"]
    assert tags["request_id"] == "req-sentry-1"
    assert tags["route"] == "/api/webhooks/stripe"
    assert tags["order_id"] == order["orderId"]
    assert tags["stripe_event_id"] == json.loads(body)["id"]
    assert tags["component"] == "api"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"

    sent = b"".join(monitored.envelopes)
    token = bearer("dancer-1")["Authorization"].removeprefix("Bearer ")
    for secret in (
        token.encode(),
        b"cookie-value-1",
        b"the-view-key-value",
        signature.encode(),
        b"payment_status",  # the webhook's body
        WEBHOOK_SECRET.encode(),
    ):
        assert secret not in sent, secret


class BrokenFollower:
    """A follower with a bug: every person's registration makes it fail."""

    name = "broken"
    topics = (Person.Registered.TOPIC,)

    def position(self) -> int:
        return 0

    def handle(self, notification: Notification, event: Any) -> None:
        raise KeyError("a bug in a follower")


def test_a_follower_failure_in_the_worker_reaches_sentry_with_the_events_ids(
    tmp_path: Path, sentry_server: SentryServer
) -> None:
    settings = Settings.from_env(service_env(f"sqlite:///{tmp_path}/t.sqlite3"))
    migrate(settings.database)
    services = build(settings)
    with TestClient(create_app(services)) as client:
        response = client.put(
            "/api/me/profile",
            json={"name": "Åse", "email": "ase@example.no"},
            headers={**bearer("ase"), "X-Request-ID": "req-profile-7"},
        )
        assert response.status_code == 200
        person_id = response.json()["personId"]

        assert monitoring.start(MonitoringSettings(dsn=sentry_server.dsn), "worker")
        try:
            worker = Worker(
                services.store, [BrokenFollower()], wakeup=PollWakeup(), locks=NoFollowerLocks()
            )
            worker.run_once()
            worker.close()
            flush()
        finally:
            monitoring.stop()

    [event] = sentry_server.events()
    assert event["environment"] == "production" and event["release"] == package_version()
    assert (
        event["tags"]
        | {
            "request_id": "req-profile-7",
            "follower": "broken",
            "event_type": "Person.Registered",
            "aggregate_id": person_id,
            "component": "worker",
        }
        == event["tags"]
    )
    assert event["exception"]["values"][-1]["type"] == "KeyError"
