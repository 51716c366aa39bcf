"""Ticket delivery over HTTP on real event stores: PDF, web view, access, limits, rotation."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
from litestar.testing import TestClient
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import ZBarSymbol, decode

from adapters.clock import SystemClock
from adapters.pdf_ticket import PdfTicketRenderer
from adapters.persistence.eventstore import migrate
from adapters.qr_code import qr_svg
from adapters.qr_tokens import JwtTokenSigner
from adapters.ticket_links import SignedTicketLinks, TicketLinksConfig
from application.tickets.tokens import TokenIssuer
from domain.period import Period
from domain.shared import Cause
from domain.ticket import Ticket
from entrypoints.bootstrap import build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.service import ADMIN, Api, Running, admin_alerts, bearer, service_env

pytestmark = pytest.mark.integration

NAME = "Æsa Øvergård-Åberg Émilie Ёлена"
# The web ticket's QR code title for a profile without a locale (Norwegian, DEFAULT_LOCALE).
NB_QR_TITLE = "QR-koden til billetten din"
OTHER_SECRET = "another-ticket-secret-after-a-leak-" + "q" * 12


@contextmanager
def serving(database_url: str, **env: str) -> Iterator[Running]:
    """The service in-process over HTTP, with extra environment (limits, secrets)."""
    settings = Settings.from_env(service_env(database_url, **env))
    migrate(settings.database)
    services = build(settings)
    with TestClient(create_app(services)) as client:
        yield Running(Api(client), services, settings)


def paid_ticket(
    api: Api, user: str = "dancer-1", name: str = NAME, locale: str | None = None
) -> dict[str, Any]:
    """A scheduled period, a profile, an order of two tracks, paid: the JSON ticket."""
    if api.client.get("/api/periods/2026-fall").status_code == 404:
        api.schedule()
    api.profile(user, name, locale)
    assert api.pay(api.order(user, "salsa1", "bachata1")).status_code == 200
    response = api.ticket(user)
    assert response.status_code == 200, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def local(url: str) -> str:
    """A link the service handed out, as a path on the server under test."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def scanned(pdf: bytes, tmp_path: Path) -> list[str]:
    """The PDF's page rasterized at 150 dpi (a printout), its QR codes decoded."""
    (tmp_path / "ticket.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", "ticket.pdf", "page"],
        check=True,
        cwd=tmp_path,
    )
    return [
        symbol.data.decode()
        for symbol in decode(Image.open(tmp_path / "page.png"), symbols=[ZBarSymbol.QRCODE])
    ]


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "text.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "text.pdf", "-"], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout
    return " ".join(text.split())  # lines wrap where the page is narrow


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def rotate(running: Running, ticket_id: str) -> None:
    """An admin's rotation, as recorded: the next token version (old links and tokens die)."""
    store = running.services.store
    ticket = store.get(Ticket, UUID(ticket_id))
    issuer = TokenIssuer(JwtTokenSigner(running.settings.tokens), SystemClock())
    issuer.issue(ticket, store.get(Period, ticket.period_id), Cause(actor="admin-1"))
    store.save(ticket)


# --- The PDF --------------------------------------------------------------------------------


def test_the_pdf_scans_to_the_json_token_and_shows_the_ticket_as_text(
    running: Running, tmp_path: Path
) -> None:
    ticket = paid_ticket(running.api, locale="en")  # its English dates are asserted

    response = running.api.client.get(
        f"/api/tickets/download/{ticket['ticketId']}", headers=bearer("dancer-1")
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="ticket-2026-fall.pdf"'
    assert response.headers["cache-control"] == "private, no-cache"
    assert scanned(response.content, tmp_path) == [ticket["qrToken"]]
    text = pdf_text(response.content, tmp_path)
    for shown in (
        NAME,
        "Fall 2026",
        "Salsa 1",
        "Bachata 1",
        "Dansestudio, Oslo",
        "June 15, 2027",
    ):
        assert shown in text
    assert ticket["ticketId"][:4].upper() in text  # the short ticket id
    metadata = PdfReader(io.BytesIO(response.content)).metadata
    assert metadata is not None and NAME in str(metadata.title)
    (tmp_path / "sample-ticket.pdf").write_bytes(response.content)
    print(f"sample PDF ticket: {tmp_path / 'sample-ticket.pdf'}")


class NoRenderer:
    """TicketRenderer that must not be needed: the PDF is in the cache already."""

    style = PdfTicketRenderer().style

    def render_pdf(self, document: object) -> bytes:
        raise AssertionError("rendered again although the PDF was cached")


def test_a_rendered_pdf_is_kept_and_revalidated_by_its_etag(running: Running) -> None:
    ticket = paid_ticket(running.api)
    path = f"/api/tickets/download/{ticket['ticketId']}"
    first = running.api.client.get(path, headers=bearer("dancer-1"))
    etag = first.headers["etag"]

    unchanged = running.api.client.get(path, headers={**bearer("dancer-1"), "If-None-Match": etag})
    # Another process on the same store serves the same bytes without rendering.
    other = build(running.settings, renderer=NoRenderer())
    try:
        with TestClient(create_app(other)) as client:
            shared = client.get(path, headers=bearer("dancer-1"))
    finally:
        other.close()
    rotate(running, ticket["ticketId"])
    rotated = running.api.client.get(path, headers={**bearer("dancer-1"), "If-None-Match": etag})

    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert (shared.status_code, shared.content, shared.headers["etag"]) == (
        200,
        first.content,
        etag,
    )
    assert rotated.status_code == 200 and rotated.headers["etag"] != etag
    assert rotated.content != first.content


def test_the_json_ticket_links_to_the_pdf_and_the_view(running: Running) -> None:
    ticket = paid_ticket(running.api)
    base = running.settings.http.public_base_url

    assert ticket["viewUrl"].startswith(f"{base}/tickets/{ticket['ticketId']}?key=")
    assert ticket["pdfUrl"].startswith(f"{base}/api/tickets/download/{ticket['ticketId']}?key=")


def test_the_signed_pdf_link_needs_no_bearer_token(running: Running, tmp_path: Path) -> None:
    ticket = paid_ticket(running.api)

    response = running.api.client.get(local(ticket["pdfUrl"]))

    assert response.status_code == 200
    assert scanned(response.content, tmp_path) == [ticket["qrToken"]]
    wrong = local(ticket["pdfUrl"])[:-3] + "AAA"
    assert_problem(running.api.client.get(wrong), 404, "ticket_not_found")


def test_an_admin_downloads_anyones_pdf(running: Running) -> None:
    ticket = paid_ticket(running.api)

    response = running.api.client.get(f"/api/tickets/download/{ticket['ticketId']}", headers=ADMIN)

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


# --- Access control: each route as another user and as nobody ------------------------------


def test_another_user_gets_404_and_nobody_401_on_every_ticket_route(running: Running) -> None:
    ticket = paid_ticket(running.api)
    paid_ticket(running.api, "dancer-2", "Ola Nordmann")  # someone with a ticket of their own
    client = running.api.client
    pdf = f"/api/tickets/download/{ticket['ticketId']}"

    # The JSON ticket: the caller's own only; another user's request never reaches it.
    other = client.get("/api/tickets/2026-fall", headers=bearer("dancer-2")).json()
    assert other["ticketId"] != ticket["ticketId"] and other["personName"] == "Ola Nordmann"
    assert_problem(
        client.get("/api/tickets/2026-fall", headers=bearer("dancer-3")), 404, "ticket_not_found"
    )
    assert_problem(client.get("/api/tickets/2026-fall"), 401, "unauthenticated")
    # The PDF by id: another user gets the answer of a ticket that does not exist.
    assert_problem(client.get(pdf, headers=bearer("dancer-2")), 404, "ticket_not_found")
    unknown = f"/api/tickets/download/{UUID(int=7)}"
    assert (
        client.get(pdf, headers=bearer("dancer-2")).json()
        == client.get(unknown, headers=bearer("dancer-2")).json()
    )
    assert_problem(client.get(pdf), 401, "unauthenticated")
    assert_problem(
        client.get(pdf, headers={"Authorization": "Bearer forged"}), 401, "unauthenticated"
    )
    # The web view: only with the key, for anyone, user or not.
    assert_problem(client.get(f"/tickets/{ticket['ticketId']}"), 404, "ticket_not_found")
    assert_problem(
        client.get(f"/tickets/{ticket['ticketId']}", headers=bearer("dancer-1")),
        404,
        "ticket_not_found",
    )


# --- The web view ---------------------------------------------------------------------------


def test_the_web_view_shows_the_ticket_with_strict_headers(running: Running) -> None:
    ticket = paid_ticket(running.api)

    response = running.api.client.get(local(ticket["viewUrl"]))

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    page = response.text
    # The QR code of the very token the API serves, titled in the holder's language (nb).
    assert qr_svg(ticket["qrToken"], title=NB_QR_TITLE) in page
    for shown in (NAME, "Fall 2026", "Salsa 1", "Bachata 1", "Dansestudio, Oslo"):
        assert shown in page
    assert f'href="{local(ticket["pdfUrl"])}"' in page
    assert "<script" not in page


def test_the_web_view_nonce_changes_with_every_response(running: Running) -> None:
    ticket = paid_ticket(running.api)

    first, second = (running.api.client.get(local(ticket["viewUrl"])) for _ in range(2))

    assert first.status_code == second.status_code == 200
    nonces = [
        r.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
    assert f'<style nonce="{nonces[0]}">' in first.text
    assert f'<style nonce="{nonces[1]}">' in second.text


def test_names_are_escaped_in_the_web_view(running: Running) -> None:
    ticket = paid_ticket(running.api, name='<script>alert("x")</script> & Co')

    page = running.api.client.get(local(ticket["viewUrl"])).text

    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page


@pytest.mark.parametrize(
    "key", ["", "wrong", "A" * 22, "%00", "ÆØÅ", "x" * 5000], ids=lambda k: repr(k)[:12]
)
def test_a_wrong_key_answers_404(running: Running, key: str) -> None:
    ticket = paid_ticket(running.api)

    response = running.api.client.get(f"/tickets/{ticket['ticketId']}", params={"key": key})

    assert_problem(response, 404, "ticket_not_found")


def test_an_old_key_answers_404_after_a_rotation(running: Running, tmp_path: Path) -> None:
    ticket = paid_ticket(running.api)
    rotate(running, ticket["ticketId"])

    assert_problem(running.api.client.get(local(ticket["viewUrl"])), 404, "ticket_not_found")
    assert_problem(running.api.client.get(local(ticket["pdfUrl"])), 404, "ticket_not_found")
    fresh = running.api.ticket("dancer-1").json()
    assert fresh["qrTokenVersion"] == 2 and fresh["viewUrl"] != ticket["viewUrl"]
    assert running.api.client.get(local(fresh["viewUrl"])).status_code == 200
    pdf = running.api.client.get(local(fresh["pdfUrl"])).content
    assert scanned(pdf, tmp_path) == [fresh["qrToken"]]


def test_malformed_ticket_ids_are_404_never_500(running: Running) -> None:
    client = running.api.client
    for path in ("/tickets/not-a-uuid?key=x", "/api/tickets/download/42"):
        assert client.get(path, headers=bearer("dancer-1")).status_code == 404


# --- Rate limits (the in-memory store) ------------------------------------------------------


def test_each_ticket_route_is_limited_per_user_with_its_own_counter(database_url: str) -> None:
    with serving(database_url, RATE_LIMIT_PER_MINUTE="3") as running:
        ticket = paid_ticket(running.api)  # one JSON request
        client = running.api.client
        pdf = f"/api/tickets/download/{ticket['ticketId']}"

        assert [running.api.ticket("dancer-1").status_code for _ in range(3)] == [200, 200, 429]
        refused = running.api.ticket("dancer-1")
        assert_problem(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Its own counter per route, per user.
        assert client.get(pdf, headers=bearer("dancer-1")).status_code == 200
        assert running.api.ticket("admin-1").status_code == 404  # counted apart: not limited
        statuses = [client.get(pdf, headers=bearer("dancer-1")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_the_web_view_is_limited_per_client_address(database_url: str) -> None:
    with serving(database_url, RATE_LIMIT_PER_MINUTE="2") as running:
        ticket = paid_ticket(running.api)
        client = running.api.client

        statuses = [client.get(local(ticket["viewUrl"])).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        # Guessing keys counts too: the limit is on the route, whatever the answer.
        assert client.get(f"/tickets/{ticket['ticketId']}?key=guess").status_code == 429
        # The signed PDF link is another route: its own counter.
        assert client.get(local(ticket["pdfUrl"])).status_code == 200


# --- Point 5: the signing secret changed under recorded tickets -----------------------------


ROUTES = ("json", "pdf", "web view", "signed pdf link")


@pytest.mark.parametrize("route", ROUTES)
def test_after_a_secret_change_every_route_serves_a_token_that_scans_and_alerts(
    database_url: str, route: str, tmp_path: Path
) -> None:
    with serving(database_url) as before:
        old = paid_ticket(before.api)
    with serving(database_url, TICKET_JWT_SECRET=OTHER_SECRET) as after:
        client = after.api.client
        ticket_id = old["ticketId"]
        links = SignedTicketLinks(
            TicketLinksConfig(after.settings.http.public_base_url, OTHER_SECRET.encode())
        )
        # Old links were signed with the old secret: they are dead, and serve nothing.
        assert client.get(local(old["viewUrl"])).status_code == 404

        # The first request after the restart, by the route under test.
        if route == "json":
            served = after.api.ticket("dancer-1").json()["qrToken"]
        elif route == "pdf":
            pdf = client.get(f"/api/tickets/download/{ticket_id}", headers=bearer("dancer-1"))
            [served] = scanned(pdf.content, tmp_path)
        elif route == "signed pdf link":
            pdf = client.get(local(links.pdf_url(UUID(ticket_id), 1)))
            [served] = scanned(pdf.content, tmp_path)
        else:
            page = client.get(local(links.view_url(UUID(ticket_id), 1)))
            assert page.status_code == 200
            served = after.api.ticket("dancer-1").json()["qrToken"]
            assert qr_svg(served, title=NB_QR_TITLE) in page.text

        claims = JwtTokenSigner(after.settings.tokens).verify(served)  # it scans
        assert claims.version == 2 and str(claims.ticket_id) == ticket_id
        assert served != old["qrToken"]
        now = after.api.ticket("dancer-1").json()
        assert (now["qrToken"], now["qrTokenVersion"]) == (served, 2)  # no second rotation
        alerts = admin_alerts(client, after.services)
        assert [a["kind"] for a in alerts] == ["token_mismatch"]
        assert alerts[0]["subject"] == ticket_id
        assert old["qrToken"] not in str(alerts)


# --- The brand, from the environment --------------------------------------------------------


def test_the_brand_from_the_environment_reaches_the_pdf_and_the_page(
    database_url: str, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (90, 30), (250, 200, 0)).save(logo)
    brand = {
        "SCHOOL_NAME": "Dansens Hus",
        "BRAND_PRIMARY_COLOR": "#004E89",
        "BRAND_LOGO_PATH": str(logo),
        "TICKET_INSTRUCTIONS": "Vis koden i døra.",
    }
    with serving(database_url, **brand) as running:
        ticket = paid_ticket(running.api)
        page = running.api.client.get(local(ticket["viewUrl"])).text
        pdf = running.api.client.get(local(ticket["pdfUrl"])).content

    assert "Dansens Hus" in page and "--brand: #004E89" in page and "Vis koden i døra." in page
    assert '<img src="data:image/png;base64,' in page  # allowed by img-src data: alone
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None and metadata.author == "Dansens Hus"
    assert "Vis koden i døra." in pdf_text(pdf, tmp_path)
    assert scanned(pdf, tmp_path) == [ticket["qrToken"]]
