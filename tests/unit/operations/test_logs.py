"""Log lines: JSON for collectors, console lines for a developer (--dev), the context on both."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from entrypoints import logs

pytestmark = pytest.mark.unit


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("json_lines", [True, False])
def test_a_line_carries_its_fields_and_the_bound_request_id(
    json_lines: bool, restored_logging: None
) -> None:
    stream = io.StringIO()
    logs.configure("INFO", json=json_lines, stream=stream)

    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        logging.getLogger("tickets.access").info("request", extra={"status": 200})
    logging.getLogger("tickets").info("after")

    first, second = stream.getvalue().splitlines()
    if json_lines:
        line = json.loads(first)
        assert line["request_id"] == "req-1" and line["status"] == 200
        assert "request_id" not in json.loads(second)  # unbound when the request is over
    else:
        assert first.split()[-4:] == [
            "request",
            "[tickets.access]",
            "request_id=req-1",
            "status=200",
        ]
        assert "\x1b[" not in first  # no colour escapes when not writing to a terminal
        assert "request_id" not in second
