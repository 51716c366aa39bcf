"""`tickets audit` on fakes: what it prints, what it writes, and its exit codes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from domain.order import Order
from entrypoints import audit_cli, cli
from tests.support.fakes import Wired, paid, place, put_profile, schedule, wire

pytestmark = pytest.mark.unit


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wired]:
    wired = wire()
    schedule(wired)
    put_profile(wired, "ase")
    wired.services.stripe_events.handle(paid(place(wired, "ase", "salsa1"), event_id="evt_cli_1"))

    for model in wired.services.read_models:  # where the worker would have brought them
        for notification in wired.store.notifications(topics=model.topics):
            model.handle(notification, wired.store.decode(notification))

    @contextmanager
    def services(_: Any) -> Iterator[Any]:
        yield wired.services

    monkeypatch.setattr(audit_cli, "_services", services)
    monkeypatch.setattr(cli.logs, "configure", lambda *_, **__: None)  # keep pytest's logging
    monkeypatch.setenv("COLUMNS", "250")
    yield wired
    wired.services.close()


def the_order(world: Wired) -> Order:
    placed = next(n for n in world.store.notifications() if n.topic == Order.Placed.TOPIC)
    return world.store.get(Order, placed.originator_id)


def tickets(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["audit", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_history_as_a_table_and_as_json(world: Wired, capsys: pytest.CaptureFixture[str]) -> None:
    order = the_order(world)

    code, table, _ = tickets(capsys, "history", str(order.id))
    json_code, as_json, _ = tickets(capsys, "history", str(order.id), "--json")

    assert code == json_code == 0
    assert "Order.PaymentReceived" in table and "evt_cli_1" in table and "stripe" in table
    events = json.loads(as_json)
    assert [e["type"] for e in events] == [
        "Order.Placed",
        "Order.CheckoutStarted",
        "Order.PaymentReceived",
        "Order.RegistrationsActivated",
    ]
    assert set(events[0]) == {
        "version",
        "type",
        "timestamp",
        "actor",
        "reference",
        "requestId",
        "data",
    }
    assert events[2]["data"]["amount_cents"] == order.total_cents
    assert events[0]["timestamp"].endswith("Z")


def test_a_past_state_as_json(world: Wired, capsys: pytest.CaptureFixture[str]) -> None:
    order = the_order(world)

    code, out, _ = tickets(capsys, "history", str(order.id), "--version", "2", "--json")

    assert code == 0
    state = json.loads(out)
    assert (state["type"], state["version"], state["latestVersion"]) == ("Order", 2, 4)
    assert state["state"]["status"] == "PENDING"
    assert state["state"]["checkout_url"].startswith("https://checkout.example/")


def test_at_and_version_together_are_refused(
    world: Wired, capsys: pytest.CaptureFixture[str]
) -> None:
    order = the_order(world)

    with pytest.raises(SystemExit) as exited:
        cli.main(["audit", "history", str(order.id), "--version", "1", "--at", "2026-01-01"])

    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_replay_says_what_holds(world: Wired, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = tickets(capsys, "replay")

    assert code == 0
    assert "All invariants hold" in out
    assert "scan-index" in out and "equal" in out
    assert "paid_persons_ticketed" in out and "holds" in out


def test_replay_names_what_is_broken_and_exits_1(
    world: Wired, capsys: pytest.CaptureFixture[str]
) -> None:
    world.services.follower_store.advance(
        "ticket-emails", world.notification_count()
    )  # nothing emailed

    code, out, _ = tickets(capsys, "replay")

    assert code == 1
    assert "AUDIT FAILED: tickets_emailed" in out
    assert "was never emailed" in out


def test_export_writes_jsonl_and_csv(
    world: Wired, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "events.jsonl"

    code, _, err = tickets(capsys, "export", "--format", "jsonl", "--output", str(target))
    csv_code, out, _ = tickets(capsys, "export", "--format", "csv", "--type", "Ticket.Issued")

    assert code == csv_code == 0
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == world.notification_count()
    assert [line["notificationId"] for line in lines] == list(range(1, len(lines) + 1))
    assert f"exported {len(lines)} events to {target}" in err
    (row,) = csv.DictReader(io.StringIO(out))
    assert row["type"] == "Ticket.Issued"
    assert json.loads(row["data"])["registrations"][0]["track_code"] == "salsa1"


def test_digest_then_verify(world: Wired, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = tickets(capsys, "digest")
    fields = dict(line.split(None, 1) for line in out.splitlines()[:3])
    head, upto = fields["digest"], fields["upto"]

    good, verified, _ = tickets(capsys, "verify", "--digest", head, "--upto", upto)
    bad, refuted, _ = tickets(capsys, "verify", "--digest", "0" * 64, "--upto", upto)

    assert code == good == 0 and "OK:" in verified
    assert int(fields["upto"]) == int(fields["events"]) == world.notification_count()
    assert bad == 1 and "TAMPERED" in refuted


def test_bad_input_exits_2_with_a_readable_message(
    world: Wired, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown_type, _, err = tickets(capsys, "export", "--format", "jsonl", "--type", "Nope.Never")

    assert unknown_type == 2 and "no event type 'Nope.Never'" in err
    for args in (
        ["history", "not-a-uuid"],
        ["history", "6f1d3a52-3c1e-4a8e-9d0b-5a7e2c4b9f10", "--at", "yesterday"],
        ["history", "6f1d3a52-3c1e-4a8e-9d0b-5a7e2c4b9f10", "--version", "0"],
        ["verify", "--digest", "zz", "--upto", "1"],
        ["export", "--format", "xml"],
    ):
        with pytest.raises(SystemExit) as exited:
            cli.main(["audit", *args])
        assert exited.value.code == 2, args
        assert "Traceback" not in capsys.readouterr().err
