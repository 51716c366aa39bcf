"""The door picks the class it checks in, in chromium: today's classes first, a ticket for
other classes refused on an amber screen that says which class the person is registered for,
and nothing recorded; then the right class lets the same ticket in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Playwright, expect

from domain.schedule import Weekday
from tests.integration.door.test_door_browser import (
    Scenario,
    filming,
    on_server,
    phone,
    result_shown,
    shot,
    start_scanning,
    y4m_of,
)
from tests.support.service import ADMIN

pytestmark = pytest.mark.integration


def slot(weekday: str, start: str, end: str) -> dict[str, Any]:
    return {"weekday": weekday, "startTime": start, "endTime": end}


def test_a_ticket_for_other_classes_is_refused_then_let_into_its_own(
    door_server: Any, playwright: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    scenario = Scenario(door_server)
    today = list(Weekday)[datetime.now(ZoneInfo("Europe/Oslo")).weekday()].value
    other_day = list(Weekday)[(datetime.now(ZoneInfo("Europe/Oslo")).weekday() + 3) % 7].value
    scenario.api.schedule(
        tracks=[
            {
                "code": "salsa1",
                "name": "Salsa 1",
                "priceCents": 1,
                "schedule": [slot(today, "06:00", "07:00")],
            },
            {
                "code": "bachata1",
                "name": "Bachata 1",
                "priceCents": 1,
                "schedule": [slot(other_day, "19:00", "20:00")],
            },
            {
                "code": "kizomba1",
                "name": "Kizomba 1",
                "priceCents": 1,
                "schedule": [slot(today, "00:00", "23:59")],
            },
        ]
    )
    ticket = scenario.ticket()  # Salsa 1 and Bachata 1
    scenario.ticket("dancer-2", "Ola Nordmann")  # registered too; never comes
    device = scenario.device()
    browser = filming(playwright, y4m_of(ticket["qrToken"], path=tmp_path / "ticket.y4m"))
    problems: list[str] = []
    page = phone(browser, problems)
    page.goto(on_server(scenario.server, device["pairingUrl"]))
    page.wait_for_selector("#class-pick:not([hidden])", timeout=15000)

    labels = page.eval_on_selector_all("#class-pick option", "os => os.map(o => o.text)")
    # All classes, then today's classes nearest to now first, then the others.
    assert labels[0] == "All classes"
    assert labels[1:3] in (
        ["Kizomba 1 · 00:00\u201323:59", "Salsa 1 · 06:00\u201307:00"],
        ["Salsa 1 · 06:00\u201307:00", "Kizomba 1 · 00:00\u201323:59"],
    )
    assert labels[3] == "Bachata 1"
    page.select_option("#class-pick", "kizomba1", force=True)
    shot(page, request, "0-class-choice")
    start_scanning(page)

    result_shown(page, "wrong_class")
    shot(page, request, "1-amber-wrong-class")
    assert page.inner_text("#result-word") == "Another class"
    assert page.inner_text("#result-detail") == "Registered for Salsa 1, Bachata 1, not Kizomba 1."
    assert (
        page.eval_on_selector("#result", "e => getComputedStyle(e).backgroundColor")
        == "rgb(255, 179, 0)"
    )
    assert scenario.check_ins(ticket["ticketId"]) == []

    page.click("#result")
    page.select_option("#class-pick", "salsa1", force=True)
    result_shown(page, "ok")
    shot(page, request, "2-green-own-class")
    assert len(scenario.check_ins(ticket["ticketId"])) == 1

    # The choice is the day's: after a reload the door still checks in Salsa 1.
    page.reload()
    page.wait_for_selector("#class-pick:not([hidden])", timeout=15000)
    assert page.eval_on_selector("#class-pick", "e => e.value") == "salsa1"
    assert problems == []

    # The admins' attendance page: today's classes, who came of those registered, who did not.
    admin = browser.new_page(viewport={"width": 800, "height": 900}, locale="en-US")
    token = ADMIN["Authorization"].removeprefix("Bearer ")
    admin.goto(f"{scenario.server.base_url}/admin/attendance?period=2026-fall#token={token}")
    expect(admin.locator("#classes tr")).to_have_count(2, timeout=15000)
    rows = admin.eval_on_selector_all(
        "#classes tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert ["salsa1", "06:00\u201307:00", "1", "2"] in rows
    assert ["kizomba1", "00:00\u201323:59", "0", "0"] in rows
    assert admin.inner_text("#absent") == "Ola Nordmann (salsa1)"
    shot(admin, request, "3-admin-absentees")
    browser.close()
    scenario.client.close()
