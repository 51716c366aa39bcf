"""Door scans against `tickets serve` in its own process: racing scanners, the worker's index."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.persistence.eventstore import open_store
from adapters.persistence.scan_index_sql import SqlScanIndex
from adapters.persistence.store_config import StoreConfig
from domain.ticket import Ticket
from tests.support.service import ADMIN, Api, ServerProcess, bearer, service_env

pytestmark = pytest.mark.integration

STAFF = bearer("door-staff-1", "staff")
SCANNERS = 20


@pytest.fixture
def door_server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    process = ServerProcess(
        service_env(database_url, TICKET_JWT_PRIVATE_KEY=pem.decode()), tmp_path
    ).start()
    yield process
    process.stop()


def sold_ticket(client: httpx.Client) -> tuple[UUID, str]:
    """A ticket of a period around today (the server runs on the real clock)."""
    api = Api(client)
    today = date.today()
    api.schedule(
        startDate=(today - timedelta(days=30)).isoformat(),
        endDate=(today + timedelta(days=60)).isoformat(),
    )
    api.profile("dancer-1")
    order = api.order("dancer-1", "salsa1")
    assert api.pay(order).status_code == 200
    ticket = api.ticket("dancer-1").json()
    return UUID(ticket["ticketId"]), ticket["qrToken"]


def scan_all_at_once(base_url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    start = threading.Barrier(SCANNERS)

    def scan(_: int) -> dict[str, Any]:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            start.wait()
            response = client.post("/api/checkin/scan", json=body, headers=STAFF)
            assert response.status_code == 200, response.text
            answer: dict[str, Any] = response.json()
            return answer

    with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
        return list(pool.map(scan, range(SCANNERS)))


def check_ins(database_url: str, ticket_id: UUID) -> list[Ticket.CheckedIn]:
    store = open_store(StoreConfig(url=database_url))
    try:
        return [e for e in store.events.get(ticket_id) if isinstance(e, Ticket.CheckedIn)]
    finally:
        store.close()


def test_twenty_concurrent_scans_of_one_token_check_in_once(
    door_server: ServerProcess, database_url: str
) -> None:
    with httpx.Client(base_url=door_server.base_url, timeout=30) as client:
        ticket_id, token = sold_ticket(client)

    answers = scan_all_at_once(door_server.base_url, {"token": token, "deviceId": "door-a"})

    results = Counter(a["result"] for a in answers)
    assert results == {"ok": 1, "already_checked_in": SCANNERS - 1}
    first = {a["ticket"]["checkedInAt"] for a in answers}
    assert len(first) == 1  # every loser names the winner's time
    assert len(check_ins(database_url, ticket_id)) == 1


def test_twenty_concurrent_scans_with_one_scan_id_record_one_check_in(
    door_server: ServerProcess, database_url: str
) -> None:
    with httpx.Client(base_url=door_server.base_url, timeout=30) as client:
        ticket_id, token = sold_ticket(client)

    answers = scan_all_at_once(door_server.base_url, {"token": token, "scanId": "door-a:42"})

    # The first answer, to every copy: the scanner retried, it did not scan twenty times.
    assert {a["result"] for a in answers} == {"ok"}
    assert len({a["ticket"]["checkedInAt"] for a in answers}) == 1
    assert len(check_ins(database_url, ticket_id)) == 1


def test_the_servers_worker_keeps_the_scan_index(
    door_server: ServerProcess, database_url: str
) -> None:
    with httpx.Client(base_url=door_server.base_url, timeout=30) as client:
        ticket_id, token = sold_ticket(client)
        answer = client.post("/api/checkin/scan", json={"token": token}, headers=STAFF).json()
        assert answer["result"] == "ok"

    index = SqlScanIndex(StoreConfig(url=database_url))
    try:
        deadline = time.monotonic() + 20
        entry = index.lookup(ticket_id)
        while (entry is None or entry.last_check_in_date is None) and time.monotonic() < deadline:
            time.sleep(0.1)
            entry = index.lookup(ticket_id)
        assert entry is not None, door_server.logs()
        assert entry.last_check_in_at is not None
        assert (
            entry.last_check_in_at.isoformat().replace("+00:00", "Z")
            == answer["ticket"]["checkedInAt"]
        )
    finally:
        index.close()


def test_a_rotation_is_emailed_by_the_servers_worker(
    door_server: ServerProcess, tmp_path: Path
) -> None:
    outbox = tmp_path / "var" / "outbox"  # the file backend's default, under the server's cwd

    def emails(at_least: int) -> list[Path]:
        deadline = time.monotonic() + 20
        found = sorted(outbox.glob("*.eml")) if outbox.exists() else []
        while len(found) < at_least and time.monotonic() < deadline:
            time.sleep(0.1)
            found = sorted(outbox.glob("*.eml")) if outbox.exists() else []
        return found

    with httpx.Client(base_url=door_server.base_url, timeout=30) as client:
        ticket_id, old = sold_ticket(client)
        assert len(emails(1)) == 1, door_server.logs()
        rotated = client.post(
            f"/api/admin/tickets/{ticket_id}/rotate", json={"reason": "lost phone"}, headers=ADMIN
        )
        assert rotated.status_code == 200
        new = Api(client).ticket("dancer-1").json()["qrToken"]

    assert new != old
    assert len(emails(2)) == 2, door_server.logs()
