"""Hostile input, as an attacker and a careless admin send it: never a 5xx, never a change.

Real HTTP into the real app on SQLite and PostgreSQL. Every route that takes a body is found in
the app itself, so a new route is attacked without anyone remembering to add it here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from eventsourcing.persistence import Notification
from litestar import Litestar
from litestar.testing import TestClient

from application.stalls import FollowerHealth
from application.worker import Worker
from domain.person import Person
from domain.shared import Cause
from entrypoints.bootstrap import build_worker
from entrypoints.http.app import create_app
from tests.integration.conftest import (
    ADMIN,
    ROOT,
    WEBHOOK_SECRET,
    Running,
    ServerProcess,
    bearer,
    period_body,
    service_env,
)
from tests.stripe_events import checkout_completed, signed

pytestmark = pytest.mark.integration

# Every role at once: guards must not stop an attack before the body is read.
EVERYONE = bearer("hostile-1", "admin", "staff", email="hostile@example.no")
STAFF = bearer("door-staff-1", "staff")
DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000


def log_length(running: Running) -> int:
    return running.services.store.recorder.max_notification_id() or 0


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    assert "Traceback" not in response.text
    return body


def body_routes(app: Litestar) -> list[tuple[str, str, str]]:
    """(method, path, kind) of every route whose handler takes a body: kind is data or body."""
    found = []
    for route in app.routes:
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            parameters = handler.parsed_fn_signature.parameters
            kind = "data" if "data" in parameters else "body" if "body" in parameters else None
            if kind is not None:
                found.append((method, _concrete(route.path), kind))
    return sorted(found)


def _concrete(path: str) -> str:
    path = re.sub(r"\{\w+:uuid\}", str(uuid4()), path)
    return re.sub(r"\{\w+:str\}", "2026-fall", path)


@pytest.fixture
def routes(running: Running) -> list[tuple[str, str, str]]:
    found = body_routes(running.api.client.app)
    # The routes of API.md that take a body are all found: the discovery itself works.
    paths = {path for _, path, _ in found}
    for expected in ("/api/me/profile", "/api/admin/periods", "/api/orders", "/api/checkin/scan"):
        assert expected in paths, paths
    assert "/api/webhooks/stripe" in paths
    return found


# --- Defect 6: bodies that are not JSON, or nest too deeply: 400, never 500 -------------------


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        DEEP_OBJECT,
        b'{"name": "\xff\xfe"}',
        b"\xc3\x28",
        b'{"a": 1e999999}',
        b"[" * 40 + b"]" * 40,
    ],
    ids=["deep-array", "deep-object", "invalid-utf8", "truncated-utf8", "huge-float", "40-deep"],
)
def test_a_body_that_is_not_sane_json_is_400_malformed_body_on_every_json_route(
    running: Running, routes: list[tuple[str, str, str]], body: bytes
) -> None:
    client, before = running.api.client, log_length(running)

    for method, path, kind in routes:
        headers = {**EVERYONE, "Content-Type": "application/json"}
        response = client.request(method, path, content=body, headers=headers)
        if kind == "data":
            assert_problem(response, 400, "malformed_body")
        else:  # the Stripe webhook: its signature is checked before anything is parsed
            assert_problem(response, 400)

    assert log_length(running) == before


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json-patch+json",
        "text/json",
    ],
)
def test_a_body_declared_as_anything_but_json_is_415(
    running: Running, routes: list[tuple[str, str, str]], content_type: str | None
) -> None:
    client, before = running.api.client, log_length(running)

    for method, path, _ in routes:
        headers = dict(EVERYONE)
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = client.request(method, path, content=b'{"name": "x"}', headers=headers)
        assert_problem(response, 415, "unsupported_media_type")

    assert log_length(running) == before


def test_json_with_a_charset_parameter_is_json(running: Running) -> None:
    response = running.api.client.put(
        "/api/me/profile",
        content=b'{"name": "Kari", "email": "kari@example.no"}',
        headers={**bearer("kari"), "Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


# --- Defect 7: a Stripe signature from the future ----------------------------------------------


@pytest.mark.parametrize("ahead", [3600, 365 * 24 * 3600], ids=["1h", "1y"])
def test_a_webhook_signed_in_the_future_is_refused_and_records_nothing(
    running: Running, ahead: int
) -> None:
    api = running.api
    order = api.new_dancer_order()
    before = log_length(running)
    payload = checkout_completed(order["orderId"], order["totalCents"])
    body, signature = signed(payload, WEBHOOK_SECRET, timestamp=int(time.time()) + ahead)

    response = api.client.post(
        "/api/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )

    assert_problem(response, 400, "invalid_webhook")
    assert log_length(running) == before
    assert api.ticket("dancer-1").status_code == 404


# --- Defect 9: whatever a QR code held is a result word -----------------------------------------


@pytest.mark.parametrize(
    "token",
    ["x" * 9000, "eyJ" + "A" * 100_000, "\x00\x01\x1b[31m", "<script>alert(1)</script>", ""],
    ids=["9k", "100k", "control", "markup", "empty"],
)
def test_any_string_scanned_answers_200_invalid(running: Running, token: str) -> None:
    before = log_length(running)

    response = running.api.client.post(
        "/api/checkin/scan", json={"token": token, "deviceId": "front-door"}, headers=STAFF
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"result": "invalid"}
    assert log_length(running) == before


def test_the_body_size_limit_still_bounds_a_scan(running: Running) -> None:
    response = running.api.client.post(
        "/api/checkin/scan", json={"token": "x" * 300_000}, headers=STAFF
    )
    assert_problem(response, 413)


def test_a_scan_body_that_is_not_a_string_token_is_still_refused(running: Running) -> None:
    for body in ({"token": 12}, {"token": None}, {}, {"token": "x", "deviceId": "a\nb"}):
        response = running.api.client.post("/api/checkin/scan", json=body, headers=STAFF)
        assert_problem(response, 422)


def test_admin_routes_still_answer_401_and_403_to_well_formed_bodies(running: Running) -> None:
    client = running.api.client
    assert_problem(client.post("/api/admin/people", json={}, headers={}), 401)
    assert_problem(client.post("/api/admin/people", json={}, headers=bearer("u")), 403)


# --- Defects 4 and 5: text that cannot be stored or rendered, dates that cannot be paid --------


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"endDate": "9999-12-31"}, "between"),
        ({"startDate": "1900-01-01"}, "between"),
        ({"startDate": "2101-01-01", "endDate": "2101-02-01"}, "between"),
        ({"name": "Fall 2026\r\nBcc: everyone@example.no"}, "control"),
        ({"name": "Fall\x002026"}, "control"),
        ({"name": "Fall\u20282026"}, "control"),
        ({"name": "x" * 10_000}, None),
        ({"location": "Oslo\nBergen"}, "control"),
        ({"code": "2026-fall\n"}, "control"),
        ({"timezone": "Europe/Oslo\x00"}, "control"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": "posixrules"}, "timezone"),
        ({"currency": "XYZ"}, "ISO 4217"),
        ({"currency": "n0k"}, None),
        ({"tracks": [{"code": "salsa1", "name": "Salsa\x001", "priceCents": 1}]}, "control"),
        ({"tracks": [{"code": "salsa1", "name": "S", "priceCents": 10**20}]}, None),
        ({"tracks": [{"code": "salsa1", "name": "S", "priceCents": 1.5}]}, None),
        ({"tracks": [{"code": "salsa1\n", "name": "S", "priceCents": 1}]}, "control"),
    ],
)
def test_a_period_that_could_not_be_paid_issued_or_emailed_is_refused(
    running: Running, overrides: dict[str, Any], why: str | None
) -> None:
    response = running.api.client.post(
        "/api/admin/periods", json=period_body(**overrides), headers=ADMIN
    )

    problem = assert_problem(response, 422)
    if why is not None:
        assert why in problem["detail"], problem
    assert log_length(running) == 0


def test_a_period_at_the_edges_of_what_is_accepted_is_paid_and_ticketed(running: Running) -> None:
    api = running.api
    api.schedule(
        startDate="2100-12-01", endDate="2100-12-31", currency="nok", timezone="Pacific/Kiritimati"
    )
    api.profile("dancer-1")
    order = api.order("dancer-1", "salsa1")

    assert api.pay(order).status_code == 200
    ticket = api.ticket("dancer-1").json()
    assert ticket["endDate"] == "2100-12-31"
    assert ticket["qrTokenExpiresAt"].startswith("2100-12-31T")  # midnight UTC+14


@pytest.mark.parametrize(
    "name",
    [
        "Åse\x00Øvergård",
        "Åse\rØvergård",
        "Åse\nØvergård",
        "Åse\tØvergård",
        "Åse\x1b[2J",
        "\x7f",
        "Åse\x85",
        "x" * 10_000,
    ],
)
def test_a_name_that_cannot_be_stored_or_rendered_is_refused_everywhere(
    running: Running, name: str
) -> None:
    client = running.api.client
    attempts = [
        client.put(
            "/api/me/profile", json={"name": name, "email": "ase@example.no"}, headers=bearer("u")
        ),
        client.post(
            "/api/admin/people", json={"name": name, "email": "ase@example.no"}, headers=ADMIN
        ),
        client.post("/api/admin/periods", json=period_body(name=name), headers=ADMIN),
    ]

    for response in attempts:
        assert_problem(response, 422)
    assert log_length(running) == 0


def test_free_text_takes_tabs_and_line_feeds_but_no_other_control_character(
    running: Running,
) -> None:
    api = running.api
    api.pay(api.new_dancer_order())
    ticket_id = api.ticket("dancer-1").json()["ticketId"]
    path = f"/api/admin/tickets/{ticket_id}/revoke"
    before = log_length(running)

    for reason in ("charge\x00back", "charge\rback", "\x1b[31mred", "a\u2029b"):
        assert_problem(api.client.post(path, json={"reason": reason}, headers=ADMIN), 422)
    assert log_length(running) == before

    response = api.client.post(path, json={"reason": "chargeback\n\tsee ticket 12"}, headers=ADMIN)
    assert response.status_code == 200, response.text


# --- Defect 8: one email address per field ------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "a@b.no,attacker@evil.test",
        "a@b.no;attacker@evil.test",
        "a@b.no attacker@evil.test",
        "Åse <ase@example.no>",
        '"Åse" <ase@example.no>',
        "ase@example.no\r\nBcc: attacker@evil.test",
        "ase@example.no\nBcc: attacker@evil.test",
        "ase@example.no\x00",
        '"a b"@example.no',
        "ase@[127.0.0.1]",
        "ase@localhost",
        "ase@@example.no",
        "ase",
        "x" * 250 + "@example.no",
    ],
)
def test_an_email_field_holds_exactly_one_plain_address(running: Running, email: str) -> None:
    client = running.api.client

    for response in (
        client.put("/api/me/profile", json={"name": "Åse", "email": email}, headers=bearer("u")),
        client.post("/api/admin/people", json={"name": "Åse", "email": email}, headers=ADMIN),
    ):
        problem = assert_problem(response, 422)
        assert problem["code"] in ("invalid_profile", "validation_failed"), problem
    assert log_length(running) == 0


def test_an_accepted_address_is_kept_in_its_normal_form(running: Running) -> None:
    response = running.api.client.put(
        "/api/me/profile",
        json={"name": "Åse", "email": "  Ase.Overgard@Example.NO "},
        headers=bearer("u"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "Ase.Overgard@example.no"


# --- Defect 10: X-Forwarded-For only from TRUSTED_PROXIES ---------------------------------------


def _anonymous_page_requests(server: ServerProcess, forwarded_for: list[str]) -> list[int]:
    """Anonymous requests to a rate-limited route, one per X-Forwarded-For value."""
    page = f"{server.base_url}/tickets/{uuid4()}?key=guess"
    return [
        httpx.get(page, headers={"X-Forwarded-For": address}, timeout=10).status_code
        for address in forwarded_for
    ]


def test_a_rotating_x_forwarded_for_does_not_get_around_the_rate_limit(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path}/t.sqlite3", RATE_LIMIT_PER_MINUTE="3")
    server = ServerProcess(env, tmp_path).start("--no-worker")
    try:
        statuses = _anonymous_page_requests(server, [f"203.0.113.{i}" for i in range(6)])
    finally:
        server.stop()

    assert statuses[:3] == [404, 404, 404]
    assert statuses[3:] == [429, 429, 429]  # every request came from 127.0.0.1, whatever it said


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    env = service_env(
        f"sqlite:///{tmp_path}/t.sqlite3",
        RATE_LIMIT_PER_MINUTE="3",
        TRUSTED_PROXIES="10.9.8.0/24, 127.0.0.1",
    )
    server = ServerProcess(env, tmp_path).start("--no-worker")
    try:
        rotating = _anonymous_page_requests(server, [f"203.0.113.{i}" for i in range(6)])
        one_client = _anonymous_page_requests(server, ["198.51.100.7"] * 4)
    finally:
        server.stop()

    assert rotating == [404] * 6  # six clients behind the proxy, each within its limit
    assert one_client == [404, 404, 404, 429]


# --- Defect 4: no follower stops for good on one event -------------------------------------------


def _drain(worker: Worker, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while worker.run_once():
        assert time.monotonic() < deadline, "the worker did not catch up"


def test_a_nul_already_in_the_log_does_not_stall_the_scan_index(
    running: Running, database_url: str
) -> None:
    """On PostgreSQL this stopped the scan index for everyone (psycopg DataError on every retry)
    and made ``audit replay --rebuild`` crash; the edge refuses such names now, but the log is
    forever: the event is written here straight through the domain, as an older release did."""
    api, services = running.api, running.services
    api.schedule()
    person = Person._create(  # what Person.register recorded before its checks
        Person.Registered,
        id=Person.id_for_user("dancer-1"),
        cause=Cause("dancer-1"),
        user_id="dancer-1",
        name="Åse\x00Øvergård",
        email="dancer-1@example.no",
        phone=None,
    )
    services.store.save(person)
    assert api.pay(api.order("dancer-1", "salsa1")).status_code == 200
    worker = build_worker(services)

    _drain(worker)

    assert FollowerHealth(services.store, services.followers).stalled() == []
    index = services.read_models[0]
    last = services.store.recorder.select_notifications(
        start=index.position() + 1, limit=1, topics=index.topics
    )
    assert last == []  # caught up with the log
    token = api.ticket("dancer-1").json()["qrToken"]
    scanned = api.client.post("/api/checkin/scan", json={"token": token}, headers=STAFF).json()
    assert scanned["result"] == "ok"
    assert scanned["ticket"]["personName"] == "Åse\ufffdØvergård"
    worker.close()

    rebuilt = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "audit", "replay", "--rebuild"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **service_env(database_url)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in rebuilt.stderr, rebuilt.stderr
    assert "scan-index" in rebuilt.stdout + rebuilt.stderr
    assert "DataError" not in rebuilt.stdout + rebuilt.stderr


@dataclass
class AlwaysFailing:
    """A follower with a bug: every Period.Scheduled makes it fail."""

    name: str = "always-failing"
    topics: tuple[str, ...] = ()
    at: int = 0

    def position(self) -> int:
        return self.at

    def handle(self, notification: Notification, event: Any) -> None:
        if type(event).__name__ == "Scheduled":
            raise ValueError("cannot handle this period\x00")
        self.at = notification.id


def test_a_follower_failing_on_one_event_is_alerted_once_and_shown_in_readiness_and_metrics(
    running: Running,
) -> None:
    api = running.api
    api.schedule()
    failing = AlwaysFailing()
    services = replace(running.services, followers=(*running.services.followers, failing))
    worker = build_worker(services)
    worker._first_backoff = 0.0  # no waiting in a test: retry at every pass

    for _ in range(8):
        worker.run_once()

    alerts = [
        a
        for a in api.client.get("/api/admin/alerts", headers=ADMIN).json()["items"]
        if a["kind"] == "follower_stalled"
    ]
    [alert] = alerts
    assert alert["subject"] == "always-failing" and alert["severity"] == "critical"
    assert "notification 1" in alert["message"]
    assert "ValueError: cannot handle this period?" in alert["message"]
    worker.close()

    with TestClient(create_app(services, owns_services=False)) as client:
        ready = client.get("/health/ready")
        metrics = client.get("/metrics").text
    assert ready.status_code == 200
    assert ready.json()["stalledFollowers"] == [
        {"follower": "always-failing", "position": 0, "notificationId": 1}
    ]
    assert 'tickets_follower_stalled{follower="always-failing"} 1.0' in metrics
    assert 'tickets_follower_stalled{follower="scan-index"} 0.0' in metrics
    healthy = api.client.get("/health/ready").json()
    assert healthy["stalledFollowers"] == []  # the service's own followers are all moving
