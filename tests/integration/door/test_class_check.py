"""The door checks in one class: a ticket for other classes is refused and nothing recorded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.service import Running, bearer

pytestmark = pytest.mark.integration

STAFF = bearer("staff-1", "staff")


def ticket_for(running: Running, user: str, *tracks: str) -> dict[str, Any]:
    running.api.profile(user)
    assert running.api.pay(running.api.order(user, *tracks)).status_code == 200
    ticket: dict[str, Any] = running.api.ticket(user).json()
    return ticket


def scan(running: Running, token: str, **body: Any) -> dict[str, Any]:
    response = running.api.client.post(
        "/api/checkin/scan", json={"token": token, **body}, headers=STAFF
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_another_classes_ticket_is_refused_with_what_it_covers_and_nothing_recorded(
    running: Running,
) -> None:
    running.api.schedule()
    salsa = ticket_for(running, "dancer-1", "salsa1")

    refused = scan(running, salsa["qrToken"], trackCode="bachata1", scanId="s-1")

    assert refused["result"] == "wrong_class"
    assert refused["ticket"]["personName"] == "Åse Øvergård"
    assert [t["code"] for t in refused["ticket"]["tracks"]] == ["salsa1"]
    # Nothing was recorded: the same ticket then checks in, into its own class.
    assert scan(running, salsa["qrToken"], trackCode="salsa1")["result"] == "ok"
    # The refused scan id keeps its answer.
    again = scan(running, salsa["qrToken"], trackCode="bachata1", scanId="s-1")
    assert again["result"] == "wrong_class"


def test_without_a_class_every_track_is_let_in_as_before(running: Running) -> None:
    running.api.schedule()
    both = ticket_for(running, "dancer-1", "salsa1", "bachata1")

    assert scan(running, both["qrToken"])["result"] == "ok"
    assert scan(running, both["qrToken"], trackCode="bachata1")["result"] == "already_checked_in"


def test_a_manual_check_in_follows_the_same_rule(running: Running) -> None:
    running.api.schedule()
    salsa = ticket_for(running, "dancer-1", "salsa1")

    def manual(track: str) -> str:
        response = running.api.client.post(
            "/api/checkin/manual",
            json={"ticketId": salsa["ticketId"], "trackCode": track},
            headers=STAFF,
        )
        assert response.status_code == 200, response.text
        result: str = response.json()["result"]
        return result

    assert manual("bachata1") == "wrong_class"
    assert manual("salsa1") == "ok"
