"""The admin alert list over HTTP on SQLite and PostgreSQL: a read model the worker keeps,
paged by cursor, filtered, acknowledged, and rebuilt and compared by the audit replay."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.persistence.alert_list import SqlAlertList
from adapters.persistence.eventstore import migrate
from adapters.persistence.sql_tables import SqlTables
from application.alerts.alerts import new_alert
from domain.alert import AlertKind
from domain.shared import SYSTEM
from entrypoints.bootstrap import Services, build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.service import ADMIN, bearer, service_env

pytestmark = pytest.mark.integration

SHAPE = {"alertId", "kind", "severity", "message", "subject", "createdAt", "state"}


@dataclass
class Admin:
    client: TestClient[Any]
    services: Services

    def raise_alerts(self, *kinds: AlertKind) -> list[str]:
        ids = []
        for number, kind in enumerate(kinds):
            alert = new_alert(kind, f"alert {number}", subject=f"subject-{number}", cause=SYSTEM)
            self.services.alerts.raise_now(alert)
            ids.append(str(alert.id))
        return ids

    def follow(self) -> None:
        """What the worker does for the read models: the log after each one's position."""
        store = self.services.store
        for model in self.services.read_models:
            for notification in store.notifications(
                start=model.position() + 1, topics=model.topics
            ):
                model.handle(notification, store.decode(notification))

    def alerts(self, **query: Any) -> Any:
        response = self.client.get("/api/admin/alerts", params=query, headers=ADMIN)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def admin(database_url: str) -> Iterator[Admin]:
    settings = Settings.from_env(service_env(database_url))
    migrate(settings.database)
    services = build(settings)
    with TestClient(create_app(services)) as client:
        yield Admin(client, services)


def test_the_list_pages_newest_first_by_cursor(admin: Admin) -> None:
    ids = admin.raise_alerts(*[AlertKind.UNKNOWN_ORDER] * 5)
    assert admin.alerts()["items"] == []  # the worker has not followed the log yet
    admin.follow()

    first = admin.alerts(limit=2)
    second = admin.alerts(limit=2, cursor=first["nextCursor"])
    last = admin.alerts(limit=2, cursor=second["nextCursor"])

    assert set(first) == {"items", "nextCursor"}
    assert all(set(item) == SHAPE for item in first["items"])
    listed = [a["alertId"] for page in (first, second, last) for a in page["items"]]
    assert listed == ids[::-1]
    assert last["nextCursor"] is None
    item = last["items"][0]
    assert item["state"] == "open" and item["kind"] == "unknown_order"
    assert item["subject"] == "subject-0" and item["createdAt"].endswith("Z")
    assert len(admin.alerts()["items"]) == 5  # default page: 50


def test_filters_and_acknowledgement(admin: Admin) -> None:
    (mismatch,) = admin.raise_alerts(AlertKind.PAYMENT_MISMATCH)
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    unknown, failed = admin.raise_alerts(AlertKind.UNKNOWN_ORDER, AlertKind.EMAIL_FAILED)

    acknowledged = admin.client.post(f"/api/admin/alerts/{unknown}/acknowledge", headers=ADMIN)
    again = admin.client.post(f"/api/admin/alerts/{unknown}/acknowledge", headers=ADMIN)
    admin.follow()

    assert acknowledged.status_code == 200, acknowledged.text
    body = acknowledged.json()
    assert set(body) == SHAPE and body["state"] == "acknowledged" and body["alertId"] == unknown
    assert again.status_code == 200 and again.json()["state"] == "acknowledged"
    events = admin.client.get(f"/api/admin/audit/{unknown}/events", headers=ADMIN).json()
    assert [e["type"] for e in events] == ["Alert.Raised", "Alert.Acknowledged"]
    assert events[1]["actor"] == "admin-1" and events[1]["data"] == {"by": "admin-1"}

    def ids(**query: Any) -> list[str]:
        return [a["alertId"] for a in admin.alerts(**query)["items"]]

    assert ids(state="acknowledged") == [unknown]
    assert ids(state="open") == [failed, mismatch]
    assert ids(kind="payment_mismatch") == [mismatch]
    assert ids(since=between) == [failed, unknown]
    assert ids(since=between, state="open", limit=1) == [failed]
    # The calendar's ends, in any zone: answered, never a 500.
    assert len(ids(since="0001-01-01T00:00:00+01:00")) == 3
    assert len(ids(since="0999-01-01T00:00:00Z")) == 3
    assert ids(since="9999-12-31T23:59:59-01:00") == []


def test_bad_requests_are_problems_and_only_admins_see_alerts(admin: Admin) -> None:
    admin.raise_alerts(AlertKind.UNKNOWN_ORDER)
    admin.follow()
    get = admin.client.get

    def problem(response: Any, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code

    problem(
        get("/api/admin/alerts", params={"cursor": "not-ours"}, headers=ADMIN),
        400,
        "invalid_cursor",
    )
    for query in (
        {"limit": "201"},
        {"limit": "0"},
        {"limit": "many"},
        {"state": "closed"},
        {"since": "yesterday"},
    ):
        problem(get("/api/admin/alerts", params=query, headers=ADMIN), 422, "validation_failed")
    problem(get("/api/admin/alerts", headers=bearer("dancer-1")), 403, "forbidden")
    problem(get("/api/admin/alerts"), 401, "unauthenticated")
    missing = admin.client.post(f"/api/admin/alerts/{uuid.uuid4()}/acknowledge", headers=ADMIN)
    problem(missing, 404, "alert_not_found")
    forbidden = admin.client.post(
        f"/api/admin/alerts/{uuid.uuid4()}/acknowledge", headers=bearer("dancer-1")
    )
    problem(forbidden, 403, "forbidden")


def test_the_replay_rebuilds_the_list_and_finds_a_tampered_one(admin: Admin) -> None:
    first, second = admin.raise_alerts(AlertKind.UNKNOWN_ORDER, AlertKind.PARTIAL_REFUND)
    admin.client.post(f"/api/admin/alerts/{first}/acknowledge", headers=ADMIN)
    admin.follow()
    services = admin.services

    report = services.audit.replay(services.read_models)
    check = {m.name: m for m in report.read_models}["alert-list"]
    assert check.equal, check.detail

    # Someone edits the live table behind the log's back.
    live = next(m for m in services.read_models if m.name == "alert-list")
    assert isinstance(live, SqlAlertList)
    tables = SqlTables(services.settings.database, {"alerts": "alert_list_alerts"}, pool_name="t")
    with tables.transaction(write=True) as run:
        run("UPDATE {alerts} SET state = 'open' WHERE alert_id = ?", (first,))
        run("DELETE FROM {alerts} WHERE alert_id = ?", (second,))
    tables.close()

    report = services.audit.replay(services.read_models)
    check = {m.name: m for m in report.read_models}["alert-list"]
    assert not check.equal and not report.ok
    assert "2 entries differ" in check.detail and second in check.detail

    rebuilt = services.audit.replay(services.read_models, rebuild=True)
    assert {m.name: m for m in rebuilt.read_models}["alert-list"].rebuilt
    states = {a["alertId"]: a["state"] for a in admin.alerts()["items"]}
    assert states == {first: "acknowledged", second: "open"}
    assert services.audit.replay(services.read_models).ok
