"""Prometheus metrics an operator watches: webhooks, tickets, emails, alerts, follower lag.

Every metric of the service is named here (door scans: ``scan_metrics``; requests: Litestar's
middleware). Counters count in the process that did the work. Within one ``tickets serve`` of
several processes (``PROMETHEUS_MULTIPROC_DIR``, set by ``entrypoints.run_dir``), each process
writes its counts to a file of that directory and any of them answers /metrics with the sum of
all, its worker's included: one ``tickets serve`` is one target. Separate instances (hosts,
containers, a ``tickets worker`` of their own) are separate targets that Prometheus sums
(``sum by (outcome) (rate(...))``). The followers' lag and stalls are read from the database when
/metrics is scraped, so any API instance tells them for all of them, once.
"""

from __future__ import annotations

import functools
import logging
import os
import platform
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from application.payments.ports import IgnoredNotice, StripeNotice
from application.store import TicketStore
from application.worker.following import Follower
from application.worker.loop import QueueFollower
from application.worker.ports import FollowerStore
from application.worker.stalls import FollowerHealth
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
            "Ticket emails sent, by kind (issued, rotated, resend, revoked)",
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

    def refused(self) -> None:
        self.webhook("unknown", "invalid_signature")

    def handling_failed(self, event_type: str) -> None:
        self.webhook(event_type, "failed")

    def applied(self, notice: StripeNotice, outcome: DeliveryOutcome | None) -> None:
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


def counted(multiprocess_dir: str | None) -> bytes:
    """The counters (and histograms) in Prometheus' text format: this process's own, or with
    ``multiprocess_dir``, those of every process of the server, summed.

    A process that died keeps its files: what it counted stays in the sums, and a process
    started in its place counts on from there (a counter never goes down). Its live gauges
    (requests in progress) are dropped, as prometheus_client's ``mark_process_dead`` does.
    """
    if multiprocess_dir is None:
        return generate_latest(REGISTRY)
    _forget_dead_processes(multiprocess_dir)
    registry = CollectorRegistry()  # only the files: registered metrics would show twice
    multiprocess.MultiProcessCollector(registry, multiprocess_dir)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db")


def _forget_dead_processes(directory: str) -> None:
    for name in os.listdir(directory):
        found = _LIVE_GAUGE_FILE.fullmatch(name)
        if found and not _alive(int(found[1])):
            multiprocess.mark_process_dead(int(found[1]), directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        return True
    return True


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
        """These gauges in Prometheus' text format (appended to the counters)."""
        return _exposition(self)


class FollowerStalls(Collector):
    """``tickets_follower_stalled{follower}``: 1 while a follower is held at one event.

    Read from the store at each scrape, so any API instance tells it, wherever the worker runs.
    A family made at scrape time, not a Gauge: in multiprocess mode a Gauge writes a file per
    process, and the merge would show it once more per process that ever scraped.
    """

    def __init__(self, health: FollowerHealth) -> None:
        self._health = health

    def collect(self) -> Iterator[Metric]:
        try:
            stalled = {found.follower for found in self._health.stalled()}
        except Exception as error:  # the store is away: readiness says so; the rest scrapes
            log.warning("follower stalls not read", extra={"error": type(error).__name__})
            return
        gauge = GaugeMetricFamily(
            "tickets_follower_stalled",
            "1 while a worker follower fails on one event again and again (follower_stalled alert)",
            labels=["follower"],
        )
        for name in self._health.names():
            gauge.add_metric([name], 1 if name in stalled else 0)
        yield gauge

    def exposition(self) -> bytes:
        """This gauge in Prometheus' text format (appended to the counters)."""
        return _exposition(self)


def _exposition(collector: Collector) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry)


class BuildInfo(Collector):
    """``tickets_build_info{version, python}``, always 1: which release answers this target
    (``count by (version) (tickets_build_info)`` shows a rolling upgrade's progress)."""

    def __init__(self, version: str) -> None:
        self._version = version

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "tickets_build_info",
            "Always 1; its labels say which release and Python answer this scrape",
            labels=["version", "python"],
        )
        info.add_metric([self._version, platform.python_version()], 1)
        yield info


class Scrape:
    """What a scrape of /metrics answers: the counters, the build's info, and the gauges read
    from the database (the followers' stalls and lag).

    Those are read at most once per ``cache_seconds`` (and by one scrape at a time): every
    scraper, however many and however often, costs the database a few queries per interval.
    """

    def __init__(
        self,
        health: FollowerHealth,
        lag: FollowerLag | None,
        *,
        version: str,
        multiprocess_dir: str | None,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._health = health
        self._lag = lag
        self._build = _exposition(BuildInfo(version))  # the same for the process' life
        self._multiprocess_dir = multiprocess_dir
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._from_database = b""

    def __call__(self) -> bytes:
        return counted(self._multiprocess_dir) + self._build + self.from_database()

    def from_database(self) -> bytes:
        with self._lock:  # concurrent scrapes wait for the one read, then share it
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._cache_seconds:
                exposition = FollowerStalls(self._health).exposition()
                if self._lag is not None:
                    exposition += self._lag.exposition()
                self._from_database, self._read_at = exposition, now
            return self._from_database
