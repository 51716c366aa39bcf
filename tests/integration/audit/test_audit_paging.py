"""GET /api/admin/audit/{aggregateId}/events paged on SQLite and PostgreSQL: the bare list of
API.md, a Link header to the next page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.service import ADMIN, Running

pytestmark = pytest.mark.integration


def paid_order(running: Running) -> dict[str, Any]:
    api = running.api
    api.schedule()
    api.profile("dancer-1")
    order = api.order("dancer-1", "salsa1")
    assert api.pay(order).status_code == 200
    return order


def test_the_events_of_an_order_a_page_at_a_time(running: Running) -> None:
    order = paid_order(running)
    client = running.api.client
    path = f"/api/admin/audit/{order['orderId']}/events"
    whole = client.get(path, headers=ADMIN)
    assert whole.status_code == 200 and "link" not in whole.headers  # one page: no Link
    versions = [e["version"] for e in whole.json()]
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 3

    pages: list[list[int]] = []
    url = f"{path}?limit=2"
    while url:
        answer = client.get(url, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        assert isinstance(answer.json(), list)  # the bare list of API.md
        pages.append([e["version"] for e in answer.json()])
        link = answer.headers.get("link")
        url = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1) if link else ""  # type: ignore[union-attr]

    assert [v for page in pages for v in page] == versions
    assert all(len(page) == 2 for page in pages[:-1])


def test_bad_paging_queries_are_problems(running: Running) -> None:
    order = paid_order(running)
    path = f"/api/admin/audit/{order['orderId']}/events"

    for query, status, code in (
        ({"cursor": "abc"}, 400, "invalid_cursor"),
        ({"limit": "0"}, 422, "validation_failed"),
        ({"limit": "201"}, 422, "validation_failed"),
    ):
        answer = running.api.client.get(path, params=query, headers=ADMIN)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == code
