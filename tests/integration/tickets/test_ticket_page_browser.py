"""The web ticket view in headless Chromium against `tickets serve`: renders, scans, downloads."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, sync_playwright
from pypdf import PdfReader
from pyzbar.pyzbar import ZBarSymbol, decode

from tests.support.english_lines import english_in
from tests.support.service import Api, ServerProcess

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"  # Debian's (installed by .ci/run); never a downloaded browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
NAME = "Åse Øvergård Ёлена"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def paid_ticket(server: ServerProcess, locale: str | None = "en") -> dict[str, Any]:
    """``locale`` en by default: the English page's words are asserted; None: the default."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        api = Api(client)
        api.schedule()
        api.profile("dancer-1", NAME, locale=locale)
        assert api.pay(api.order("dancer-1", "salsa1", "bachata1")).status_code == 200
        response = api.ticket("dancer-1")
        assert response.status_code == 200, response.text
        ticket: dict[str, Any] = response.json()
        return ticket


def on_server(server: ServerProcess, url: str) -> str:
    """A link the service handed out (PUBLIC_BASE_URL), on the server under test."""
    parts = urlsplit(url)
    return f"{server.base_url}{parts.path}?{parts.query}"


def test_the_web_ticket_on_a_phone_scans_and_downloads_its_pdf(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    server.start()
    ticket = paid_ticket(server)
    page = browser.new_page(viewport=PHONE, device_scale_factor=2, accept_downloads=True)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto(on_server(server, ticket["viewUrl"]))

    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.title().startswith("Ticket · Fall 2026")
    assert NAME in page.inner_text("main")
    # The styles applied under the strict CSP (nonce), and nothing was refused.
    header = page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(179, 18, 59)"
    assert problems == []
    # The QR code fills the phone's width: scannable from the screen at the door.
    box = page.locator("svg.qr").bounding_box()
    assert box is not None and box["width"] >= 300

    screenshot = tmp_path / "web-ticket.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"web ticket screenshot: {screenshot}")
    codes = [s.data.decode() for s in decode(Image.open(screenshot), symbols=[ZBarSymbol.QRCODE])]
    assert codes == [ticket["qrToken"]]

    with page.expect_download() as download_info:
        page.click("a.pdf")
    download = download_info.value
    pdf_file = tmp_path / download.suggested_filename
    download.save_as(pdf_file)
    print(f"PDF downloaded from the web ticket: {pdf_file}")
    assert download.suggested_filename == "ticket-2026-fall.pdf"
    pdf = pdf_file.read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf_file), str(tmp_path / "pdf")],
        check=True,
    )
    assert [
        s.data.decode()
        for s in decode(Image.open(tmp_path / "pdf.png"), symbols=[ZBarSymbol.QRCODE])
    ] == [ticket["qrToken"]]
    page.close()


def test_a_wrong_key_in_the_browser_is_404(server: ServerProcess, browser: Browser) -> None:
    server.start()
    ticket = paid_ticket(server)
    page = browser.new_page()

    response = page.goto(on_server(server, ticket["viewUrl"])[:-4] + "AAAA")

    assert response is not None and response.status == 404
    assert '"code":"ticket_not_found"' in page.content().replace(" ", "")
    assert ticket["qrToken"] not in page.content()
    page.close()


def test_the_norwegian_web_ticket_shows_no_english_and_switches_to_english(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    server.start()
    ticket = paid_ticket(server, locale=None)  # no locale: DEFAULT_LOCALE, Norwegian
    page = browser.new_page(viewport=PHONE, device_scale_factor=2)

    response = page.goto(on_server(server, ticket["viewUrl"]))

    assert response is not None and response.status == 200
    assert page.get_attribute("html", "lang") == "nb"
    shown = page.inner_text("body")
    assert english_in(shown) == [] and english_in(page.title()) == []
    for words in ("BILLETT", "1. september 2026", "Vis denne QR-koden i døra", "Last ned"):
        assert words in shown
    page.screenshot(path=str(tmp_path / "web-ticket-nb.png"), full_page=True)

    page.click("nav.languages a[lang=en]")  # the visible switch, its link keeping the key

    assert page.get_attribute("html", "lang") == "en"
    assert "Download the ticket (PDF)" in page.inner_text("body")
    assert urlsplit(page.url).query == f"{urlsplit(ticket['viewUrl']).query}&lang=en"
    page.close()
