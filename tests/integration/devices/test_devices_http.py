"""Door devices over real HTTP on SQLite and PostgreSQL: pairing once, scanning with the
credential, last seen, revocation; search, manual check-in and today's count at the door."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from domain.device import Device, Pairing
from domain.ticket import Ticket
from entrypoints.bootstrap import Services, build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.integration.door.test_checkin_http import EVENING, SettableClock
from tests.support.service import ADMIN, Api, bearer, service_env

pytestmark = pytest.mark.integration

STAFF = bearer("door-staff-1", "staff")


class DoorApi:
    def __init__(self, client: Any, services: Services, clock: SettableClock) -> None:
        self.client = client
        self.api = Api(client)
        self.services = services
        self.clock = clock

    def add_device(self, name: str = "Front door", period: str | None = "2026-fall") -> Any:
        body: dict[str, Any] = {"name": name}
        if period is not None:
            body["periodCode"] = period
        response = self.client.post("/api/admin/devices", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        return response.json()

    def pair(self, code: str) -> Any:
        return self.client.post("/api/devices/pair", json={"pairingCode": code})

    def paired(self, name: str = "Front door") -> dict[str, str]:
        added = self.add_device(name)
        response = self.pair(added["pairingCode"])
        assert response.status_code == 200, response.text
        return {"Authorization": f"Device {response.json()['credential']}"}

    def sell(self, user: str, name: str) -> str:
        self.api.profile(user, name)
        order = self.api.order(user, "salsa1")
        assert self.api.pay(order).status_code == 200
        response = self.api.ticket(user)
        assert response.status_code == 200, response.text
        token: str = response.json()["qrToken"]
        return token

    def scan(self, token: str, headers: dict[str, str], **extra: Any) -> Any:
        return self.client.post(
            "/api/checkin/scan", json={"token": token, **extra}, headers=headers
        )

    def follow(self) -> None:
        """The worker's part for the door: the scan index catches up with the log."""
        for index in self.services.read_models:
            for notification in self.services.store.notifications(
                index.position() + 1, topics=index.topics
            ):
                index.handle(notification, self.services.store.decode(notification))

    def events(self, aggregate_id: str | UUID, kind: type[Any]) -> list[Any]:
        return [
            e for e in self.services.store.events.get(UUID(str(aggregate_id))) if type(e) is kind
        ]


@pytest.fixture
def door(database_url: str) -> Iterator[DoorApi]:
    clock = SettableClock()
    settings = Settings.from_env(service_env(database_url))
    migrate(settings.database)
    services = build(settings, clock=clock)
    with TestClient(create_app(services)) as client:
        door = DoorApi(client, services, clock)
        door.api.schedule()
        yield door


def test_a_device_pairs_once_and_its_scans_record_it(door: DoorApi) -> None:
    added = door.add_device("Front door")
    assert added["pairingUrl"] == f"http://127.0.0.1:8000/door?pair={added['pairingCode']}"
    assert added["pairingExpiresAt"] == "2026-10-01T16:15:00Z"  # minutes, by the clock
    assert added["pairingQr"].startswith("data:image/png;base64,")

    first = door.pair(added["pairingCode"])
    second = door.pair(added["pairingCode"])

    assert first.status_code == 200, first.text
    paired = first.json()
    assert paired["deviceId"] == added["deviceId"]
    assert paired["name"] == "Front door"
    assert second.status_code == 404
    assert second.json()["code"] == "pairing_not_found"
    # Only hashes are recorded: neither the pairing code nor the credential is in any event.
    credential = paired["credential"]
    recorded = door.events(added["deviceId"], Device.Paired)
    assert [e.credential_hash for e in recorded] == [
        hashlib.sha256(credential.encode()).hexdigest()
    ]
    for event in door.services.store.events.get(UUID(added["deviceId"])):
        assert credential not in repr(event) and added["pairingCode"] not in repr(event)
    assert door.events(Pairing.id_for(added["pairingCode"]), Pairing.Used)

    device = {"Authorization": f"Device {credential}"}
    token = door.sell("dancer-1", "Åse Øvergård")
    answer = door.scan(token, device, deviceId="spoofed", scanId="s-1")

    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "ok"
    (check_in,) = door.events(answer.json()["ticket"]["ticketId"], Ticket.CheckedIn)
    assert check_in.device_id == added["deviceId"]  # the authenticated device, not the body's
    assert check_in.staff_user_id == f"device:{added['deviceId']}"
    assert check_in.cause.actor == f"device:{added['deviceId']}"
    assert check_in.manual is False

    listed = door.client.get("/api/admin/devices", headers=ADMIN).json()["items"]
    assert [(d["deviceId"], d["status"], d["lastSeenAt"]) for d in listed] == [
        (added["deviceId"], "PAIRED", "2026-10-01T16:00:00Z")
    ]


def test_a_revoked_device_is_refused_with_401(door: DoorApi) -> None:
    device = door.paired()
    token = door.sell("dancer-1", "Åse Øvergård")
    me = door.client.get("/api/devices/me", headers=device).json()

    revoked = door.client.post(f"/api/admin/devices/{me['deviceId']}/revoke", headers=ADMIN)
    scan = door.scan(token, device)

    assert revoked.status_code == 200 and revoked.json()["status"] == "REVOKED"
    assert scan.status_code == 401
    assert scan.json()["code"] == "unauthenticated"
    assert door.client.get("/api/devices/me", headers=device).status_code == 401
    assert door.client.get("/api/checkin/today", headers=device).status_code == 401
    assert door.events(door.api.ticket("dancer-1").json()["ticketId"], Ticket.CheckedIn) == []


def test_an_expired_pairing_code_is_not_found(door: DoorApi) -> None:
    added = door.add_device()
    door.clock.moment = EVENING.replace(minute=15)

    response = door.pair(added["pairingCode"])

    assert response.status_code == 404
    assert response.json()["code"] == "pairing_not_found"


@pytest.mark.parametrize(
    "header",
    [
        "Device ",
        "Device not-a-credential",
        "Device 6f1d3a52-3c1e-4a8e-9d0b-5a7e2c4b9f10.guess",
        "Device " + "x" * 5000,
    ],
)
def test_a_made_up_device_credential_is_401(door: DoorApi, header: str) -> None:
    response = door.client.post(
        "/api/checkin/scan", json={"token": "x"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_only_admins_manage_devices_and_bad_input_is_refused(door: DoorApi) -> None:
    staff_add = door.client.post("/api/admin/devices", json={"name": "x"}, headers=STAFF)
    no_name = door.client.post("/api/admin/devices", json={"name": ""}, headers=ADMIN)
    control = door.client.post("/api/admin/devices", json={"name": "a\nb"}, headers=ADMIN)
    unknown_period = door.client.post(
        "/api/admin/devices", json={"name": "x", "periodCode": "nope"}, headers=ADMIN
    )
    bad_code = door.client.post("/api/devices/pair", json={"pairingCode": "../../etc"})
    device = door.paired()
    device_as_admin = door.client.get("/api/admin/devices", headers=device)

    assert staff_add.status_code == 403
    assert no_name.status_code == 422 and control.status_code == 422
    assert unknown_period.status_code == 404
    assert unknown_period.json()["code"] == "period_not_found"
    assert bad_code.status_code == 422
    assert device_as_admin.status_code == 401  # a device is no user


def test_search_manual_check_in_and_todays_count(door: DoorApi) -> None:
    device = door.paired()
    door.sell("dancer-1", "Åse Øvergård")
    door.sell("dancer-2", "Ola Nordmann")
    door.follow()

    found = door.client.get("/api/checkin/search", params={"q": "ase OVER"}, headers=device)
    nobody = door.client.get("/api/checkin/search", params={"q": "zz"}, headers=device)

    assert found.status_code == 200, found.text
    (hit,) = found.json()["items"]
    assert hit["personName"] == "Åse Øvergård"
    assert hit["tracks"] == [{"code": "salsa1", "name": "Salsa 1"}]
    assert "checkedInAt" not in hit
    assert nobody.json()["items"] == []

    manual = door.client.post(
        "/api/checkin/manual", json={"ticketId": hit["ticketId"], "scanId": "m-1"}, headers=device
    )
    repeated = door.client.post(
        "/api/checkin/manual", json={"ticketId": hit["ticketId"], "scanId": "m-1"}, headers=device
    )
    again = door.client.post(
        "/api/checkin/manual", json={"ticketId": hit["ticketId"]}, headers=STAFF
    )
    unknown = door.client.post(
        "/api/checkin/manual",
        json={"ticketId": "6f1d3a52-3c1e-4a8e-9d0b-5a7e2c4b9f10"},
        headers=device,
    )

    assert manual.json()["result"] == "ok"
    assert repeated.json() == manual.json()
    assert again.json()["result"] == "already_checked_in"
    assert unknown.json() == {"result": "invalid"}
    (check_in,) = door.events(hit["ticketId"], Ticket.CheckedIn)
    assert check_in.manual is True

    door.follow()
    today = door.client.get("/api/checkin/today", headers=device).json()
    staff_today = door.client.get(
        "/api/checkin/today", params={"periodCode": "2026-fall"}, headers=STAFF
    ).json()
    in_search = door.client.get("/api/checkin/search", params={"q": "åse"}, headers=device)

    assert today == {
        "periodCode": "2026-fall",
        "date": "2026-10-01",
        "count": 1,
        "items": [{"ticketId": hit["ticketId"], "checkedInAt": "2026-10-01T16:00:00Z"}],
    }
    assert staff_today == today
    assert in_search.json()["items"][0]["checkedInAt"] == "2026-10-01T16:00:00Z"


def test_door_routes_need_staff_or_a_device(door: DoorApi) -> None:
    dancer = bearer("dancer-1")
    assert (
        door.client.get("/api/checkin/search?q=a&periodCode=2026-fall", headers=dancer).status_code
        == 403
    )
    assert door.client.get("/api/checkin/today?periodCode=2026-fall").status_code == 401
    # Staff name the period; a device without one must too.
    no_period = door.client.get("/api/checkin/today", headers=STAFF)
    assert no_period.status_code == 422
    assert no_period.json()["errors"][0]["key"] == "periodCode"
    long_query = door.client.get(
        "/api/checkin/search", params={"q": "a" * 101, "periodCode": "2026-fall"}, headers=STAFF
    )
    assert long_query.status_code == 422


def test_revocations_feed_is_incremental_and_the_roster_names_the_tickets(
    door: DoorApi,
) -> None:
    device = door.paired()
    first = door.sell("dancer-1", "Åse Øvergård")
    door.sell("dancer-2", "Ola Nordmann")
    first_id = door.api.ticket("dancer-1").json()["ticketId"]
    second_id = door.api.ticket("dancer-2").json()["ticketId"]
    door.follow()
    empty = door.client.get("/api/checkin/revocations", headers=device).json()
    assert empty == {"items": [], "nextSince": "0"}

    assert (
        door.client.post(
            f"/api/admin/tickets/{first_id}/revoke", json={"reason": "refund"}, headers=ADMIN
        ).status_code
        == 200
    )
    assert (
        door.client.post(f"/api/admin/tickets/{second_id}/rotate", headers=ADMIN).status_code == 200
    )
    door.follow()
    changed = door.client.get("/api/checkin/revocations", headers=device).json()
    after = door.client.get(
        "/api/checkin/revocations", params={"since": changed["nextSince"]}, headers=device
    ).json()
    roster = door.client.get("/api/checkin/roster", headers=device).json()

    assert [(i["ticketId"], i["status"], i["currentTokenVersion"]) for i in changed["items"]] == [
        (first_id, "REVOKED", 1),
        (second_id, "ACTIVE", 2),
    ]
    assert all(i["changedAt"].startswith("20") for i in changed["items"])
    assert after == {"items": [], "nextSince": changed["nextSince"]}
    assert [t["personName"] for t in roster["items"]] == ["Åse Øvergård", "Ola Nordmann"]
    assert first not in str(changed)  # tokens never
    bad = door.client.get("/api/checkin/revocations", params={"since": "-1"}, headers=device)
    assert bad.status_code in (400, 422)


def test_attendance_per_day_and_for_the_whole_period_as_csv(door: DoorApi) -> None:
    device = door.paired()
    first = door.sell("dancer-1", "Åse Øvergård")
    door.sell("dancer-2", "=Ola Nordmann")  # a formula to a spreadsheet: must stay text
    second_id = door.api.ticket("dancer-2").json()["ticketId"]
    assert door.scan(first, device).json()["result"] == "ok"
    door.clock.moment = EVENING.replace(minute=5)
    manual = door.client.post("/api/checkin/manual", json={"ticketId": second_id}, headers=STAFF)
    assert manual.json()["result"] == "ok"
    door.clock.moment = EVENING.replace(day=8)  # a week later: only Åse
    assert door.scan(first, device).json()["result"] == "ok"
    door.follow()

    day = door.client.get(
        "/api/admin/periods/2026-fall/attendance", params={"date": "2026-10-01"}, headers=ADMIN
    )
    today = door.client.get("/api/admin/periods/2026-fall/attendance", headers=ADMIN).json()
    csv = door.client.get("/api/admin/periods/2026-fall/attendance.csv", headers=ADMIN)

    assert day.status_code == 200, day.text
    body = day.json()
    me = door.client.get("/api/devices/me", headers=device).json()
    assert (body["date"], body["total"], body["byTrack"]) == (
        "2026-10-01",
        2,
        {"salsa1": 2, "bachata1": 0},
    )
    assert [(p["name"], p["checkedInAt"], p["deviceId"], p["manual"]) for p in body["persons"]] == [
        ("Åse Øvergård", "2026-10-01T16:00:00Z", me["deviceId"], False),
        ("=Ola Nordmann", "2026-10-01T16:05:00Z", None, True),
    ]
    assert (today["date"], today["total"]) == ("2026-10-08", 1)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="attendance-2026-fall.csv"' in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0] == "personId,name,2026-10-01,2026-10-08,days"
    assert lines[1].split(",")[1:] == ["'=Ola Nordmann", "18:05", "", "1"]
    assert lines[2].split(",")[1:] == ["Åse Øvergård", "18:00", "18:00", "2"]


def test_attendance_is_for_admins_of_a_known_period(door: DoorApi) -> None:
    path = "/api/admin/periods/2026-fall/attendance"
    assert door.client.get(path, headers=STAFF).status_code == 403
    assert door.client.get(path).status_code == 401
    unknown = door.client.get("/api/admin/periods/nope/attendance.csv", headers=ADMIN)
    assert unknown.status_code == 404 and unknown.json()["code"] == "period_not_found"
    bad_date = door.client.get(path, params={"date": "yesterday"}, headers=ADMIN)
    assert bad_date.status_code in (400, 422)
