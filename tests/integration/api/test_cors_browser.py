"""CORS in a real browser: a frontend on another origin reads its ticket; other origins cannot."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.integration.tickets.test_ticket_page_browser import browser  # noqa: F401 (fixture)
from tests.support.service import (
    Api,
    ServerProcess,
    bearer,
    free_port,
    service_env,
)

pytestmark = pytest.mark.integration

# What a frontend does: fetch with its user's bearer token, read the body and the headers.
FETCH_TICKET = """async ([url, token]) => {
  try {
    const response = await fetch(url, {headers: {Authorization: `Bearer ${token}`,
                                                 "X-Request-ID": "frontend-1"}});
    return {status: response.status, body: await response.json(),
            remaining: response.headers.get("RateLimit-Remaining")};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""
POST_WEBHOOK = """async (url) => {
  try {
    const response = await fetch(url, {method: "POST", body: "{}",
                                       headers: {"Content-Type": "application/json"}});
    return {status: response.status};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def frontends(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two static sites on ports of their own: the allowed frontend and a stranger."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>frontend</title><p>hello</p>")
    handler = functools.partial(QuietHandler, directory=str(site))
    servers = [ThreadingHTTPServer(("127.0.0.1", free_port()), handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    allowed, stranger = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    yield allowed, stranger
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api(database_url: str, tmp_path: Path, frontends: tuple[str, str]) -> Iterator[ServerProcess]:
    allowed, _ = frontends
    process = ServerProcess(service_env(database_url, CORS_ALLOW_ORIGINS=allowed), tmp_path)
    process.start()
    yield process
    process.stop()


def paid_ticket(api: ServerProcess, user: str) -> dict[str, Any]:
    with httpx.Client(base_url=api.base_url, timeout=30) as client:
        calls = Api(client)
        calls.schedule()
        calls.profile(user)
        assert calls.pay(calls.order(user, "salsa1")).status_code == 200
        response = calls.ticket(user)
        assert response.status_code == 200, response.text
        ticket: dict[str, Any] = response.json()
        return ticket


def open_page(chromium: Browser, origin: str) -> Page:
    page = chromium.new_page()
    response = page.goto(f"{origin}/index.html")
    assert response is not None and response.status == 200
    return page


def test_the_allowed_frontend_fetches_its_ticket_with_a_bearer_token(
    api: ServerProcess,
    browser: Browser,  # noqa: F811
    frontends: tuple[str, str],
) -> None:
    ticket = paid_ticket(api, "dancer-1")
    token = bearer("dancer-1")["Authorization"].removeprefix("Bearer ")
    page = open_page(browser, frontends[0])

    answer = page.evaluate(FETCH_TICKET, [f"{api.base_url}/api/tickets/2026-fall", token])

    assert "blocked" not in answer, answer
    assert answer["status"] == 200
    assert answer["body"]["ticketId"] == ticket["ticketId"]
    assert answer["body"]["qrToken"] == ticket["qrToken"]
    # Exposed headers: the page can see how many requests it has left.
    assert answer["remaining"] is not None and int(answer["remaining"]) >= 0
    # A problem answer is readable too: the page can tell its code from a network error.
    missing = page.evaluate(FETCH_TICKET, [f"{api.base_url}/api/tickets/2027-spring", token])
    assert missing["status"] == 404 and missing["body"]["code"] == "period_not_found"
    page.close()


def test_another_origin_is_blocked_by_the_browser(
    api: ServerProcess,
    browser: Browser,  # noqa: F811
    frontends: tuple[str, str],
) -> None:
    paid_ticket(api, "dancer-1")
    token = bearer("dancer-1")["Authorization"].removeprefix("Bearer ")
    page = open_page(browser, frontends[1])

    answer = page.evaluate(FETCH_TICKET, [f"{api.base_url}/api/tickets/2026-fall", token])

    assert "Failed to fetch" in answer.get("blocked", ""), answer
    page.close()


def test_the_webhook_refuses_even_the_allowed_frontend(
    api: ServerProcess,
    browser: Browser,  # noqa: F811
    frontends: tuple[str, str],
) -> None:
    page = open_page(browser, frontends[0])

    answer = page.evaluate(POST_WEBHOOK, f"{api.base_url}/api/webhooks/stripe")

    assert "Failed to fetch" in answer.get("blocked", ""), answer
    page.close()
