"""A door device paired for a period acts only within it, on every door route (SQLite and
PostgreSQL): another period's ticket answers wrong_period and records nothing, another period
asked for is 403 wrong_period; a device paired without a period, and staff, act on all."""

from __future__ import annotations

from typing import Any

import pytest

from domain.scan import Scan
from domain.ticket import Ticket
from tests.integration.devices.test_devices_http import STAFF, DoorApi, door  # noqa: F401 (fixture)
from tests.support.service import ADMIN

pytestmark = pytest.mark.integration

# Every door route that is asked about a period, with the query it takes.
PERIOD_ROUTES = [
    "/api/checkin/search?periodCode={period}&q=ola",
    "/api/checkin/revocations?periodCode={period}&since=0",
    "/api/checkin/roster?periodCode={period}",
    "/api/checkin/today?periodCode={period}",
]


def paired(api: DoorApi, period: str | None) -> tuple[dict[str, str], str]:
    """A device paired for ``period``: its Authorization header, and the actor it records."""
    added = api.add_device(f"door of {period}", period=period)
    response = api.pair(added["pairingCode"])
    assert response.status_code == 200, response.text
    return {
        "Authorization": f"Device {response.json()['credential']}"
    }, f"device:{added['deviceId']}"


def paired_for(api: DoorApi, period: str | None) -> dict[str, str]:
    return paired(api, period)[0]


def sell_in(api: DoorApi, user: str, name: str, period: str) -> tuple[str, str]:
    """A paid ticket of ``period``: its id and token."""
    api.api.profile(user, name)
    order = api.api.order(user, "salsa1", period=period)
    assert api.api.pay(order).status_code == 200
    response = api.api.ticket(user, period)
    assert response.status_code == 200, response.text
    return response.json()["ticketId"], response.json()["qrToken"]


@pytest.fixture
def spring(door: DoorApi) -> DoorApi:  # noqa: F811 (the fixture imported above)
    door.api.schedule("2027-spring", name="Spring 2027", startDate="2026-09-01")
    return door


@pytest.mark.parametrize("route", PERIOD_ROUTES)
def test_a_door_route_asked_about_another_period_is_403(spring: DoorApi, route: str) -> None:
    device = paired_for(spring, "2026-fall")

    other = spring.client.get(route.format(period="2027-spring"), headers=device)
    own = spring.client.get(route.format(period="2026-fall"), headers=device)
    implied = spring.client.get(
        route.replace("periodCode={period}&", "").replace("?periodCode={period}", ""),
        headers=device,
    )

    assert other.status_code == 403, other.text
    assert other.json()["code"] == "wrong_period"
    assert own.status_code == 200, own.text
    assert implied.status_code == 200, implied.text  # the device's own period by default


@pytest.mark.parametrize("route", PERIOD_ROUTES)
def test_staff_and_devices_without_a_period_act_on_every_period(
    spring: DoorApi, route: str
) -> None:
    unbound = paired_for(spring, None)
    for headers in (unbound, STAFF, ADMIN):
        for period in ("2026-fall", "2027-spring"):
            response = spring.client.get(route.format(period=period), headers=headers)
            assert response.status_code == 200, (period, response.text)


def test_another_periods_ticket_answers_wrong_period_and_records_nothing(
    spring: DoorApi,
) -> None:
    device, actor = paired(spring, "2026-fall")
    ticket_id, token = sell_in(spring, "dancer-2", "Ola Nordmann", "2027-spring")

    scanned = spring.scan(token, device, scanId="s-1")
    spring.follow()  # the scan index knows the ticket now: its answer is checked too
    scanned_again = spring.scan(token, device, scanId="s-2")
    manual = spring.client.post(
        "/api/checkin/manual", json={"ticketId": ticket_id, "scanId": "s-3"}, headers=device
    )

    for answer in (scanned, scanned_again, manual):
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert body["result"] == "wrong_period"
        assert body["ticket"]["periodCode"] == "2027-spring"  # whose it is: sent to its door
    assert spring.events(ticket_id, Ticket.CheckedIn) == []
    for scan_id in ("s-1", "s-2", "s-3"):
        assert spring.services.store.find(Scan, Scan.id_for(actor, scan_id)) is None

    # The same ticket at a door of its own period checks in.
    own_door = spring.scan(token, paired_for(spring, "2027-spring"), scanId="s-4")
    assert own_door.json()["result"] == "ok", own_door.text
    assert len(spring.events(ticket_id, Ticket.CheckedIn)) == 1


def test_a_scan_id_is_the_callers_own_another_device_cannot_replay_its_answer(
    spring: DoorApi,
) -> None:
    first, second = paired_for(spring, "2026-fall"), paired_for(spring, "2026-fall")
    token = spring.sell("dancer-1", "Åse Øvergård")

    mine = spring.scan(token, first, scanId="shared-nonce")
    theirs = spring.scan(token, second, scanId="shared-nonce")

    assert mine.json()["result"] == "ok", mine.text
    # Not the first device's ``ok`` replayed: the second device's own scan of a ticket that
    # is in already.
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["result"] == "already_checked_in"
    assert spring.scan(token, first, scanId="shared-nonce").json()["result"] == "ok"
