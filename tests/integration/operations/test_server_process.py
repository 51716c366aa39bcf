"""The service as it runs in production: `tickets serve` in its own process, hit concurrently."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from adapters.persistence.eventstore import open_store
from adapters.persistence.store_config import StoreConfig
from domain.order import Order
from domain.payment import StripeDelivery
from domain.ticket import Ticket
from tests.support.service import ROOT, Api, ServerProcess, service_env
from tests.support.stripe_events import checkout_completed

pytestmark = pytest.mark.integration


def topics_in(database_url: str) -> list[str]:
    store = open_store(StoreConfig(database_url))
    try:
        return [n.topic for n in store.notifications()]
    finally:
        store.close()


def test_twenty_concurrent_copies_of_one_event_pay_once_and_issue_one_ticket(
    server: ServerProcess, database_url: str
) -> None:
    server.start()
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        order = api.new_dancer_order()
        payload = checkout_completed(order["orderId"], order["totalCents"])

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(lambda _: api.webhook(payload).status_code, range(20)))

        assert statuses == [200] * 20
        assert api.ticket("dancer-1").status_code == 200
    topics = topics_in(database_url)
    assert topics.count(Order.PaymentReceived.TOPIC) == 1
    assert topics.count(Ticket.Issued.TOPIC) == 1
    assert topics.count(Ticket.QrTokenIssued.TOPIC) == 1
    assert topics.count(StripeDelivery.Recorded.TOPIC) == 1


def test_two_orders_of_one_person_paid_at_once_give_one_ticket_with_both_tracks(
    server: ServerProcess, database_url: str
) -> None:
    server.start()
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        api.schedule()
        api.profile("dancer-1")
        orders = [api.order("dancer-1", "salsa1"), api.order("dancer-1", "bachata1")]

        for _ in range(3):  # several rounds: the race has to be lost by someone, not by luck
            with ThreadPoolExecutor(max_workers=2) as pool:
                statuses = list(pool.map(lambda o: api.pay(o).status_code, orders))
            assert statuses == [200, 200]

        ticket = api.ticket("dancer-1").json()
    assert {t["code"] for t in ticket["tracks"]} == {"salsa1", "bachata1"}
    assert topics_in(database_url).count(Ticket.Issued.TOPIC) == 1
    assert topics_in(database_url).count(Order.PaymentReceived.TOPIC) == 2


def test_everything_is_still_there_after_a_restart(
    server: ServerProcess, database_url: str
) -> None:
    server.start()
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        order = api.new_dancer_order()
        payment = checkout_completed(order["orderId"], order["totalCents"])
        api.webhook(payment)
        before = api.ticket("dancer-1").json()
    server.stop()

    server.start()
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        after = api.ticket("dancer-1").json()
        assert client.get(f"/api/periods/{before['periodCode']}").status_code == 200
        assert api.webhook(payment).status_code == 200  # a late redelivery after the restart
    assert after == before  # the very same token, derived again from recorded fields
    assert topics_in(database_url).count(Ticket.Issued.TOPIC) == 1


def test_fulfilment_logs_each_step_as_json_without_tokens_or_payloads(
    server: ServerProcess,
) -> None:
    server.start()
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        order = api.new_dancer_order()
        api.pay(order, payment_intent="pi_logged")
        api.pay(order, payment_intent="pi_logged")  # another event of the same payment
        token = api.ticket("dancer-1").json()["qrToken"]
    server.stop()

    import json

    lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    steps = [line.get("step") for line in lines if line.get("stripe_event_id") or line.get("step")]
    for step in (
        "received",
        "verified",
        "order paid",
        "registrations activated",
        "ticket issued",
        "duplicate",
    ):
        assert step in steps, steps
    paid = next(line for line in lines if line.get("step") == "order paid")
    assert paid["order_id"] == order["orderId"] and paid["stripe_event_id"].startswith("evt_")
    text = server.logs()
    assert token not in text and token.split(".")[2] not in text
    assert "whsec_" not in text and '"data"' not in text  # no secret, no raw Stripe payload


@pytest.mark.parametrize("processes", [4])
def test_several_processes_migrating_at_once_all_succeed(
    database_url: str, tmp_path: Path, processes: int
) -> None:
    env = {**service_env(database_url), "PYTHONPATH": str(ROOT / "src")}
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "migrate"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(processes)
    ]
    outputs = [p.communicate(timeout=60)[0].decode() for p in started]
    assert [p.returncode for p in started] == [0] * processes, outputs
    store = open_store(StoreConfig(database_url))
    try:
        assert store.recorder.max_notification_id() in (None, 0)
        assert store.find(Ticket, UUID(int=0)) is None  # the schema answers reads
    finally:
        store.close()
