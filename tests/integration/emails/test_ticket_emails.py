"""Ticket emails end to end: signed webhook to ticket to email, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from application.worker.loop import Worker
from domain.ticket import Ticket
from entrypoints.bootstrap import Services, build, build_worker
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.email_support import (
    SES_SENDER,
    SesServer,
    SmtpServer,
    WebhookServer,
    outbox,
    parse,
    part,
    pdf_of_email,
    qr_of_pdf,
    qr_of_png,
    qr_token_of_email,
    running_ses_server,
    running_smtp_server,
    running_webhook_server,
    wait_for,
)
from tests.support.service import ADMIN, Api, admin_alerts, bearer, service_env

pytestmark = pytest.mark.integration


@dataclass
class Mailing:
    """The service in-process over HTTP, and its worker driven pass by pass."""

    api: Api
    services: Services
    worker: Worker
    outbox_dir: Path

    def drain(self, until: Callable[[], Any] = lambda: True, timeout: float = 30.0) -> None:
        """Runs worker passes until nothing is left to do now and ``until`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = self.worker.run_once()
            if not busy and until():
                return
            if not busy:
                time.sleep(0.02)
        raise AssertionError("the worker did not get there in time")

    def emails(self) -> list[Any]:
        return outbox(self.outbox_dir)

    def paid_ticket(self, user: str, email: str | None = None, locale: str = "") -> dict[str, Any]:
        """A participant with a profile pays by a signed webhook; returns their ticket.
        No ``locale``: the profile gets DEFAULT_LOCALE (Norwegian)."""
        body = {"name": "Åse Øvergård", "email": email or f"{user}@example.no"}
        body |= {"locale": locale} if locale else {}
        response = self.api.client.put("/api/me/profile", json=body, headers=bearer(user))
        assert response.status_code == 200, response.text
        order = self.api.order(user, "salsa1", "bachata1")
        assert self.api.pay(order).status_code == 200
        ticket = self.api.ticket(user)
        assert ticket.status_code == 200, ticket.text
        result: dict[str, Any] = ticket.json()
        return result


def mailing_for(database_url: str, tmp_path: Path, **env: str) -> Iterator[Mailing]:
    outbox_dir = tmp_path / "outbox"
    defaults = {
        "EMAIL_OUTBOX_DIR": str(outbox_dir),
        "EMAIL_FROM": "SalsaNor <tickets@salsanor.no>",
        "EMAIL_REPLY_TO": "kurs@salsanor.no",
    }
    settings = Settings.from_env(service_env(database_url, **(defaults | env)))
    migrate(settings.database)
    services = build(settings)
    worker = build_worker(services)
    with TestClient(create_app(services)) as client:
        api = Api(client)
        api.schedule()
        yield Mailing(api, services, worker, outbox_dir)
    worker.close()


def test_emails_rendered_in_render_processes_scan_and_share_the_download_pdf(
    database_url: str, tmp_path: Path
) -> None:
    running = mailing_for(database_url, tmp_path, EMAIL_RENDER_PROCESSES="2")
    mailing = next(running)
    tickets = [mailing.paid_ticket(f"dancer-{n}") for n in range(3)]

    mailing.drain(until=lambda: len(mailing.emails()) == 3)

    renderers = multiprocessing.active_children()
    assert len(renderers) == 2  # drawn by the render processes, which yield to requests
    # The pool starts its second process on demand: it may still be starting up (its
    # initializer lowers its priority) when the first has drawn all three.
    wait_for(
        lambda: (
            {os.getpriority(os.PRIO_PROCESS, p.pid or 0) for p in renderers}
            == {os.getpriority(os.PRIO_PROCESS, 0) + 10}
        ),
        30,
        "both render processes at a lower priority",
    )
    by_user = {str(m["To"]).partition("@")[0]: m for m in mailing.emails()}
    for n, ticket in enumerate(tickets):
        message = by_user[f"dancer-{n}"]
        assert qr_token_of_email(message) == ticket["qrToken"]
        pdf = pdf_of_email(message)
        assert qr_of_pdf(pdf) == ticket["qrToken"]
        # Rendered once, over there: the download serves the very bytes that were emailed.
        link = urlsplit(ticket["pdfUrl"])
        download = mailing.api.client.get(f"{link.path}?{link.query}")
        assert download.status_code == 200 and download.content == pdf
    next(running, None)  # the service closed
    assert multiprocessing.active_children() == []


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def ses_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SesServer]:
    with running_ses_server(monkeypatch, tmp_path) as server:
        yield server


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    with running_webhook_server() as server:
        yield server


@pytest.fixture
def mailing(database_url: str, tmp_path: Path) -> Iterator[Mailing]:
    yield from mailing_for(database_url, tmp_path)


def test_signed_webhook_to_ticket_to_email_whose_qr_codes_are_the_served_token(
    mailing: Mailing,
) -> None:
    ticket = mailing.paid_ticket("dancer-1", locale="en")  # its English words are asserted

    mailing.drain(until=lambda: len(mailing.emails()) == 1)

    [message] = mailing.emails()
    assert message["To"] == "dancer-1@example.no"
    assert message["Reply-To"] == "kurs@salsanor.no"
    assert "Fall 2026" in message["Subject"]
    assert message.get_content_type() == "multipart/mixed"
    # The inline image and the PDF's QR code both scan to the token the API serves.
    assert qr_token_of_email(message) == ticket["qrToken"]
    assert qr_of_pdf(pdf_of_email(message)) == ticket["qrToken"]
    text = part(message, "text/plain").get_content()
    html = part(message, "text/html").get_content()
    for shown in ("Åse Øvergård", "September 1, 2026", "June 15, 2027", "Dansestudio, Oslo"):
        assert shown in text and shown in html
    assert "Salsa 1, Bachata 1" in text
    assert ticket["viewUrl"] in text and ticket["viewUrl"].replace("&", "&amp;") in html
    assert "At the door" in text
    assert "<style" not in html and 'style="' in html  # CSS inlined for email clients
    # Recorded on the ticket: the provider's id, the token version, why it was sent.
    recorded = mailing.services.store.get(Ticket, UUID(ticket["ticketId"]))
    assert [(e.token_version, e.reason) for e in recorded.emails] == [(1, "issued")]
    assert recorded.emails[0].message_id == str(message["Message-ID"]).strip("<>")

    mailing.drain()  # nothing more: once per (ticket, token version, reason)
    assert len(mailing.emails()) == 1


def test_resend_sends_a_second_email_and_a_rotation_sends_the_new_token(
    mailing: Mailing,
) -> None:
    ticket = mailing.paid_ticket("dancer-1", locale="en")  # its English subjects are asserted
    mailing.drain(until=lambda: len(mailing.emails()) == 1)
    client = mailing.api.client
    url = f"/api/tickets/{ticket['ticketId']}/resend"

    stranger = client.post(url, headers=bearer("someone-else"))
    assert stranger.status_code == 404
    assert stranger.json()["code"] == "ticket_not_found"
    assert client.post(url).status_code == 401
    resent = client.post(url, headers=bearer("dancer-1"))
    assert resent.status_code == 202, resent.text
    assert resent.json() == {"ticketId": ticket["ticketId"], "status": "queued"}

    mailing.drain(until=lambda: len(mailing.emails()) == 2)
    second = mailing.emails()[1]
    assert qr_token_of_email(second) == ticket["qrToken"]
    assert "sent again" in second["Subject"]

    rotate(mailing, ticket["ticketId"])
    new_token = mailing.api.ticket("dancer-1").json()["qrToken"]
    assert new_token != ticket["qrToken"]
    mailing.drain(until=lambda: len(mailing.emails()) == 3)
    third = mailing.emails()[2]
    assert qr_token_of_email(third) == new_token
    assert qr_of_pdf(pdf_of_email(third)) == new_token
    assert "new ticket" in third["Subject"]

    assert client.post(url, headers=ADMIN).status_code == 202  # an admin may, too
    mailing.drain(until=lambda: len(mailing.emails()) == 4)
    assert qr_token_of_email(mailing.emails()[3]) == new_token
    mailing.drain()
    assert len(mailing.emails()) == 4


def rotate(mailing: Mailing, ticket_id: str) -> None:
    response = mailing.api.client.post(
        f"/api/admin/tickets/{ticket_id}/rotate", json={"reason": "lost phone"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text


def test_smtp_backend_delivers_the_expected_mime_to_a_real_smtp_server(
    database_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.user, smtp_server.password = "mailer", "s3cret-pass"
    for mailing in mailing_for(
        database_url, tmp_path, EMAIL_BACKEND="smtp", SMTP_URL=smtp_server.url
    ):
        ticket = mailing.paid_ticket("dancer-1")
        mailing.drain(until=lambda: smtp_server.received)

    [(envelope, message)] = smtp_server.received
    assert envelope.mail_from == "tickets@salsanor.no"
    assert envelope.rcpt_tos == ["dancer-1@example.no"]
    assert_ticket_mime(message, ticket["qrToken"])


def test_ses_backend_sends_raw_mime_to_a_local_ses_compatible_server(
    database_url: str, tmp_path: Path, ses_server: SesServer
) -> None:
    for mailing in mailing_for(
        database_url,
        tmp_path,
        EMAIL_BACKEND="ses",
        EMAIL_FROM=SES_SENDER,
        AWS_REGION="eu-north-1",
        AWS_ENDPOINT_URL=ses_server.url,
    ):
        ticket = mailing.paid_ticket("dancer-1")
        mailing.drain(until=ses_server.raw_messages)
        recorded = mailing.services.store.get(Ticket, UUID(ticket["ticketId"]))

    [sent] = ses_server.raw_messages()
    assert sent["source"] == SES_SENDER
    assert "dancer-1@example.no" in sent["destinations"]
    assert recorded.emails[0].message_id == sent["id"]  # SES's own message id
    assert_ticket_mime(parse(sent["raw_data"].encode()), ticket["qrToken"])


def assert_ticket_mime(message: Any, token: str) -> None:
    """mixed(alternative(text, related(html, png)), pdf), both QR codes the served token."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, pdf = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert pdf.get_content_type() == "application/pdf"
    text, related = alternative.get_payload()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    assert [p.get_content_type() for p in related.get_payload()] == ["text/html", "image/png"]
    assert qr_token_of_email(message) == token
    assert qr_of_pdf(pdf_of_email(message)) == token


def test_an_smtp_outage_delays_every_email_then_delivers_each_once_and_alerts(
    database_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse = 7  # the first 7 attempts get "451 try again later"
    users = [f"dancer-{n}" for n in range(3)]
    for mailing in mailing_for(
        database_url,
        tmp_path,
        EMAIL_BACKEND="smtp",
        SMTP_URL=smtp_server.url,
        EMAIL_MAX_ATTEMPTS="2",
        EMAIL_RETRY_SECONDS="0.05",
    ):
        for user in users:
            mailing.paid_ticket(user)
        mailing.drain(until=lambda: len(smtp_server.received) >= len(users))
        mailing.drain()
        alerts = admin_alerts(mailing.api.client, mailing.services)

    assert smtp_server.refused == 7
    assert sorted(smtp_server.recipients()) == sorted(f"{u}@example.no" for u in users)
    failed = [a for a in alerts if a["kind"] == "email_failed"]
    assert failed, "an email_failed alert after EMAIL_MAX_ATTEMPTS failures"
    assert len({a["message"] for a in failed}) == len(failed)  # once per email, never repeated
    assert all("still retrying" in a["message"] for a in failed)


def test_alerts_reach_the_admin_inbox_and_the_chat_webhook_once_each(
    database_url: str, tmp_path: Path, webhook_server: WebhookServer
) -> None:
    webhook_server.fail = 1  # the chat service hiccups once: retried, still delivered once
    for mailing in mailing_for(
        database_url,
        tmp_path,
        ADMIN_ALERT_EMAIL="admin@salsanor.no",
        ALERT_WEBHOOK_URL=webhook_server.url,
        EMAIL_RETRY_SECONDS="0.05",
    ):
        unknown = "00000000-0000-4000-8000-000000000001"
        assert mailing.api.pay({"orderId": unknown, "totalCents": 100}).status_code == 200
        mailing.drain(until=lambda: webhook_server.bodies and outbox(tmp_path / "outbox"))
        time.sleep(0.2)  # past any retry delay: nothing is delivered twice
        mailing.drain()
        admin_emails = [m for m in mailing.emails() if m["To"] == "admin@salsanor.no"]

    [body] = webhook_server.bodies
    assert "unknown_order" in body["text"]
    assert body["alert"]["kind"] == "unknown_order"
    assert webhook_server.attempts == 2
    [message] = admin_emails
    assert "unknown_order" in message["Subject"]
    assert unknown in part(message, "text/plain").get_content()


CHROMIUM = "/usr/bin/chromium"  # Debian's (installed by .ci/run); never a downloaded browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_the_html_part_looks_right_in_a_real_browser(mailing: Mailing, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    ticket = mailing.paid_ticket("dancer-1", locale="en")  # its English words are asserted
    mailing.drain(until=lambda: len(mailing.emails()) == 1)
    [message] = mailing.emails()
    png = part(message, "image/png")
    # What a mail client does with cid: links: shows the inline part there.
    data_uri = "data:image/png;base64," + base64.b64encode(png.get_content()).decode()
    html = part(message, "text/html").get_content()
    html = html.replace(f"cid:{str(png['Content-ID']).strip('<>')}", data_uri)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 600, "height": 900})
            page.route("**/*", lambda route: route.abort())  # nothing remote is loaded
            page.set_content(html, wait_until="load")
            shot = tmp_path / "ticket-email.png"
            page.screenshot(path=str(shot), full_page=True)
            visible = page.inner_text("body")
            image = page.eval_on_selector(
                "img", "img => [img.complete, img.naturalWidth, img.getBoundingClientRect().width]"
            )
            header = page.eval_on_selector(".head", "e => getComputedStyle(e).backgroundColor")
        finally:
            browser.close()

    assert image[0] and image[1] > 0 and image[2] == 240  # the QR code shows, 240 px wide
    for shown in ("Åse Øvergård", "Fall 2026", "Dansestudio, Oslo", "Salsa 1", "At the door"):
        assert shown in visible
    assert header == "rgb(179, 18, 59)"  # the brand's colour, from the inlined CSS
    assert qr_of_png(shot.read_bytes()) == ticket["qrToken"]  # it scans off the screen


def test_resend_is_rate_limited_per_caller(database_url: str, tmp_path: Path) -> None:
    for mailing in mailing_for(database_url, tmp_path, RATE_LIMIT_PER_MINUTE="2"):
        ticket = mailing.paid_ticket("dancer-1")
        url = f"/api/tickets/{ticket['ticketId']}/resend"
        answers = [mailing.api.client.post(url, headers=bearer("dancer-1")) for _ in range(3)]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["code"] == "rate_limited"
    assert int(answers[2].headers["Retry-After"]) > 0
