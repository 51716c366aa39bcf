"""Signed ticket links: a key per ticket and token version, checked in constant time."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.ticket_links import KEY_LENGTH, SignedTicketLinks, TicketLinksConfig

pytestmark = pytest.mark.unit

SECRET = b"ticket-secret-for-tests-" + b"x" * 16
TICKET = UUID("6f1c2b1e-3a47-4c1f-9d6e-2b7a8f4e5d10")
BASE = "https://tickets.example.no"


def links(secret: bytes = SECRET, base: str = BASE) -> SignedTicketLinks:
    return SignedTicketLinks(TicketLinksConfig(base_url=base, secret=secret))


def key_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["key"][0]


def test_the_view_url_carries_a_short_url_safe_key() -> None:
    url = links().view_url(TICKET, 1)

    assert url.startswith(f"{BASE}/tickets/{TICKET}?key=")
    assert re.fullmatch(f"[A-Za-z0-9_-]{{{KEY_LENGTH}}}", key_of(url))
    assert KEY_LENGTH == 22  # 132 bits


def test_the_pdf_url_is_the_download_route_with_the_same_key() -> None:
    view, pdf = links().view_url(TICKET, 3), links().pdf_url(TICKET, 3)

    assert pdf.startswith(f"{BASE}/api/tickets/download/{TICKET}?key=")
    assert key_of(pdf) == key_of(view)


def test_keys_are_deterministic_and_checked() -> None:
    key = key_of(links().view_url(TICKET, 2))

    assert key_of(links().view_url(TICKET, 2)) == key  # another process, the same key
    assert links().check_view_key(TICKET, 2, key)


def test_a_rotated_token_version_or_another_ticket_kills_the_key() -> None:
    key = key_of(links().view_url(TICKET, 1))

    assert not links().check_view_key(TICKET, 2, key)
    assert not links().check_view_key(uuid4(), 1, key)


def test_a_changed_secret_kills_every_key() -> None:
    key = key_of(links().view_url(TICKET, 1))

    assert not links(secret=b"another-secret-of-at-least-32-bytes!!").check_view_key(TICKET, 1, key)


def test_the_base_url_does_not_change_the_key() -> None:
    assert key_of(links(base="http://127.0.0.1:8000/").view_url(TICKET, 1)) == key_of(
        links().view_url(TICKET, 1)
    )
    assert links(base="http://127.0.0.1:8000/").view_url(TICKET, 1).count("//") == 1


@pytest.mark.parametrize(
    "key",
    ["", "x", "A" * KEY_LENGTH, "A" * 10_000, "æøå" * 8, "\udcff" * KEY_LENGTH, "é" * KEY_LENGTH],
)
def test_malformed_keys_are_refused_without_raising(key: str) -> None:
    assert not links().check_view_key(TICKET, 1, key)


@given(st.text(max_size=40))
def test_no_text_but_the_key_passes(key: str) -> None:
    good = key_of(links().view_url(TICKET, 1))

    assert links().check_view_key(TICKET, 1, key) is (key == good)


def test_the_secret_is_not_in_the_repr() -> None:
    config = TicketLinksConfig(base_url=BASE, secret=SECRET)

    assert SECRET.decode() not in repr(config)
    assert SECRET.decode() not in repr(links())
