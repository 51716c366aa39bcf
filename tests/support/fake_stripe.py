"""A local fake of Stripe's API over real HTTP: records what it gets, answers like Stripe."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]


@dataclass
class FakeStripe:
    """What the fake received, and the answers it will give (one per request, then 200s)."""

    base_url: str
    requests: list[Recorded] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def session_json(session_id: str, form: dict[str, list[str]]) -> dict[str, Any]:
    def one(key: str) -> str | None:
        return form.get(key, [None])[0]

    total = sum(int(values[0]) for key, values in form.items() if key.endswith("[unit_amount]"))
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": one("cancel_url"),
        "client_reference_id": one("client_reference_id"),
        "created": int(time.time()),
        "currency": one("line_items[0][price_data][currency]"),
        "customer_email": one("customer_email"),
        "expires_at": int(time.time()) + 86_400,
        "livemode": False,
        "metadata": {"orderId": one("metadata[orderId]")},
        "mode": one("mode"),
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": one("success_url"),
        "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
    }


def error_json(kind: str, code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "code": code, "message": message}}


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            form = parse_qs(body, keep_blank_values=True)
            fake.requests.append(
                Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, form)
            )
            if fake.answers:
                status, answer = fake.answers.pop(0)
            elif self.path == "/v1/checkout/sessions":
                status, answer = 200, session_json("cs_test_a1" + uuid4().hex, form)
            else:
                status = 404
                answer = error_json("invalid_request_error", "resource_missing", "No such path")
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_" + uuid4().hex[:14])
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    fake.base_url = f"http://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
