"""Clients generated from the exported document: Python without a warning, TypeScript without an
error, and the walk-through of docs/getting-started.md driven through the generated Python
client."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from adapters.identity import mint_dev_token
from tests.support.node import CONTRACT, node_tool
from tests.support.service import AUTH_SECRET, WEBHOOK_SECRET, ServerProcess
from tests.support.stripe_events import checkout_completed, signature_header

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
CLIENT_PACKAGE = "tickets_client"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The document as `tickets openapi --output` writes it."""
    out = tmp_path_factory.mktemp("openapi") / "openapi.json"
    result = run([str(BIN / "tickets"), "openapi", "--output", str(out)], out.parent)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def python_client(exported: Path) -> Iterator[ModuleType]:
    target = exported.parent / "client"
    result = run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(exported),
            "--output-path",
            str(target / CLIENT_PACKAGE),
            "--meta",
            "none",
            "--config",
            str(CONTRACT / "python-client.yaml"),
        ],
        exported.parent,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The generator says "Warning(s) encountered" (and drops what it could not read) otherwise.
    assert "warning" not in output.lower(), output
    assert "unable to" not in output.lower() and "skipping" not in output.lower(), output
    sys.path.insert(0, str(target))
    try:
        yield importlib.import_module(CLIENT_PACKAGE)
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m.split(".")[0] == CLIENT_PACKAGE]:
            del sys.modules[name]


def test_the_python_client_generates_without_a_warning(python_client: ModuleType) -> None:
    models = importlib.import_module(f"{CLIENT_PACKAGE}.models")
    # What the old document lost: the period (two TrackOut schemas) and every typed error.
    for name in ("PeriodOut", "PeriodTrackOut", "TicketOut", "ProblemDetails", "OrderStatus"):
        assert hasattr(models, name), name
    get_period = importlib.import_module(f"{CLIENT_PACKAGE}.api.periods.get_period")
    assert "PeriodOut" in str(get_period.sync.__annotations__["return"])


def test_typescript_types_generate_without_an_error_and_compile(exported: Path) -> None:
    types = exported.parent / "api.d.ts"
    result = run([str(node_tool("openapi-typescript")), str(exported), "-o", str(types)], CONTRACT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "error" not in output.lower() and "warn" not in output.lower(), output
    text = types.read_text()
    assert "getMyTicket: {" in text and "periodCode: string;" in text
    assert '"application/problem+json": components["schemas"]["ProblemDetails"]' in text
    usage = exported.parent / "usage.ts"
    usage.write_text(
        'import type { components, operations } from "./api";\n'
        'type Ticket = components["schemas"]["TicketOut"];\n'
        'type Problem = operations["getMyTicket"]["responses"][404]["content"]'
        '["application/problem+json"];\n'
        "export const code = (p: Problem): string => p.code;\n"
        "export const qr = (t: Ticket): string => t.qrToken;\n"
    )
    compiled = run(
        [str(node_tool("tsc")), "--noEmit", "--strict", "--skipLibCheck", str(types), str(usage)],
        CONTRACT,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_the_readme_flow_through_the_generated_client(
    python_client: ModuleType, server: ServerProcess
) -> None:
    """Period, profile, order, signed webhook, ticket, PDF and web page: as a frontend would."""
    server.start()
    pkg = CLIENT_PACKAGE
    api = {
        name: importlib.import_module(f"{pkg}.api.{module}")
        for name, module in {
            "create_period": "admin.create_period",
            "put_my_profile": "people.put_my_profile",
            "create_order": "orders.create_order",
            "get_order": "orders.get_order",
            "receive_stripe_webhook": "webhooks.receive_stripe_webhook",
            "get_my_ticket": "tickets.get_my_ticket",
            "download_ticket_pdf": "tickets.download_ticket_pdf",
            "view_ticket_page": "tickets.view_ticket_page",
            "get_period": "periods.get_period",
        }.items()
    }
    m = importlib.import_module(f"{pkg}.models")

    def as_user(sub: str, *roles: str) -> Any:
        token = mint_dev_token(AUTH_SECRET, sub, roles=roles, email=f"{sub}@example.no")
        return python_client.AuthenticatedClient(base_url=server.base_url, token=token)

    admin, dancer = as_user("admin-1", "admin"), as_user("dancer-1")
    period = api["create_period"].sync(
        client=admin,
        body=m.PeriodIn(
            code="2026-fall",
            name="Fall 2026",
            start_date=date(2026, 9, 1),
            end_date=date(2026, 12, 15),
            timezone="Europe/Oslo",
            currency="NOK",
            location="Oslo",
            tracks=[m.TrackIn(code="salsa1", name="Salsa 1", price_cents=150000)],
        ),
    )
    assert isinstance(period, m.PeriodOut) and period.tracks[0].price_cents == 150000
    anonymous = python_client.Client(base_url=server.base_url)
    missing = api["get_period"].sync("nope", client=anonymous)
    assert isinstance(missing, m.ProblemDetails) and missing.code == "period_not_found"

    profile = api["put_my_profile"].sync(
        client=dancer, body=m.ProfileIn(name="Åse Øvergård", email="ase@example.no")
    )
    assert isinstance(profile, m.ProfileOut)
    order = api["create_order"].sync(
        client=dancer,
        body=m.OrderIn(
            period_code="2026-fall",
            registrations=[m.RegistrationIn(track_code="salsa1", role=m.Role.LEADER)],
        ),
    )
    assert isinstance(order, m.OrderOut) and order.status == m.OrderStatus.PENDING

    # Stripe's side: the signature covers the exact bytes the client sends, as Stripe signs.
    def sign(request: httpx.Request) -> None:
        request.headers["Stripe-Signature"] = signature_header(request.content, WEBHOOK_SECRET)

    # The route's security scheme is the Stripe-Signature header: the generated client's
    # "token" goes there, and is the signature of each body.
    stripe = python_client.AuthenticatedClient(
        base_url=server.base_url,
        token="signed-per-request",
        auth_header_name="Stripe-Signature",
        prefix="",
        httpx_args={"event_hooks": {"request": [sign]}},
    )
    event = m.StripeEvent.from_dict(checkout_completed(str(order.order_id), order.total_cents))
    received = api["receive_stripe_webhook"].sync(client=stripe, body=event)
    assert isinstance(received, m.WebhookOut) and received.received is True

    paid = api["get_order"].sync(order.order_id, client=dancer)
    assert isinstance(paid, m.OrderOut) and paid.status == m.OrderStatus.PAID
    ticket = api["get_my_ticket"].sync("2026-fall", client=dancer)
    assert isinstance(ticket, m.TicketOut) and ticket.status == m.TicketStatus.ACTIVE
    assert ticket.qr_token and ticket.tracks[0].name == "Salsa 1"

    pdf = api["download_ticket_pdf"].sync(ticket.ticket_id, client=dancer)
    assert pdf is not None and not isinstance(pdf, m.ProblemDetails)
    assert pdf.payload.read().startswith(b"%PDF-")
    key = httpx.URL(ticket.view_url).params["key"]
    page = api["view_ticket_page"].sync(ticket.ticket_id, client=anonymous, key=key)
    assert isinstance(page, str) and "Åse Øvergård" in page
    wrong = api["view_ticket_page"].sync(ticket.ticket_id, client=anonymous, key="guess")
    assert isinstance(wrong, m.ProblemDetails) and wrong.status == 404
