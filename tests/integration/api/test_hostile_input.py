"""Hostile input, as an attacker and a careless admin send it: never a 5xx, never a change.

Real HTTP into the real app on SQLite and PostgreSQL. Every route that takes a body is found in
the app itself, so a new route is attacked without anyone remembering to add it here.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from eventsourcing.persistence import Notification
from litestar import Litestar
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from application.worker.stalls import FollowerHealth
from domain.person import Person
from domain.shared import Cause
from entrypoints.bootstrap import build, build_worker
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.email_support import outbox, part
from tests.support.service import (
    ADMIN,
    ROOT,
    WEBHOOK_SECRET,
    Api,
    Running,
    ServerProcess,
    bearer,
    drain,
    period_body,
    service_env,
)
from tests.support.stripe_events import checkout_completed, signed

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
        "Åse \u202eØvergård",  # a bidirectional override: shown reversed in rosters and CSVs
        "Åse\u200bØvergård",  # a zero-width space: two names that look alike
        "\ufeffÅse",
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

    drain(worker)

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


# --- Every field of every JSON route, attacked one at a time --------------------------------------

# A well-formed body of each route that takes JSON (ids in paths written {id}). A new route fails
# test_every_json_route_has_a_body_here until it is added, and is then attacked like the others.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/me/profile"): {
        "name": "Kari",
        "email": "kari@example.no",
        "phone": "+47 1",
        "locale": "nb",
    },
    ("POST", "/api/admin/people"): {
        "name": "Kari",
        "email": "kari@example.no",
        "userId": "k-1",
        "locale": "en",
    },
    ("POST", "/api/admin/periods"): period_body("hostile-1"),
    # The period the attack schedules first: each attacked field is refused, nothing changes.
    ("PUT", "/api/admin/periods/2026-fall/schedule"): {
        "tracks": [
            {
                "code": "salsa1",
                "schedule": [
                    {"weekday": "tuesday", "startTime": "19:00", "endTime": "20:30", "room": "A"}
                ],
            }
        ],
        "skipDates": ["2026-10-06"],
    },
    ("POST", "/api/orders"): {
        "periodCode": "2026-fall",
        "registrations": [{"trackCode": "salsa1", "role": "leader", "personId": str(uuid4())}],
    },
    ("POST", "/api/checkin/scan"): {
        "token": "x",
        "deviceId": "front",
        "scanId": "s-1",
        "trackCode": "salsa1",
    },
    ("POST", "/api/checkin/manual"): {
        "ticketId": str(uuid4()),
        "deviceId": "d",
        "scanId": "s",
        "trackCode": "salsa1",
    },
    # {checkInId:str} is filled in with the period code as every str path part: a 404, the body
    # is judged before it.
    ("POST", "/api/checkin/2026-fall/undo"): {"reason": "wrong person"},
    ("POST", "/api/admin/tickets/{id}/rotate"): {"reason": "lost phone"},
    ("POST", "/api/admin/tickets/{id}/revoke"): {"reason": "chargeback"},
    ("POST", "/api/admin/devices"): {"name": "Front door", "periodCode": "2026-fall"},
    ("PATCH", "/api/admin/devices/{id}"): {"name": "Back door"},
    ("POST", "/api/devices/pair"): {"pairingCode": "abc-123"},
}
HOSTILE_TEXT = [
    "\x00",
    "Kari\x00",
    "Kari\r\nBcc: attacker@evil.test",
    "\x1b[2J\x07",
    "Kari\u2028",
    "x" * 10_000,
    "🎟" * 5_000,
]
HOSTILE_VALUES: list[Any] = [10**30, -(10**30), 1e308, -1, True, [], {}, [[[[[]]]]]]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _template(path: str) -> str:
    return _UUID.sub("{id}", path)


def _leaves(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*at, index))
    else:
        yield at, value


def _with(body: Any, at: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in at[:-1]:
        target = target[step]
    target[at[-1]] = value
    return copy


def test_every_json_route_has_a_body_here(routes: list[tuple[str, str, str]]) -> None:
    json_routes = {(method, _template(path)) for method, path, kind in routes if kind == "data"}
    assert json_routes == set(VALID_BODIES), json_routes ^ set(VALID_BODIES)


def test_every_field_of_every_json_route_refuses_what_it_cannot_hold(
    running: Running, routes: list[tuple[str, str, str]]
) -> None:
    api = running.api
    api.schedule()
    before = log_length(running)
    answered: dict[int, int] = {}

    for method, path, kind in routes:
        if kind != "data":
            continue
        body = VALID_BODIES[(method, _template(path))]
        for at, original in _leaves(body):
            for value in [*HOSTILE_TEXT, *HOSTILE_VALUES]:
                if value == original:
                    continue
                response = api.client.request(
                    method, path, json=_with(body, at, value), headers=EVERYONE
                )
                where = f"{method} {path} {'.'.join(map(str, at))}={value!r:.40}"
                assert response.status_code < 500, (where, response.text)
                answered[response.status_code] = answered.get(response.status_code, 0) + 1
                if response.status_code == 200:  # only a scanned token: any string is a word
                    assert at == ("token",) and response.json() == {"result": "invalid"}, where
                else:
                    assert_problem(response, response.status_code)

    assert log_length(running) == before  # nothing of all that was recorded
    assert set(answered) <= {200, 400, 404, 409, 413, 422}, answered


# --- Markup and template syntax in names: shown as text in the PDF, the web page and the email ----

INJECTED_NAME = "<script>alert('x')</script> & {{7*7}} ${7*7} \"Åse\""
INJECTED_PERIOD = "<img src=x onerror=alert(1)> Fall &amp; {% raw %}"
INJECTED_TRACK = "Salsa </td><b>1</b>"


def test_markup_in_names_is_escaped_in_the_pdf_the_web_page_and_the_email(
    database_url: str, tmp_path: Path
) -> None:
    outbox_dir = tmp_path / "outbox"
    settings = Settings.from_env(service_env(database_url, EMAIL_OUTBOX_DIR=str(outbox_dir)))
    migrate(settings.database)
    services = build(settings)
    worker = build_worker(services)
    with TestClient(create_app(services)) as client:
        api = Api(client)
        tracks = [{"code": "salsa1", "name": INJECTED_TRACK, "priceCents": 150000}]
        api.schedule(name=INJECTED_PERIOD, location="Oslo <b>&</b>", tracks=tracks)
        api.profile("dancer-1", name=INJECTED_NAME)
        assert api.pay(api.order("dancer-1", "salsa1")).status_code == 200
        ticket = api.ticket("dancer-1").json()
        assert ticket["personName"] == INJECTED_NAME  # JSON carries the text as it was given
        base = settings.http.public_base_url
        page = client.get(ticket["viewUrl"].removeprefix(base)).text
        pdf = client.get(ticket["pdfUrl"].removeprefix(base)).content
        drain(worker)
    worker.close()

    for raw in (INJECTED_NAME, INJECTED_PERIOD, INJECTED_TRACK):
        assert raw not in page  # never as markup...
        assert html.escape(raw, quote=False) in page.replace("&#34;", '"').replace(
            "&#39;", "'"
        ).replace("&quot;", '"')  # ...always as text
    assert "<script>" not in page and "<img" not in page
    assert "{{7*7}}" in page and "${7*7}" in page  # no template evaluated it

    text = _pdf_text(pdf, tmp_path)
    for raw in (INJECTED_NAME, INJECTED_PERIOD, INJECTED_TRACK):
        assert " ".join(raw.split()) in text  # drawn as the very characters given

    [message] = outbox(outbox_dir)
    assert INJECTED_PERIOD in str(message["Subject"])  # one header: no line breaks to inject
    html_body = part(message, "text/html").get_content()
    assert "<script>" not in html_body and "<img src=x" not in html_body
    assert "&lt;script&gt;" in html_body and "&lt;img src=x onerror=alert(1)&gt;" in html_body
    assert "{{7*7}}" in html_body and "${7*7}" in html_body
    assert INJECTED_NAME in part(message, "text/plain").get_content()


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "ticket.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "ticket.pdf", "-"], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout
    return " ".join(text.split())  # lines wrap where the page is narrow


@pytest.mark.parametrize(
    "path",
    [
        "/api/admin/alerts?kind=%00",
        "/api/admin/alerts?kind=a%0Ab",
        "/api/admin/alerts?cursor=%00",
        "/api/admin/alerts?since=%00",
        "/api/admin/alerts?state=%00",
        "/api/checkin/search?periodCode=2026-fall&q=%00",
        "/api/checkin/search?periodCode=2026-fall%00&q=a",
        "/api/checkin/revocations?periodCode=2026-fall&since=%00",
        "/api/periods/%00",
        "/api/tickets/%00",
        "/api/admin/periods/2026-fall/attendance?date=%00",
        f"/tickets/{uuid4()}?key=%00",
        f"/api/tickets/download/{uuid4()}?key=%00",
    ],
)
def test_control_characters_in_paths_and_queries_are_never_a_5xx(
    running: Running, path: str
) -> None:
    running.api.schedule()
    before = log_length(running)

    response = running.api.client.get(path, headers=EVERYONE)

    assert response.status_code < 500, response.text
    assert log_length(running) == before
