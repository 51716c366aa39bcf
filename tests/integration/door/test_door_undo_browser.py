"""The door's undo and a handheld scanner, in chromium against `tickets serve` on SQLite and
PostgreSQL: a mistaken check-in undone from the green screen (then the same ticket is ok
again), the recent check-ins with their Undo; a code typed with Enter, with no field to click
into, scanned as the camera would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.integration.door.test_door_browser import (
    NAME,
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


def events(scenario: Scenario, ticket_id: str, kind: str) -> list[dict[str, Any]]:
    response = scenario.client.get(f"/api/admin/audit/{ticket_id}/events", headers=ADMIN)
    assert response.status_code == 200, response.text
    return [e for e in response.json() if e["type"] == kind]


def paired(scenario: Scenario, page: Page) -> None:
    page.goto(on_server(scenario.server, scenario.device()["pairingUrl"]))
    page.wait_for_selector("#start:not([hidden])", timeout=15000)


def test_a_check_in_undone_on_the_green_screen_is_ok_again(
    scenario: Scenario,
    playwright: Playwright,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    ticket = scenario.ticket()
    # The ticket in view for 2 s, then away for 6 s: time to undo before it comes back.
    video = y4m_of(ticket["qrToken"], path=tmp_path / "ticket.y4m", seconds_away=6.0)
    browser = filming(playwright, video)
    problems: list[str] = []
    page = phone(browser, problems)
    paired(scenario, page)
    start_scanning(page)

    result_shown(page, "ok")
    undo = page.locator("#result-undo")
    expect(undo).to_be_visible()
    expect(undo).to_have_text("Undo check-in")
    shot(page, request, "1-green-with-undo")
    expect(page.locator("#count")).to_have_text("1")
    undo.click()

    result_shown(page, "undone")
    shot(page, request, "2-undone")
    assert page.inner_text("#result-word") == "Check-in undone"
    assert page.inner_text("#result-name") == NAME
    expect(page.locator("#count")).to_have_text("0")
    [undone] = events(scenario, ticket["ticketId"], "Ticket.CheckInUndone")
    assert undone["actor"].startswith("device:")

    # The same ticket, back in front of the camera: checked in again.
    result_shown(page, "ok")
    expect(page.locator("#count")).to_have_text("1")
    assert len(events(scenario, ticket["ticketId"], "Ticket.CheckedIn")) == 2

    # The recent check-ins: the undone one, and the new one with its Undo.
    page.click("#result")
    page.click("#recent-open")
    rows = page.locator("#recent-list li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("button.undo")).to_have_attribute(
        "aria-label", f"Undo the check-in of {NAME}"
    )
    expect(rows.nth(1)).to_contain_text("Undone")
    shot(page, request, "3-recent")
    assert problems == []
    browser.close()


def test_a_handheld_scanner_types_the_code_and_enter(
    scenario: Scenario,
    playwright: Playwright,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    ticket = scenario.ticket()
    browser = filming(playwright, y4m_of(None, path=tmp_path / "nothing.y4m"))
    problems: list[str] = []
    page = phone(browser, problems)
    paired(scenario, page)

    # On the start screen, the camera never started, nothing clicked: a desk with a scanner.
    page.keyboard.type(ticket["qrToken"])
    page.keyboard.press("Enter")

    result_shown(page, "ok")
    shot(page, request, "1-typed-ok")
    assert page.inner_text("#result-name") == NAME
    expect(page.locator("#count")).to_have_text("1")
    page.click("#result")
    start_scanning(page)
    page.locator("#search-open").focus()  # Enter must not open the search
    page.keyboard.type(ticket["qrToken"])
    page.keyboard.press("Enter")
    result_shown(page, "already_checked_in")
    assert page.is_hidden("#search")

    # Typed into the search field, it is a search, not a scan.
    page.click("#result")
    page.click("#search-open")
    page.keyboard.type("not a name, but long")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert page.is_hidden("#result")
    assert len(events(scenario, ticket["ticketId"], "Ticket.CheckedIn")) == 1
    assert problems == []
    browser.close()


def test_a_handheld_scanner_offline_is_queued_and_synced_once(
    scenario: Scenario,
    playwright: Playwright,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    ticket = scenario.ticket()
    browser = filming(playwright, y4m_of(None, path=tmp_path / "nothing.y4m"))
    problems: list[str] = []
    page = phone(browser, problems)
    paired(scenario, page)
    page.wait_for_selector("body[data-offline=ready]", timeout=15000)

    page.context.set_offline(True)
    expect(page.locator("#network")).to_have_text("offline")
    page.keyboard.type(ticket["qrToken"])
    page.keyboard.press("Enter")

    result_shown(page, "ok")
    shot(page, request, "offline-typed-ok")
    assert "offline: sent when back online" in page.inner_text("#result-detail")
    expect(page.locator("#result-undo")).to_be_hidden()  # no check-in id until it is synced
    page.click("#result")
    expect(page.locator("#queue")).to_have_text("1 scan waiting to sync")
    assert events(scenario, ticket["ticketId"], "Ticket.CheckedIn") == []

    page.context.set_offline(False)
    page.wait_for_selector("body[data-queued='0']", timeout=15000)
    assert len(events(scenario, ticket["ticketId"], "Ticket.CheckedIn")) == 1
    # Synced, the check-in can be undone from the recent list.
    start_scanning(page)
    page.click("#recent-open")
    expect(page.locator("#recent-list li button.undo")).to_have_count(1)
    assert [p for p in problems if "Failed to load resource" not in p] == []
    browser.close()
