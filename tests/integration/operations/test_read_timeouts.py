"""`tickets serve` lets no connection hold it by sending slowly: a request's head and body must
arrive within their deadlines (--header-timeout, --body-timeout), else 408 and the connection
is closed. Raw sockets against a real server of two HTTP processes (the protocol reaches them
pickled)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.service import ServerProcess, service_env

pytestmark = pytest.mark.integration

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 2.0
SLACK = 1.5  # a loaded machine; without the deadlines, each of these waited for ever
CHECKED_FOR = 10.0  # how long a test waits before calling a connection held


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    where: Path = tmp_path_factory.mktemp("read-timeouts")
    server = ServerProcess(service_env(f"sqlite:///{where}/tickets.sqlite3"), where)
    server.start(
        "--workers", "2",
        "--header-timeout", str(HEADER_TIMEOUT),
        "--body-timeout", str(BODY_TIMEOUT),
    )  # fmt: skip
    yield server
    server.stop()


def connect(server: ServerProcess) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=CHECKED_FOR)
    return conn


def read_until_closed(conn: socket.socket, started: float, trickle: bytes = b"") -> bytes:
    """Everything the server sends until it closes the connection; fails if it is still open
    ``CHECKED_FOR`` seconds after ``started``. Sends ``trickle`` a byte every 0.2 s meanwhile."""
    received = b""
    conn.settimeout(0.2)
    while time.monotonic() - started < CHECKED_FOR:
        if trickle:
            try:
                conn.send(trickle[:1])
            except OSError:  # closed by the server: what is left to read tells
                trickle = b""
            trickle = trickle[1:]
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the connection is still open after {CHECKED_FOR} s: {received!r}")


def problem_of(response: bytes) -> tuple[str, dict[str, str], dict[str, object]]:
    head, _, body = response.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (h.partition(": ") for h in lines)}
    return status, headers, json.loads(body)


def test_a_head_sent_a_byte_at_a_time_is_answered_408_and_closed(served: ServerProcess) -> None:
    conn = connect(served)
    started = time.monotonic()
    conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    response = read_until_closed(conn, started, trickle=b"X-Slow: " + b"a" * 200)
    took = time.monotonic() - started

    assert HEADER_TIMEOUT <= took < HEADER_TIMEOUT + SLACK, took
    status, headers, problem = problem_of(response)
    assert status == "HTTP/1.1 408 Request Timeout"
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert headers["x-request-id"]
    assert problem["status"] == 408
    assert problem["code"] == "request_timeout"


def test_a_request_line_left_unfinished_is_cut_off(served: ServerProcess) -> None:
    conn = connect(served)
    started = time.monotonic()
    conn.sendall(b"GET /heal")
    response = read_until_closed(conn, started)
    assert time.monotonic() - started < HEADER_TIMEOUT + SLACK
    assert response.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_sends_nothing_is_closed(served: ServerProcess) -> None:
    conn = connect(served)
    started = time.monotonic()
    assert read_until_closed(conn, started) == b""  # no request: nothing to answer
    assert time.monotonic() - started < HEADER_TIMEOUT + SLACK


def test_a_body_that_never_completes_is_answered_408_by_the_app(served: ServerProcess) -> None:
    conn = connect(served)
    started = time.monotonic()
    conn.sendall(
        b"POST /api/webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Stripe-Signature: t=1,v1=00\r\nX-Request-ID: slow-body-1\r\n"
        b'Content-Length: 100\r\n\r\n{"id": "evt_'
    )
    response = read_until_closed(conn, started)
    took = time.monotonic() - started

    assert BODY_TIMEOUT <= took < BODY_TIMEOUT + SLACK, took
    status, headers, problem = problem_of(response)
    assert status.startswith("HTTP/1.1 408"), response
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-request-id"] == "slow-body-1"  # the app's own answer: its request id
    assert headers["connection"] == "close"
    assert problem["code"] == "request_timeout"
    assert problem["title"] == "Request timeout"
    assert "did not arrive within 2 s" in str(problem["detail"])


def test_a_body_still_trickling_after_the_answer_is_cut_off(served: ServerProcess) -> None:
    # /health reads no body and answers at once; the body goes on arriving a byte at a time.
    conn = connect(served)
    started = time.monotonic()
    conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
    response = read_until_closed(conn, started, trickle=b"a" * 1000)
    took = time.monotonic() - started

    assert response.startswith(b"HTTP/1.1 200 "), response
    assert BODY_TIMEOUT <= took < BODY_TIMEOUT + 1 + SLACK, took  # its grace second


def test_requests_sent_at_a_normal_pace_are_unaffected(served: ServerProcess) -> None:
    with httpx.Client(base_url=served.base_url, timeout=10) as client:
        assert client.get("/health").status_code == 200
        # Idle on a kept-alive connection for longer than the head's deadline: no matter.
        time.sleep(HEADER_TIMEOUT + 0.5)
        assert client.get("/health/ready").status_code == 200
        unsigned = client.post(
            "/api/webhooks/stripe", content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert unsigned.status_code == 400  # read in full and judged, not timed out
