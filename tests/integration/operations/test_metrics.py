"""GET /metrics after a whole flow, parsed as Prometheus parses it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from adapters.persistence.eventstore import migrate
from adapters.qr_tokens import JwtTokenSigner
from application.emails.ports import EmailMessage, TemporaryEmailError
from application.tickets.ports import TokenClaims
from entrypoints.bootstrap import Services, build, build_mailer, build_worker
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.service import Api, service_env
from tests.support.stripe_events import checkout_completed

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api: Api) -> Samples:
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class FlakySigner(JwtTokenSigner):
    """Signs like the real one, but fails when told to (a fulfilment that fails)."""

    fail = False

    def sign(self, claims: TokenClaims) -> str:
        if self.fail:
            raise RuntimeError("the signer broke")
        return super().sign(claims)


@dataclass
class PickyMailer:
    """The configured mailer, except that one address's provider is down."""

    real: Any
    down_for: str

    def send(self, message: EmailMessage) -> str:
        if message.to == self.down_for:
            raise TemporaryEmailError("provider unavailable")
        result: str = self.real.send(message)
        return result


@dataclass
class Shop:
    api: Api
    services: Services
    signer: FlakySigner


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Shop]:
    settings = Settings.from_env(
        # The lag is read before and after the worker ran, within the scrape cache's interval.
        service_env(
            database_url, EMAIL_OUTBOX_DIR=str(tmp_path / "outbox"), METRICS_CACHE_SECONDS="0.001"
        )
    )
    migrate(settings.database)
    signer = FlakySigner(settings.tokens)
    mailer = PickyMailer(build_mailer(settings.email), down_for="dancer-2@example.no")
    services = build(settings, signer=signer, mailer=mailer)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield Shop(Api(client), services, signer)


def test_metrics_after_a_whole_flow_answer_an_operators_questions(shop: Shop) -> None:
    api = shop.api
    api.schedule()
    for user in ("dancer-1", "dancer-2"):
        api.profile(user)
    first, second, third = (
        api.order("dancer-1", "salsa1"),
        api.order("dancer-2", "salsa1"),
        api.order("dancer-2", "bachata1"),
    )
    before = scrape(api)
    paid = checkout_completed(first["orderId"], first["totalCents"])

    assert api.webhook(paid).status_code == 200  # fulfilled
    assert api.webhook(paid).status_code == 200  # the same event again
    assert api.webhook(checkout_completed(third["orderId"], 1)).status_code == 200  # mismatch
    assert api.webhook(checkout_completed(str(uuid.uuid4()), 100)).status_code == 200  # no order
    assert api.webhook(paid, secret="whsec_wrong").status_code == 400  # invalid signature
    shop.signer.fail = True
    assert api.pay(second).status_code == 500  # failed: Stripe will retry...
    shop.signer.fail = False
    assert api.pay(second).status_code == 200  # ... and it is fulfilled then

    lagging = scrape(api)
    worker = build_worker(shop.services)
    while worker.run_once():
        pass
    worker.run_once()
    after = scrape(api)
    worker.close()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    kind = "checkout.session.completed"
    webhooks = "tickets_webhooks_total"
    assert delta(webhooks, type=kind, outcome="fulfilled") == 2
    assert delta(webhooks, type=kind, outcome="duplicate") == 1
    assert delta(webhooks, type=kind, outcome="mismatch") == 1
    assert delta(webhooks, type=kind, outcome="unknown_order") == 1
    assert delta(webhooks, type=kind, outcome="failed") == 1
    assert delta(webhooks, type="unknown", outcome="invalid_signature") == 1
    assert delta("tickets_issued_total") == 2
    assert delta("tickets_emails_sent_total", kind="issued") == 1
    assert delta("tickets_emails_failed_total", reason="provider_unavailable") == 1
    assert delta("tickets_alerts_raised_total", kind="payment_mismatch") == 1
    assert delta("tickets_alerts_raised_total", kind="unknown_order") == 1
    assert delta("tickets_alerts_raised_total", kind="fulfillment_failed") == 1

    # The followers' lag, from the store: behind before the worker ran, caught up after.
    for follower in ("scan-index", "ticket-emails"):
        behind = value(lagging, "tickets_follower_behind_notifications", follower=follower)
        oldest = value(lagging, "tickets_follower_oldest_unprocessed_seconds", follower=follower)
        assert behind > 0 and oldest > 0, follower
        assert value(after, "tickets_follower_behind_notifications", follower=follower) == 0
        assert value(after, "tickets_follower_oldest_unprocessed_seconds", follower=follower) == 0
    # Two tickets issued, one email each: the worker queued both tokens' emails.
    assert value(lagging, "tickets_follower_behind_notifications", follower="ticket-emails") == 2

    # Queued and not done: none before the worker read the log; after it, the one email whose
    # provider was away, waiting for its retry.
    def pending(samples: Samples, follower: str) -> float | None:
        return samples.get(
            ("tickets_follower_pending_jobs", frozenset({"follower": follower}.items()))
        )

    assert pending(lagging, "ticket-emails") == 0
    assert pending(after, "ticket-emails") == 1
    assert pending(after, "scan-index") is None  # a read model queues no jobs
