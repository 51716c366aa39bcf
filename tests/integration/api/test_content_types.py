"""The exact Content-Type of the service's text responses: one charset parameter, not two."""

from __future__ import annotations

import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from tests.support.service import ADMIN, Running

pytestmark = pytest.mark.integration


def test_metrics_say_their_charset_once(running: Running) -> None:
    response = running.api.client.get("/metrics")

    assert response.status_code == 200
    assert response.headers.get_list("content-type") == [CONTENT_TYPE_LATEST]
    assert CONTENT_TYPE_LATEST.count("charset=") == 1


def test_the_attendance_csv_says_its_charset_once(running: Running) -> None:
    running.api.schedule()

    response = running.api.client.get("/api/admin/periods/2026-fall/attendance.csv", headers=ADMIN)

    assert response.status_code == 200, response.text
    assert response.headers.get_list("content-type") == ["text/csv; charset=utf-8"]
