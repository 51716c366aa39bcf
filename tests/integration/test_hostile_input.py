"""Hostile input, as an attacker and a careless admin send it: never a 5xx, never a change.

Real HTTP into the real app on SQLite and PostgreSQL. Every route that takes a body is found in
the app itself, so a new route is attacked without anyone remembering to add it here.
"""

from __future__ import annotations

import re
import time
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar

from tests.integration.conftest import (
    WEBHOOK_SECRET,
    Running,
    bearer,
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
