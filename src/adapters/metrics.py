"""Prometheus metrics an operator watches: webhooks, tickets, emails, alerts, follower lag.

Every metric of the service is named here (door scans: ``scan_metrics``). Counters count in the
process that did the work: each API instance and each ``tickets worker`` has its own, and
Prometheus sums them across instances (``sum by (outcome) (rate(...))``). The followers' lag is
read from the database when /metrics is scraped, so any API instance tells it for all of them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from application.ports import FollowerStore, IgnoredNotice, StripeNotice
from application.store import TicketStore
from application.worker.following import Follower
from application.worker.loop import QueueFollower
from domain.alert import Alert
from domain.payment import DeliveryOutcome
from domain.ticket import Ticket

log = logging.getLogger(__name__)

# What each recorded outcome of a Stripe event is called on the webhook counter.
WEBHOOK_OUTCOME = {
    DeliveryOutcome.FULFILLED: "fulfilled",
    DeliveryOutcome.ALREADY_PAID: "duplicate",
    DeliveryOutcome.PAYMENT_MISMATCH: "mismatch",
    DeliveryOutcome.UNKNOWN_ORDER: "unknown_order",
    DeliveryOutcome.REFUNDED: "refunded",
    DeliveryOutcome.PARTIAL_REFUND: "partial_refund",
    DeliveryOutcome.ALREADY_REFUNDED: "duplicate",
    DeliveryOutcome.NOT_REFUNDABLE: "not_refundable",
}
# The Stripe event types fulfilment acts on (API.md's webhook row), each its own label value.
# Every other type counts as ``other``: a type is the sender's text, and a value per invented
# type would add series without end (or break every later scrape: a lone surrogate in a label
# cannot be encoded). ``unknown``: the signature failed, so the type was never read.
STRIPE_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "payment_intent.succeeded",
        "charge.refunded",
    }
)
OTHER_EVENT_TYPE = "other"
UNREAD_EVENT_TYPE = "unknown"
# Lag is counted up to this many notifications per follower and scrape (a read of the log).
LAG_COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class _Counters:
    webhooks: Counter
    tickets_issued: Counter
    emails_sent: Counter
    emails_failed: Counter
    alerts_raised: Counter


@functools.cache
def _counters(registry: CollectorRegistry) -> _Counters:
    # Once per registry: a second Counter of one name would be refused by it.
    return _Counters(
        webhooks=Counter(
            "tickets_webhooks",
            "Stripe webhooks by event type (the handled ones; other: any other type; "
            "unknown: signature failed) and outcome (fulfilled, duplicate, mismatch, "
            "unknown_order, invalid_signature, failed, ignored, refunded...)",
            ["type", "outcome"],
            registry=registry,
        ),
        tickets_issued=Counter(
            "tickets_issued",
            "Tickets issued (a person's first ticket of a period)",
            [],
            registry=registry,
        ),
        emails_sent=Counter(
            "tickets_emails_sent",
            "Ticket emails sent, by kind (issued, rotated, resend)",
            ["kind"],
            registry=registry,
        ),
        emails_failed=Counter(
            "tickets_emails_failed",
            "Ticket email attempts that failed, by reason "
            "(provider_unavailable: retried; rejected; no_address; error)",
            ["reason"],
            registry=registry,
        ),
        alerts_raised=Counter(
            "tickets_alerts_raised", "Admin alerts raised, by kind", ["kind"], registry=registry
        ),
    )


class ServiceMetrics:
    """The counters, as the service's parts report to them (an EmailMeter among others)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self._counters = _counters(registry)

    def webhook(self, event_type: str, outcome: str) -> None:
        self._counters.webhooks.labels(type=webhook_type(event_type), outcome=outcome).inc()

    def webhook_applied(self, notice: StripeNotice, outcome: DeliveryOutcome | None) -> None:
        """Counts a verified webhook by what fulfilment did with it (None: nothing new)."""
        if outcome is not None:
            word = WEBHOOK_OUTCOME.get(outcome, outcome.value)
        else:
            word = "ignored" if isinstance(notice, IgnoredNotice) else "duplicate"
        self.webhook(notice.event_type, word)

    def sent(self, kind: str) -> None:
        self._counters.emails_sent.labels(kind=kind).inc()

    def failed(self, reason: str) -> None:
        self._counters.emails_failed.labels(reason=reason).inc()

    def recorded(self, events: Sequence[Any]) -> None:
        """Listens to the store's saves: counts what was recorded, once it is recorded."""
        for event in events:
            if isinstance(event, Ticket.Issued):
                self._counters.tickets_issued.inc()
            elif isinstance(event, Alert.Raised):
                self._counters.alerts_raised.labels(kind=event.kind.value).inc()


def webhook_type(event_type: str) -> str:
    """The webhook counter's ``type`` label: one of a closed set, whatever Stripe's text."""
    if event_type in STRIPE_EVENT_TYPES or event_type == UNREAD_EVENT_TYPE:
        return event_type
    return OTHER_EVENT_TYPE


class FollowerLag(Collector):
    """Per follower of the log, read at scrape time: how far behind the log's head it is, and
    for those that queue jobs (emails, alert deliveries), how many are not done yet."""

    def __init__(
        self, store: TicketStore, followers: Sequence[Follower], jobs: FollowerStore
    ) -> None:
        self._store = store
        self._followers = tuple(followers)
        self._jobs = jobs

    def collect(self) -> Iterator[Metric]:
        behind = GaugeMetricFamily(
            "tickets_follower_behind_notifications",
            "Notifications of the follower's topics recorded after its position "
            f"(counted up to {LAG_COUNT_LIMIT})",
            labels=["follower"],
        )
        oldest = GaugeMetricFamily(
            "tickets_follower_oldest_unprocessed_seconds",
            "Age of the oldest event the follower has not handled yet (0: caught up)",
            labels=["follower"],
        )
        queued = GaugeMetricFamily(
            "tickets_follower_pending_jobs",
            "Jobs the follower queued that are not done yet: due now, or waiting for a retry",
            labels=["follower"],
        )
        now = datetime.now(UTC)
        for follower in self._followers:
            try:
                pending = self._store.recorder.select_notifications(
                    start=follower.position() + 1, limit=LAG_COUNT_LIMIT, topics=follower.topics
                )
                age = 0.0
                if pending:
                    recorded_at = self._store.decode(pending[0]).timestamp
                    age = max(0.0, (now - recorded_at).total_seconds())
                jobs = (
                    self._jobs.pending_count(follower.name)
                    if isinstance(follower, QueueFollower)
                    else None  # a read model queues no jobs
                )
            except Exception as error:  # the store is away: the scrape still answers
                log.warning(
                    "follower lag unknown",
                    extra={"follower": follower.name, "error": type(error).__name__},
                )
                continue
            behind.add_metric([follower.name], len(pending))
            oldest.add_metric([follower.name], age)
            if jobs is not None:
                queued.add_metric([follower.name], jobs)
        yield behind
        yield oldest
        yield queued

    def exposition(self) -> bytes:
        """These gauges in Prometheus' text format (appended to the process' own metrics)."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        return generate_latest(registry)
