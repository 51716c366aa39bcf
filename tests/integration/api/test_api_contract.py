"""The HTTP contract of API.md: statuses, problem details, validation and authorization."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from tests.support.service import ADMIN, AUTH_SECRET, Running, bearer, period_body

pytestmark = pytest.mark.integration


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def test_health_and_readiness(running: Running) -> None:
    client = running.api.client
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/health/ready").status_code == 200

    running.services.store.close()  # the event store goes away

    assert_problem(client.get("/health/ready"), 503, "store_unavailable")


def test_the_openapi_document_describes_every_route(running: Running) -> None:
    paths = running.api.client.get("/schema/openapi.json").json()["paths"]
    for path in (
        "/health",
        "/health/ready",
        "/api/me/profile",
        "/api/admin/people",
        "/api/admin/periods",
        "/api/periods/{periodCode}",
        "/api/orders",
        "/api/orders/{orderId}",
        "/api/webhooks/stripe",
        "/api/admin/alerts",
        "/api/tickets/{periodCode}",
    ):
        assert path in paths, sorted(paths)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Bearer " + jwt.encode({"sub": "u", "exp": 1}, AUTH_SECRET)},
        {
            "Authorization": "Bearer "
            + jwt.encode(
                {"sub": "u", "exp": int(time.time()) + 60}, "another-secret-of-32-bytes-at-least!"
            )
        },
    ],
    ids=["none", "empty", "basic", "garbage", "expired", "foreign"],
)
def test_user_routes_need_a_valid_bearer_token(running: Running, headers: dict[str, str]) -> None:
    client = running.api.client
    for response in (
        client.get("/api/me/profile", headers=headers),
        client.get("/api/tickets/2026-fall", headers=headers),
        client.post("/api/orders", json={}, headers=headers),
        client.get("/api/admin/alerts", headers=headers),
    ):
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"


def test_admin_routes_are_for_admins(running: Running) -> None:
    client, user = running.api.client, bearer("dancer-1", "staff")
    assert_problem(client.get("/api/admin/alerts", headers=user), 403, "forbidden")
    assert_problem(
        client.post("/api/admin/periods", json=period_body(), headers=user), 403, "forbidden"
    )
    assert_problem(
        client.post("/api/admin/people", json={"name": "A", "email": "a@b.no"}, headers=user),
        403,
        "forbidden",
    )
    assert client.get("/api/periods/2026-fall").status_code == 404  # nothing was created


def test_a_profile_is_created_then_updated_with_a_stable_person_id(running: Running) -> None:
    client, user = running.api.client, bearer("dancer-1")
    assert_problem(client.get("/api/me/profile", headers=user), 404, "profile_not_found")

    created = running.api.profile("dancer-1", name="Ådne")
    updated = client.put(
        "/api/me/profile",
        json={"name": "Ådne Ås", "email": "adne@example.no", "phone": "+47 1"},
        headers=user,
    ).json()

    assert updated["personId"] == created["personId"] and updated["userId"] == "dancer-1"
    assert client.get("/api/me/profile", headers=user).json() == updated
    assert updated["phone"] == "+47 1"
    assert_problem(
        client.put("/api/me/profile", json={"name": "X", "email": "not-an-email"}, headers=user),
        422,
        "invalid_profile",
    )


def test_an_admin_adds_a_partner_once_per_user(running: Running) -> None:
    client = running.api.client
    partner = client.post(
        "/api/admin/people",
        json={"name": "Per", "email": "per@example.no", "userId": "per"},
        headers=ADMIN,
    )
    assert partner.status_code == 201
    assert partner.json()["userId"] == "per"
    again = client.post(
        "/api/admin/people",
        json={"name": "Per", "email": "per@example.no", "userId": "per"},
        headers=ADMIN,
    )
    assert_problem(again, 409, "person_exists")
    # The partner's account sees the profile the admin made.
    assert (
        client.get("/api/me/profile", headers=bearer("per")).json()["personId"]
        == (partner.json()["personId"])
    )


def test_a_period_is_scheduled_once_and_readable_by_anyone(running: Running) -> None:
    client = running.api.client
    created = running.api.schedule()
    assert created["code"] == "2026-fall" and len(created["tracks"]) == 2

    assert client.get("/api/periods/2026-fall").json() == created
    assert_problem(
        client.post("/api/admin/periods", json=period_body(), headers=ADMIN), 409, "period_exists"
    )
    assert_problem(client.get("/api/periods/nope"), 404, "period_not_found")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"endDate": "2026-08-01"}, "invalid_period"),
        ({"tracks": []}, "invalid_period"),
        ({"tracks": [{"code": "a", "name": "A", "priceCents": 1}] * 2}, "invalid_period"),
        ({"timezone": "Mars/Olympus"}, "invalid_period"),
        ({"currency": "N0K"}, "validation_failed"),  # the schema says: three letters
        ({"tracks": [{"code": "a", "name": "A", "priceCents": -1}]}, "validation_failed"),
        ({"startDate": "2026-13-01"}, "validation_failed"),
        ({"tracks": [{"code": "a", "name": "A", "price": 1}]}, "validation_failed"),
        ({"name": None}, "validation_failed"),
        ({"code": ""}, "validation_failed"),
        ({"surprise": True}, "validation_failed"),
    ],
)
def test_an_invalid_period_is_refused_with_a_clear_message(
    running: Running, overrides: dict[str, Any], code: str
) -> None:
    response = running.api.client.post(
        "/api/admin/periods", json=period_body(**overrides), headers=ADMIN
    )
    assert_problem(response, 422, code)
    assert running.services.store.recorder.max_notification_id() in (None, 0)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[]", b"null", b'"text"', b"\xff\xfe"],
    ids=["malformed", "empty", "array", "null", "string", "binary"],
)
def test_bodies_that_are_not_objects_are_a_4xx_never_a_500(running: Running, body: bytes) -> None:
    for method, path, headers in (
        ("POST", "/api/admin/periods", ADMIN),
        ("POST", "/api/admin/people", ADMIN),
        ("POST", "/api/orders", bearer("u")),
        ("PUT", "/api/me/profile", bearer("u")),
        ("POST", "/api/webhooks/stripe", {}),
    ):
        response = running.api.client.request(
            method, path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert running.services.store.recorder.max_notification_id() in (None, 0)


def test_orders_take_prices_from_the_period_and_check_what_they_name(running: Running) -> None:
    api, user = running.api, bearer("dancer-1")
    api.schedule()

    order = api.order("dancer-1", "salsa1", "bachata1")
    assert order["totalCents"] == 270000 and order["currency"] == "NOK"
    assert [r["priceCents"] for r in order["registrations"]] == [150000, 120000]
    assert order["checkoutUrl"] is None  # no STRIPE_API_KEY configured

    def place(registrations: list[dict[str, Any]], period: str = "2026-fall") -> Any:
        return api.client.post(
            "/api/orders",
            json={"periodCode": period, "registrations": registrations},
            headers=user,
        )

    assert_problem(place([{"trackCode": "salsa1", "priceCents": 1}]), 422, "validation_failed")
    assert_problem(place([{"trackCode": "tango9"}]), 422, "unknown_track")
    assert_problem(place([{"trackCode": "salsa1", "role": "boss"}]), 422, "validation_failed")
    assert_problem(place([{"trackCode": "salsa1"}] * 2), 422, "invalid_order")
    assert_problem(place([]), 422, "validation_failed")
    assert_problem(place([{"trackCode": "salsa1"}], period="nope"), 404, "period_not_found")
    assert_problem(
        place([{"trackCode": "salsa1", "personId": "6c1f4a4e-0000-4000-8000-000000000000"}]),
        404,
        "person_not_found",
    )


def test_an_order_is_seen_by_its_purchaser_and_admins_only(running: Running) -> None:
    api = running.api
    api.schedule()
    order = api.order("dancer-1", "salsa1")
    path = f"/api/orders/{order['orderId']}"

    assert api.client.get(path, headers=bearer("dancer-1")).json() == order
    assert api.client.get(path, headers=ADMIN).json()["orderId"] == order["orderId"]
    assert_problem(api.client.get(path, headers=bearer("someone-else")), 404, "order_not_found")
    assert api.client.get("/api/orders/not-a-uuid", headers=bearer("dancer-1")).status_code in (
        400,
        404,
    )


def test_a_ticket_is_the_callers_own(running: Running) -> None:
    api = running.api
    api.schedule()
    api.profile("dancer-1")
    api.pay(api.order("dancer-1", "salsa1"))

    assert api.ticket("dancer-1").status_code == 200
    assert_problem(api.ticket("someone-else"), 404, "ticket_not_found")
    assert_problem(api.ticket("dancer-1", period="nope"), 404, "period_not_found")


def test_alerts_are_listed_newest_first(running: Running) -> None:
    api = running.api
    api.schedule()
    for ref in ("6c1f4a4e-0000-4000-8000-000000000001", "6c1f4a4e-0000-4000-8000-000000000002"):
        api.webhook(_paid(ref))
    store = running.services.store
    for model in running.services.read_models:  # what the worker does
        for notification in store.notifications(topics=model.topics):
            model.handle(notification, store.decode(notification))
    listed = api.client.get("/api/admin/alerts", headers=ADMIN).json()
    assert [a["subject"] for a in listed["items"]] == [
        "6c1f4a4e-0000-4000-8000-000000000002",
        "6c1f4a4e-0000-4000-8000-000000000001",
    ]
    assert listed["nextCursor"] is None
    assert set(listed["items"][0]) == {
        "alertId",
        "kind",
        "severity",
        "message",
        "subject",
        "createdAt",
        "state",
    }


def _paid(order_id: str) -> dict[str, Any]:
    from tests.support.stripe_events import checkout_completed

    return checkout_completed(order_id, 100)


def test_metrics_are_exposed_for_prometheus_with_route_templates(running: Running) -> None:
    api = running.api
    api.schedule()
    api.client.get("/api/periods/2026-fall")

    metrics = api.client.get("/metrics")

    assert metrics.status_code == 200
    assert "tickets_requests_total" in metrics.text
    assert 'path="/api/periods/{periodCode}"' in metrics.text
    assert "/api/periods/2026-fall" not in metrics.text
