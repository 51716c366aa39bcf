"""The door and admin pages in chromium, in Norwegian and in English: the browser's language,
the switch, remembered on the device after a reload, and a result screen in bokmål.

Screenshots land in var/screenshots/ (printed; see them with -rP).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

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


# Lines of the English door page (its template and its script) that a Norwegian page must not
# show: the check reads what is on screen, not the markup.
ENGLISH = [
    "Ready",
    "Paired as",
    "Start scanning",
    "Point the camera at the ticket's QR code",
    "Find by name",
    "in today",
    "Welcome!",
    "Checked in",
    "Already checked in",
    "First check-in today",
    "Same person?",
    "Tap to scan the next one",
    "online",
]


def shown(page: Page) -> str:
    return page.inner_text("body")


def test_the_door_speaks_the_browsers_language_and_remembers_the_switch(
    scenario: Scenario, playwright: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ticket = scenario.ticket()
    device = scenario.device()
    browser = filming(playwright, y4m_of(ticket["qrToken"], path=tmp_path / "ticket.y4m"))
    problems: list[str] = []
    page = phone(browser, problems, locale="nb-NO")

    response = page.goto(on_server(scenario.server, device["pairingUrl"]))
    assert response is not None and response.status == 200
    assert "Accept-Language" in response.headers["vary"]
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp
    page.wait_for_selector("#start:not([hidden])")
    assert page.get_attribute("html", "lang") == "nb"
    assert page.inner_text("#screen-title") == "Klar"
    assert page.inner_text("#start") == "Begynn å skanne"
    assert page.get_attribute("#search-close", "aria-label") == "Lukk"
    assert [line for line in ENGLISH if line in shown(page)] == []
    shot(page, request, "nb-1-ready")

    start_scanning(page)
    assert [line for line in ENGLISH if line in shown(page)] == []
    result_shown(page, "ok")
    shot(page, request, "nb-2-ok")
    assert page.inner_text("#result-word") == "Velkommen!"
    assert page.inner_text("#result-detail").startswith("Sjekket inn kl. ")
    result_shown(page, "already_checked_in")
    shot(page, request, "nb-3-already")
    assert page.inner_text("#result-word") == "Allerede sjekket inn i dag"
    assert "Er det samme person?" in page.inner_text("#result-detail")
    assert [line for line in ENGLISH if line in shown(page)] == []

    # The switch (on the start screen: a result hides it, to be tapped away safely), then the
    # page opened again as the phone's browser still asks for Norwegian: the device's choice wins.
    assert page.is_hidden("nav.langs")
    page.reload()
    page.wait_for_selector("#start:not([hidden])")
    page.click("nav.langs a[lang=en]")
    page.wait_for_selector("html[lang=en]")
    page.goto(f"{scenario.server.base_url}/door")
    page.wait_for_selector("#start:not([hidden])")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#screen-title") == "Ready"
    assert page.inner_text("nav.langs") == "Norsk"
    shot(page, request, "en-1-ready")
    start_scanning(page)
    result_shown(page, "already_checked_in")
    shot(page, request, "en-2-already")
    assert page.inner_text("#result-word") == "Already checked in"
    assert "First check-in today at" in page.inner_text("#result-detail")

    page.click("nav.langs a[lang=nb]")
    page.wait_for_selector("html[lang=nb]")
    page.reload()
    assert page.get_attribute("html", "lang") == "nb"
    assert problems == []
    browser.close()


def test_the_admin_pages_in_norwegian(
    scenario: Scenario, playwright: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    device = scenario.device()
    paired = scenario.client.post(
        "/api/devices/pair", json={"pairingCode": device["pairingUrl"].rsplit("=", 1)[1]}
    )
    assert paired.status_code in (200, 201), paired.text
    browser = filming(playwright, y4m_of(None, path=tmp_path / "nothing.y4m"))
    admin = browser.new_page(viewport={"width": 800, "height": 700}, locale="nb-NO")
    token = ADMIN["Authorization"].removeprefix("Bearer ")

    admin.goto(f"{scenario.server.base_url}/admin/devices#token={token}")
    expect(admin.locator("#devices tr .status-PAIRED")).to_have_text("koblet til")
    assert admin.get_attribute("html", "lang") == "nb"
    assert admin.inner_text("h1") == "Enheter for innsjekking"
    assert admin.inner_text("#devices button") == "Trekk tilbake"
    assert "Pair a new phone" not in admin.inner_text("body")
    shot(admin, request, "admin-nb-devices")

    admin.goto(f"{scenario.server.base_url}/admin/attendance?period=2026-fall#token={token}")
    expect(admin.locator("#total")).to_have_text("0")
    assert admin.get_attribute("html", "lang") == "nb"
    assert admin.inner_text("h1") == "Oppmøte"
    assert admin.locator("#pick label").first.inner_text().startswith("Kode for kursperioden")
    shot(admin, request, "admin-nb-attendance")

    english = browser.new_page(locale="en-US")
    english.goto(f"{scenario.server.base_url}/admin/attendance")
    assert english.get_attribute("html", "lang") == "en"
    assert english.inner_text("h1") == "Attendance"
    browser.close()
