"""``tickets demo``: the whole flow against a running service, as a new user would try it.

An admin schedules a period, a dancer makes a profile and orders, Stripe says the checkout is
paid (a webhook signed as Stripe signs it), then the order's status, the ticket's web link,
its PDF (saved) and the ticket email in the outbox. Plain HTTP from the standard library: no
curl, jq or openssl, and nothing the service does not offer its clients. Each run uses names
of its own, so it may run again against the same service.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

from adapters.identity import mint_dev_token
from entrypoints.settings import SettingsError, demo_secrets

DEFAULT_URL = "http://127.0.0.1:8000"
REQUEST_TIMEOUT = 30.0
PRICE_CENTS = 150000


class DemoFailed(Exception):
    """A step's answer was not what the flow expects: the step, the status and the answer."""


def add_commands(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="walk the whole flow against a running service: period, profile, order, signed "
        "Stripe webhook, then the order's status, the ticket's links, its PDF and its email",
        description="Needs the service's AUTH_JWT_SECRET and STRIPE_WEBHOOK_SECRET (or their "
        "_FILE): from the environment, else from ./var/dev-secrets.json, which `tickets serve "
        "--dev` (make run) writes in its folder.",
    )
    demo.add_argument(
        "--url", default=DEFAULT_URL, help=f"the service's base URL (default: {DEFAULT_URL})"
    )
    demo.add_argument(
        "--outbox",
        type=Path,
        default=None,
        help="the service's email outbox folder (file backend), to find the ticket email in "
        "(default: EMAIL_OUTBOX_DIR, else ./var/outbox; not looked at when it does not exist "
        "here and the secrets came from the environment: the service runs elsewhere)",
    )
    demo.add_argument(
        "--email-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for the ticket email in the outbox (default: 60)",
    )
    demo.add_argument(
        "--output",
        type=Path,
        default=Path("var/demo"),
        help="the folder the ticket's PDF is saved in (default: ./var/demo)",
    )
    demo.add_argument(
        "--locale",
        default=None,
        help="the dancer's language, nb or en: the email, PDF and web ticket are in it "
        "(default: none given, so the service's DEFAULT_LOCALE)",
    )
    demo.add_argument(
        "--json",
        action="store_true",
        help="print the results as one JSON object (default: lines for a person)",
    )


def run(args: argparse.Namespace) -> int:
    settings = demo_secrets(os.environ)
    client = Client(args.url.rstrip("/"), quiet=args.json)
    outbox = args.outbox or settings.outbox
    # Looked at when it is known to be this machine's: named, there already, or make run's.
    check_email = args.outbox is not None or outbox.is_dir() or settings.service_is_here
    try:
        results = walk(
            client,
            settings.auth_secret,
            settings.webhook_secret,
            outbox if check_email else None,
            args.output,
            args.email_timeout,
            args.locale,
        )
    except DemoFailed as failure:
        print(f"tickets demo: {failure}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


@dataclass
class Client:
    """JSON over HTTP against the service, printing each step unless ``quiet``."""

    base_url: str
    quiet: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def say(self, label: str, text: str) -> None:
        if not self.quiet:
            print(f"{label:<8} {text}", flush=True)

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
        step: str,
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 (the URL's scheme is checked below)
            self.base_url + path, data=body, method=method, headers=dict(headers or {})
        )
        if not request.full_url.startswith(("http://", "https://")):
            raise DemoFailed(f"{step}: not an http(s) URL: {self.base_url}")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        if body is not None and "Content-Type" not in (headers or {}):
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DemoFailed(
                f"{step}: the service does not answer at {self.base_url}: {reason}"
            ) from None
        if status != expect:
            raise DemoFailed(f"{step}: {method} {path} answered {status}: {_short(data)}")
        return status, data

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        payload = kwargs.pop("payload", None)
        body = None if payload is None else json.dumps(payload).encode()
        _, data = self.call(method, path, body=body, **kwargs)
        return json.loads(data)


def walk(
    client: Client,
    auth_secret: str,
    webhook_secret: str,
    outbox: Path | None,
    output: Path,
    email_timeout: float,
    locale: str | None = None,
) -> dict[str, Any]:
    run_id = secrets.token_hex(4)
    period_code = f"demo-{run_id}"
    dancer = f"demo-dancer-{run_id}"
    email = f"{dancer}@example.no"
    try:
        admin_token = mint_dev_token(auth_secret, f"demo-admin-{run_id}", roles=("admin",))
        dancer_token = mint_dev_token(auth_secret, dancer, email=email)
    except ValueError as error:  # too short: the service would not have started with it
        raise SettingsError(f"AUTH_JWT_SECRET: {error}") from None
    outbox_before = set() if outbox is None else _emails(outbox)

    client.json("GET", "/health", step="health")
    client.json(
        "POST",
        "/api/admin/periods",
        token=admin_token,
        payload=_period(period_code),
        expect=201,
        step="schedule a period",
    )
    client.say("period", f"{period_code}: Demo {run_id}, Salsa 1 at {PRICE_CENTS / 100:.2f} NOK")
    profile = client.json(
        "PUT",
        "/api/me/profile",
        token=dancer_token,
        payload={"name": "Åse Øvergård", "email": email} | ({"locale": locale} if locale else {}),
        step="create the profile",
    )
    client.say("profile", f"{dancer} <{email}>, language {profile['locale']}")
    order = client.json(
        "POST",
        "/api/orders",
        token=dancer_token,
        payload={
            "periodCode": period_code,
            "registrations": [{"trackCode": "salsa1", "role": "leader"}],
        },
        expect=201,
        step="place the order",
    )
    order_id = order["orderId"]
    client.say("order", f"{order_id}: {order['status']}, {order['totalCents'] / 100:.2f} NOK")

    body = _checkout_completed(run_id, order_id, order["totalCents"])
    client.call(
        "POST",
        "/api/webhooks/stripe",
        body=body,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": stripe_signature(body, webhook_secret),
        },
        step="the Stripe webhook",
    )
    client.say("webhook", "checkout.session.completed, signed as Stripe signs it: received")

    status = client.json("GET", f"/api/orders/{order_id}", token=dancer_token, step="the order")
    client.say("order", f"{order_id}: {status['status']}")
    if status["status"] != "PAID":
        raise DemoFailed(f"the order is {status['status']} after the webhook, not PAID")
    ticket = client.json(
        "GET", f"/api/tickets/{period_code}", token=dancer_token, step="the ticket"
    )
    client.say("ticket", f"{ticket['ticketId']}: {ticket['status']}")
    client.say("web", f"{ticket['viewUrl']}  (open it in a browser)")
    pdf_path = _save_pdf(client, ticket, dancer_token, output / f"ticket-{period_code}.pdf")
    client.say("pdf", f"{ticket['pdfUrl']}")
    client.say("", f"saved as {pdf_path}")
    email_file = _wait_for_email(client, outbox, outbox_before, email, email_timeout)
    return {
        "periodCode": period_code,
        "orderId": order_id,
        "orderStatus": status["status"],
        "ticketId": ticket["ticketId"],
        "ticketStatus": ticket["status"],
        "viewUrl": ticket["viewUrl"],
        "pdfUrl": ticket["pdfUrl"],
        "pdfPath": str(pdf_path),
        "emailPath": None if email_file is None else str(email_file),
    }


def stripe_signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: v1 is HMAC-SHA256 of "timestamp.body" with the
    endpoint's secret (https://docs.stripe.com/webhooks#verify-manually)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def _period(code: str) -> dict[str, Any]:
    # From today, twelve weeks: the demo's ticket is valid whenever the demo is run.
    start = date.today()
    return {
        "code": code,
        "name": f"Demo {code.removeprefix('demo-')}",
        "startDate": start.isoformat(),
        "endDate": (start + timedelta(weeks=12)).isoformat(),
        "timezone": "Europe/Oslo",
        "location": "Oslo",
        "currency": "NOK",
        "tracks": [{"code": "salsa1", "name": "Salsa 1", "priceCents": PRICE_CENTS}],
    }


def _checkout_completed(run_id: str, order_id: str, amount_cents: int) -> bytes:
    """A Checkout session's completion for the order, as Stripe delivers it."""
    event = {
        "id": f"evt_demo_{run_id}",
        "object": "event",
        "created": int(time.time()),
        "livemode": False,
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "object": "checkout.session",
                "id": f"cs_demo_{run_id}",
                "payment_status": "paid",
                "amount_total": amount_cents,
                "currency": "nok",
                "payment_intent": f"pi_demo_{run_id}",
                "client_reference_id": order_id,
                "metadata": {"orderId": order_id},
            }
        },
    }
    return json.dumps(event, indent=2).encode()


def _save_pdf(client: Client, ticket: dict[str, Any], token: str, path: Path) -> Path:
    _, pdf = client.call(
        "GET", f"/api/tickets/download/{ticket['ticketId']}", token=token, step="the ticket's PDF"
    )
    if not pdf.startswith(b"%PDF-"):
        raise DemoFailed("the ticket's PDF is not a PDF")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    return path.resolve()


def _emails(outbox: Path) -> set[Path]:
    return set(outbox.glob("*.eml")) if outbox.is_dir() else set()


def _wait_for_email(
    client: Client, outbox: Path | None, before: set[Path], address: str, timeout: float
) -> Path | None:
    """The new .eml to ``address`` the worker writes (file backend), once it has.

    The service may run elsewhere (another machine, a container without the folder mounted):
    then there is nothing to look at here (``outbox`` None), and that is said, not failed.
    """
    if outbox is None:
        client.say("email", "not looked for: the service's outbox is not on this machine")
        return None
    deadline = time.monotonic() + timeout
    while True:
        for path in sorted(_emails(outbox) - before):
            raw = path.read_bytes()
            if address.encode() in raw:
                client.say("email", str(path.resolve()))
                subject = BytesParser(policy=default).parsebytes(raw, headersonly=True)["Subject"]
                client.say("", f"subject: {subject}")
                return path.resolve()
        if time.monotonic() > deadline:
            raise DemoFailed(
                f"no ticket email to {address} in {outbox} after {timeout:g} s: is the worker "
                "running, with EMAIL_BACKEND=file and this EMAIL_OUTBOX_DIR?"
            )
        time.sleep(0.5)


def _short(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text if len(text) <= 300 else text[:300] + "..."
