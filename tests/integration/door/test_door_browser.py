"""The door in a real browser: Debian's chromium with a fake camera that films a real ticket's
QR code (a Y4M video the test makes), against `tickets serve` on SQLite and PostgreSQL.

Screenshots of every result screen land in var/screenshots/ (printed; see them with -rP).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from pyzbar.pyzbar import ZBarSymbol, decode

from tests.integration.door.test_checkin_http import ed25519_pem
from tests.integration.tickets.test_ticket_page_browser import CHROMIUM, CHROMIUM_ARGS, on_server
from tests.support.service import ADMIN, ROOT, Api, ServerProcess, service_env

pytestmark = pytest.mark.integration

PHONE = {"width": 360, "height": 740}
SCREENSHOTS = ROOT / "var" / "screenshots"
VENDORED = ROOT / "src" / "entrypoints" / "http" / "static" / "vendor" / "jsQR.js"
NAME = "Åse Øvergård"


# --- A camera that films a ticket -----------------------------------------------------------


def y4m_of(
    *texts: str | None, path: Path, seconds_shown: float = 2.0, seconds_away: float = 1.0
) -> Path:
    """A looping video: each text's QR code held up for a while, then taken away (a blank
    frame), as at a door where people come one after another. Y4M is a text header and raw
    YUV 4:2:0 frames: white paper, black modules, no colour."""
    width, height, fps = 640, 480, 10
    blank = Image.new("L", (width, height), 235)
    chroma = bytes([128]) * (width * height // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for text in texts:
            shown = blank.copy()
            if text is not None:
                shown.paste(*_qr_image(text, width, height))
            frames = [shown] * int(seconds_shown * fps) + [blank] * int(seconds_away * fps)
            for frame in frames:
                out.write(b"FRAME\n" + frame.tobytes() + chroma)
    return path


def _qr_image(text: str, width: int, height: int) -> tuple[Image.Image, tuple[int, int]]:
    qr = segno.make_qr(text, error="m", boost_error=False)
    scale = max(2, min(width, height) * 8 // 10 // qr.symbol_size(scale=1, border=0)[0])
    matrix = Image.new("L", qr.symbol_size(scale=scale, border=4), 255)
    for y, row in enumerate(qr.matrix):
        for x, dark in enumerate(row):
            if dark:
                box = ((x + 4) * scale, (y + 4) * scale, (x + 5) * scale, (y + 5) * scale)
                matrix.paste(16, box)
    return matrix, ((width - matrix.width) // 2, (height - matrix.height) // 2)


# --- The service, a ticket, a device --------------------------------------------------------


@pytest.fixture
def door_server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    if not VENDORED.exists():
        pytest.fail(f"{VENDORED} is missing: it is committed; scripts/build-door-assets makes it")
    key = ed25519_pem(Ed25519PrivateKey.generate())
    process = ServerProcess(service_env(database_url, TICKET_JWT_PRIVATE_KEY=key), tmp_path)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as running:
        yield running


def filming(playwright: Playwright, video: Path) -> Browser:
    """Chromium whose camera films ``video`` (and asks no permission: a door phone allowed it)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


class Scenario:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.base_url, timeout=30)
        self.api = Api(self.client)

    def ticket(self, user: str = "dancer-1", name: str = NAME) -> dict[str, Any]:
        self.api.profile(user, name)
        assert self.api.pay(self.api.order(user, "salsa1", "bachata1")).status_code == 200
        response = self.api.ticket(user)
        assert response.status_code == 200, response.text
        ticket: dict[str, Any] = response.json()
        return ticket

    def device(self, name: str = "Front door") -> dict[str, Any]:
        response = self.client.post(
            "/api/admin/devices", json={"name": name, "periodCode": "2026-fall"}, headers=ADMIN
        )
        assert response.status_code == 201, response.text
        added: dict[str, Any] = response.json()
        return added

    def check_ins(self, ticket_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/admin/audit/{ticket_id}/events", headers=ADMIN)
        assert response.status_code == 200, response.text
        return [e for e in response.json() if e["type"] == "Ticket.CheckedIn"]


@pytest.fixture
def scenario(door_server: ServerProcess) -> Iterator[Scenario]:
    running = Scenario(door_server)
    running.api.schedule()
    yield running
    running.client.close()


def phone(browser: Browser, problems: list[str], locale: str = "en-US") -> Page:
    """A door phone; its browser asks for ``locale`` (Accept-Language): these tests read the
    English words, test_door_languages_browser the Norwegian ones."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale
    )
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page


def shot(page: Page, request: pytest.FixtureRequest, what: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    path = SCREENSHOTS / f"{name}-{what}.png"
    page.screenshot(path=str(path))
    print(f"screenshot ({what}): {path}")
    return path


def result_shown(page: Page, result: str, timeout_ms: int = 20000) -> None:
    page.wait_for_selector(f"#result[data-result={result}]:not([hidden])", timeout=timeout_ms)


def start_scanning(page: Page) -> None:
    page.wait_for_selector("#start:not([hidden])", timeout=15000)
    page.click("#start")
    page.wait_for_selector("#screen", state="hidden", timeout=15000)


# --- The tests ------------------------------------------------------------------------------


def test_pairing_through_the_admin_pages_qr_code(
    scenario: Scenario, playwright: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    browser = filming(playwright, y4m_of(None, path=tmp_path / "nothing.y4m"))
    problems: list[str] = []
    admin = browser.new_page(viewport={"width": 800, "height": 1000}, locale="en-US")
    admin.on("pageerror", lambda error: problems.append(str(error)))
    token = ADMIN["Authorization"].removeprefix("Bearer ")

    response = admin.goto(f"{scenario.server.base_url}/admin/devices#token={token}")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    admin.fill("#name", "Front door")
    admin.fill("#period", "2026-fall")
    admin.click("#add button[type=submit]")
    admin.wait_for_selector("#pairing:not([hidden])")
    expect(admin.locator("#pairing-qr")).to_have_attribute("src", re.compile("^data:image/png"))
    admin.wait_for_timeout(300)  # the image decoded and painted
    screenshot = shot(admin, request, "admin-pairing-qr")
    (code,) = decode(Image.open(screenshot), symbols=[ZBarSymbol.QRCODE])
    pairing_url = code.data.decode()
    assert pairing_url.startswith("http://127.0.0.1:8000/door?pair=")
    assert admin.inner_text("#pairing-url") == pairing_url

    door = phone(browser, problems)
    door.goto(on_server(scenario.server, pairing_url))
    door.wait_for_selector("#start:not([hidden])")

    assert door.url.endswith("/door")  # the single-use code is out of the address bar
    assert door.inner_text("#device-name") == "Front door"
    assert door.inner_text("#period") == "2026-fall"
    assert door.evaluate("localStorage.getItem('door.credential')").count(".") == 1
    shot(door, request, "door-paired")
    admin.reload()
    admin.wait_for_selector("#devices tr .status-PAIRED")
    # The link worked once: opening it again says so.
    assert problems == []
    again = phone(browser, [])  # its console shows the refused pairing (404), as it should
    again.goto(on_server(scenario.server, pairing_url))
    again.wait_for_selector("#screen.refused:not([hidden])")
    assert "not valid" in again.inner_text("#screen-title")
    browser.close()


def test_the_camera_scans_a_ticket_green_then_amber_then_red_when_revoked(
    scenario: Scenario, playwright: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ticket = scenario.ticket()
    device = scenario.device()
    browser = filming(playwright, y4m_of(ticket["qrToken"], path=tmp_path / "ticket.y4m"))
    problems: list[str] = []
    page = phone(browser, problems)
    response = page.goto(on_server(scenario.server, device["pairingUrl"]))
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp
    start_scanning(page)
    page.wait_for_timeout(200)  # the video is on screen
    if not page.is_visible("#result"):
        shot(page, request, "0-scanning")

    result_shown(page, "ok")
    ok = shot(page, request, "1-green-ok")
    assert page.inner_text("#result-word") == "Welcome!"
    assert page.inner_text("#result-name") == NAME
    assert page.inner_text("#result-tracks").split("\n") == ["Salsa 1", "Bachata 1"]
    assert (
        page.eval_on_selector("#result", "e => getComputedStyle(e).backgroundColor")
        == "rgb(10, 143, 60)"
    )
    expect(page.locator("#count")).to_have_text("1")

    result_shown(page, "already_checked_in")
    shot(page, request, "2-amber-already")
    assert page.inner_text("#result-word") == "Already checked in"
    assert "First check-in today at" in page.inner_text("#result-detail")
    assert (
        page.eval_on_selector("#result", "e => getComputedStyle(e).backgroundColor")
        == "rgb(255, 179, 0)"
    )

    revoked = scenario.client.post(
        f"/api/admin/tickets/{ticket['ticketId']}/revoke",
        json={"reason": "refunded"},
        headers=ADMIN,
    )
    assert revoked.status_code == 200
    result_shown(page, "revoked")
    shot(page, request, "3-red-revoked")
    assert page.inner_text("#result-word") == "Ticket revoked"
    assert "Send them to the desk" in page.inner_text("#result-detail")
    assert (
        page.eval_on_selector("#result", "e => getComputedStyle(e).backgroundColor")
        == "rgb(198, 40, 40)"
    )

    stats = page.evaluate("window.doorStats")
    times = [s["ms"] for s in stats["scans"]]
    print(
        f"decoder: {stats['decoder']}; scan-to-result times (ms, decode to result shown): {times}"
    )
    assert stats["decoder"] in ("jsQR", "BarcodeDetector")
    assert len(scenario.check_ins(ticket["ticketId"])) == 1
    (check_in,) = scenario.check_ins(ticket["ticketId"])
    assert check_in["data"]["device_id"] == device["deviceId"]
    assert problems == []
    assert Image.open(ok).size == (720, 1480)

    # The admins' attendance page lists her for today, and keeps itself up to date.
    admin = browser.new_page(viewport={"width": 800, "height": 700}, locale="en-US")
    token = ADMIN["Authorization"].removeprefix("Bearer ")
    admin.goto(f"{scenario.server.base_url}/admin/attendance?period=2026-fall#token={token}")
    expect(admin.locator("#persons tr")).to_have_count(1, timeout=15000)
    expect(admin.locator("#total")).to_have_text("1")
    assert NAME in admin.inner_text("#persons")
    assert "salsa1: 1" in admin.inner_text("#by-track")
    shot(admin, request, "4-admin-attendance")
    browser.close()


def test_a_revoked_device_is_refused_at_its_next_scan(
    scenario: Scenario, playwright: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ticket = scenario.ticket()
    device = scenario.device()
    browser = filming(
        playwright,
        y4m_of(ticket["qrToken"], path=tmp_path / "ticket.y4m", seconds_shown=1, seconds_away=3),
    )
    problems: list[str] = []
    page = phone(browser, problems)
    page.goto(on_server(scenario.server, device["pairingUrl"]))
    page.wait_for_selector("#start:not([hidden])")
    # The page's own background fetches (the offline kit) are done: the next request it makes
    # is the scan's, so that is where the revocation must be noticed.
    page.wait_for_selector("body[data-offline=ready]", timeout=15000)

    revoked = scenario.client.post(f"/api/admin/devices/{device['deviceId']}/revoke", headers=ADMIN)
    assert revoked.status_code == 200
    page.click("#start")
    page.wait_for_selector("#screen.refused:not([hidden])", timeout=20000)

    shot(page, request, "device-revoked")
    assert page.inner_text("#screen-title") == "This phone is no longer paired"
    assert page.evaluate("localStorage.getItem('door.credential')") is None
    assert scenario.check_ins(ticket["ticketId"]) == []
    time.sleep(0.5)
    browser.close()


def test_offline_the_door_verifies_refuses_queues_and_syncs_once(
    scenario: Scenario, playwright: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ticket = scenario.ticket()
    gone = scenario.ticket("dancer-2", "Ola Nordmann")
    revoked = scenario.client.post(
        f"/api/admin/tickets/{gone['ticketId']}/revoke", json={"reason": "refunded"}, headers=ADMIN
    )
    assert revoked.status_code == 200
    device = scenario.device()
    video = y4m_of(ticket["qrToken"], gone["qrToken"], path=tmp_path / "two.y4m")
    browser = filming(playwright, video)
    problems: list[str] = []
    page = phone(browser, problems)
    page.goto(on_server(scenario.server, device["pairingUrl"]))
    page.wait_for_selector("#start:not([hidden])")
    # Online, the page keeps what it needs: the JWKS, the revocations, the roster, today.
    page.wait_for_selector("body[data-offline=ready]", timeout=15000)

    page.context.set_offline(True)
    start_scanning(page)
    expect(page.locator("#network")).to_have_text("offline")

    result_shown(page, "ok")
    shot(page, request, "offline-1-green-ok")
    assert page.inner_text("#result-name") == NAME  # from the roster kept for offline
    assert "offline: sent when back online" in page.inner_text("#result-detail")
    result_shown(page, "revoked")
    shot(page, request, "offline-2-red-revoked")
    assert page.inner_text("#result-name") == "Ola Nordmann"
    result_shown(page, "already_checked_in")  # the same code again, still offline
    shot(page, request, "offline-3-amber-repeat")
    page.click("#result")
    expect(page.locator("#queue")).to_have_text("1 scan waiting to sync")
    shot(page, request, "offline-4-queue")
    assert scenario.check_ins(ticket["ticketId"]) == []  # nothing reached the service

    page.context.set_offline(False)
    expect(page.locator("#network")).to_have_text("online")
    page.wait_for_selector("body[data-queued='0']", timeout=15000)
    deadline = time.monotonic() + 10
    while not scenario.check_ins(ticket["ticketId"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # the camera keeps scanning online: still one check-in

    (check_in,) = scenario.check_ins(ticket["ticketId"])
    assert check_in["data"]["device_id"] == device["deviceId"]
    assert scenario.check_ins(gone["ticketId"]) == []
    assert page.is_hidden("#sync")  # the service agreed with the door
    assert [p for p in problems if "Failed to load resource" not in p] == []
    browser.close()
