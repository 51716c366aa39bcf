"""A revoked ticket tells its holder, once per revocation, in their language: refunded, or
cancelled by the school with the admin's reason; no QR code, no PDF, no link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.emails.test_ticket_emails import Mailing, mailing_for
from tests.support.email_support import part
from tests.support.english_lines import english_in
from tests.support.service import ADMIN, bearer
from tests.support.stripe_events import charge_refunded

pytestmark = pytest.mark.integration


@pytest.fixture
def mailing(database_url: str, tmp_path: Path) -> Iterator[Mailing]:
    yield from mailing_for(database_url, tmp_path)


def paid(mailing: Mailing, user: str, locale: str = "") -> dict[str, Any]:
    body = {"name": "Åse Øvergård", "email": f"{user}@example.no"}
    body |= {"locale": locale} if locale else {}
    assert mailing.api.client.put("/api/me/profile", json=body, headers=bearer(user)).is_success
    order = mailing.api.order(user, "salsa1")
    assert mailing.api.pay(order, payment_intent="pi_" + user.replace("-", "")).status_code == 200
    mailing.drain(until=lambda: len(mailing.emails()) >= 1)
    return order


def newest(mailing: Mailing, count: int) -> Any:
    mailing.drain(until=lambda: len(mailing.emails()) == count)
    return mailing.emails()[-1]


def test_a_refund_emails_the_holder_once_in_norwegian(mailing: Mailing) -> None:
    order = paid(mailing, "dancer-1")
    refund = charge_refunded("pi_dancer1", order["totalCents"], order["totalCents"])

    assert mailing.api.webhook(refund).status_code == 200
    assert mailing.api.webhook(refund).status_code == 200  # Stripe's duplicate delivery
    message = newest(mailing, 2)
    mailing.drain()

    text = part(message, "text/plain").get_content()
    html = part(message, "text/html").get_content()
    assert message["Subject"] == "Billetten din til Fall 2026 er ikke lenger gyldig"
    assert message["Content-Language"] == "nb" and '<html lang="nb">' in html
    assert "Betalingen din for Fall 2026 er refundert" in text
    assert "Tror du dette er en feil" in text and "kurs@salsanor.no" in text
    assert english_in(text) == [] and english_in(html) == []
    assert list(message.iter_attachments()) == []
    assert "cid:" not in html and "/tickets/" not in text + html  # nothing that looks valid
    assert len(mailing.emails()) == 2  # once, however often Stripe delivers


def test_an_admin_revocation_says_why_in_the_holders_language(mailing: Mailing) -> None:
    paid(mailing, "dancer-1", locale="en")
    ticket = mailing.api.ticket("dancer-1").json()

    revoked = mailing.api.client.post(
        f"/api/admin/tickets/{ticket['ticketId']}/revoke",
        json={"reason": "Registered twice by mistake"},
        headers=ADMIN,
    )
    assert revoked.status_code == 200, revoked.text
    message = newest(mailing, 2)

    text = part(message, "text/plain").get_content()
    assert message["Subject"] == "Your ticket for Fall 2026 no longer works"
    assert "SalsaNor has cancelled your ticket for Fall 2026" in text
    assert "Reason: Registered twice by mistake" in text
    # Revoking it again records nothing, and sends nothing.
    again = mailing.api.client.post(
        f"/api/admin/tickets/{ticket['ticketId']}/revoke", json={"reason": "again"}, headers=ADMIN
    )
    assert again.status_code in (200, 409)
    mailing.drain()
    assert len(mailing.emails()) == 2
