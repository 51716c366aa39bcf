"""The worker: log order, topics, batches, backoff for a failing follower, locks, stopping."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from eventsourcing.persistence import Notification

from adapters.persistence.store_config import StoreConfig
from application.alerts.alerts import Alerts, new_alert
from application.errors import StoreUnavailable
from application.store import TicketStore
from application.worker.loop import Worker
from application.worker.stalls import FollowerHealth, Stalled
from domain.alert import Alert, AlertKind, Severity
from domain.shared import SYSTEM

pytestmark = pytest.mark.unit

RAISED = Alert.Raised.TOPIC


def store_with_alerts(count: int) -> TicketStore:
    store = TicketStore(env=StoreConfig(url="memory://").env(create_table=True))
    for n in range(count):
        store.save(new_alert(AlertKind.UNKNOWN_ORDER, f"alert {n}", cause=SYSTEM))
    return store


@dataclass
class Recorder:
    """A follower keeping what it was handed; fails while ``failures`` is above zero."""

    name: str
    topics: tuple[str, ...] = ()
    seen: list[tuple[int, str]] = field(default_factory=list)
    failures: int = 0
    at: int = 0

    def position(self) -> int:
        return self.at

    def handle(self, notification: Notification, event: Any) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("the follower's store is down")
        self.seen.append((notification.id, type(event).__name__))
        self.at = notification.id


@dataclass
class Unreachable(Recorder):
    """A follower whose database does not answer while ``failures`` is above zero."""

    def handle(self, notification: Notification, event: Any) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise StoreUnavailable("the database did not answer within 2.25 s")
        super().handle(notification, event)


@dataclass
class Queue(Recorder):
    recovered: int = 0
    due: list[str] = field(default_factory=list)

    def recover(self) -> None:
        self.recovered += 1

    def run_due(self, stopping: Callable[[], bool]) -> bool:
        while self.due and not stopping():
            self.due.pop(0)
            self.after_each()
        return bool(self.due)

    def after_each(self) -> None:
        return None


class NoWakeup:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        time.sleep(min(timeout, 0.01))
        return False

    def close(self) -> None:
        return None


@dataclass
class Locks:
    others: set[str] = field(default_factory=set)
    released: int = 0

    def try_acquire(self, follower: str) -> bool:
        return follower not in self.others

    def release_all(self) -> None:
        self.released += 1


@dataclass
class Ticking:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def worker(store: TicketStore, *followers: Any, **options: Any) -> Worker:
    options.setdefault("wakeup", NoWakeup())
    options.setdefault("locks", Locks())
    return Worker(store, followers, **options)


def test_each_follower_gets_its_topics_in_log_order_in_batches() -> None:
    store = store_with_alerts(5)
    everything = Recorder("everything")
    alerts = Recorder("alerts", topics=(RAISED,))
    nothing = Recorder("nothing", topics=("tickets:Nothing.Happened",))
    w = worker(store, everything, alerts, nothing, batch_size=2)

    assert w.run_once() is True  # a full batch: more is waiting
    assert [n for n, _ in alerts.seen] == [1, 2]
    while w.run_once():
        pass

    assert [n for n, _ in everything.seen] == [1, 2, 3, 4, 5]
    assert alerts.seen == [(n, "Raised") for n in range(1, 6)]
    assert nothing.seen == []


@dataclass
class Pages(Recorder):
    """A follower taking pages whole (like a read model): all of a page or none of it."""

    pages: list[list[int]] = field(default_factory=list)
    broken_at: int | None = None  # the notification no page, and no single call, gets past

    def handle_page(self, page: list[tuple[Notification, Any]]) -> None:
        ids = [n.id for n, _ in page]
        if self.broken_at in ids:
            raise RuntimeError("this event does not apply")
        self.pages.append(ids)
        self.seen += [(n.id, type(e).__name__) for n, e in page]
        self.at = ids[-1]

    def handle(self, notification: Notification, event: Any) -> None:
        if notification.id == self.broken_at:
            raise RuntimeError("this event does not apply")
        super().handle(notification, event)


def test_a_page_follower_takes_each_batch_in_one_call() -> None:
    store = store_with_alerts(5)
    pages = Pages("read-model")
    w = worker(store, pages, batch_size=2)
    while w.run_once():
        pass

    assert pages.pages == [[1, 2], [3, 4]]  # the lone last one: handled on its own
    assert [n for n, _ in pages.seen] == [1, 2, 3, 4, 5]


def test_a_page_that_fails_goes_one_by_one_so_the_failing_event_is_the_one_backed_off() -> None:
    store = store_with_alerts(4)
    pages = Pages("read-model", broken_at=3)
    clock = Ticking()
    alerts = Alerts(store, RecordingSink())
    w = worker(store, pages, batch_size=4, monotonic=clock, alerts=alerts, stall_after=2)

    w.run_once()
    assert pages.pages == []
    assert [n for n, _ in pages.seen] == [1, 2]  # those before it kept, one by one
    assert pages.at == 2
    clock.now += 3600
    w.run_once()  # the page from 3 fails again: 3 is the event that stalls
    [alert] = stall_alerts(store)
    assert "notification 3" in alert.message


def test_a_failing_follower_backs_off_exponentially_and_the_others_go_on() -> None:
    store = store_with_alerts(3)
    clock = Ticking()
    broken = Recorder("broken", failures=3)
    healthy = Recorder("healthy")
    w = worker(store, broken, healthy, monotonic=clock, first_backoff_seconds=1)

    w.run_once()
    assert len(healthy.seen) == 3 and broken.seen == []
    w.run_once()  # within its 1 s backoff: not tried
    assert broken.failures == 2
    clock.now += 1
    w.run_once()  # tried, fails again: now 2 s
    assert broken.failures == 1
    clock.now += 1.5
    w.run_once()
    assert broken.failures == 1
    clock.now += 0.5
    w.run_once()  # fails a third time: 4 s
    clock.now += 4
    w.run_once()
    assert [n for n, _ in broken.seen] == [1, 2, 3]


def test_a_follower_another_worker_holds_is_skipped_and_taken_over_later() -> None:
    store = store_with_alerts(2)
    locks = Locks(others={"emails"})
    emails = Queue("emails")
    w = worker(store, emails, locks=locks)

    w.run_once()
    assert emails.seen == [] and emails.recovered == 0

    locks.others.clear()  # the other worker died: its lock went with its session
    w.run_once()
    w.run_once()
    assert len(emails.seen) == 2
    assert emails.recovered == 1  # once, when it took the follower over


def test_queued_work_is_done_in_one_pass_when_nothing_stops_it() -> None:
    store = store_with_alerts(0)
    queue = Queue("emails", due=["a", "b", "c"])
    w = worker(store, queue)

    assert w.run_once() is False
    assert queue.due == []


def test_asked_to_stop_it_finishes_the_job_at_hand_and_leaves_the_rest_queued() -> None:
    store = store_with_alerts(0)
    stop = threading.Event()
    queue = Queue("emails", due=["a", "b", "c"])
    queue.after_each = stop.set  # type: ignore[method-assign]  # the signal comes mid-job
    w = worker(store, queue)

    w.run(stop)

    assert queue.due == ["b", "c"]


def test_asked_to_stop_mid_batch_it_hands_no_further_event_to_its_followers() -> None:
    store = store_with_alerts(5)
    stop = threading.Event()

    class Stopping(Recorder):
        def handle(self, notification: Notification, event: Any) -> None:
            super().handle(notification, event)
            if notification.id == 2:
                stop.set()

    follower = Stopping("f")
    worker(store, follower).run(stop)

    assert [n for n, _ in follower.seen] == [1, 2]
    assert follower.position() == 2  # where the next worker picks up


def test_a_database_outage_is_logged_when_it_starts_and_ends_not_at_each_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = store_with_alerts(1)
    clock = Ticking()

    follower = Unreachable("f", failures=20)
    w = worker(store, follower, monotonic=clock, max_outage_backoff_seconds=2)

    with caplog.at_level(logging.INFO, logger="application.worker.loop"):
        for _ in range(40):
            w.run_once()
            clock.now += 2  # retried at least every 2 s, however long the outage
    messages = [r.getMessage() for r in caplog.records]

    assert follower.seen == [(1, "Raised")]
    assert [m for m in messages if "event store" in m] == [
        "event store unavailable: the worker retries quietly until it answers",
        "event store available again: the worker goes on",
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_outage_ends_when_a_whole_pass_meets_none_not_when_one_follower_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = store_with_alerts(1)
    clock = Ticking()

    # Each follower's connections are its own: one is back while the other still fails.
    first, second = Unreachable("first", failures=2), Unreachable("second", failures=4)
    w = worker(store, first, second, monotonic=clock, max_outage_backoff_seconds=1)

    with caplog.at_level(logging.INFO, logger="application.worker.loop"):
        for _ in range(10):
            w.run_once()
            clock.now += 1
    messages = [r.getMessage() for r in caplog.records if "event store" in r.getMessage()]

    assert second.seen == [(1, "Raised")]
    assert messages == [
        "event store unavailable: the worker retries quietly until it answers",
        "event store available again: the worker goes on",
    ]


def test_run_stops_promptly_on_its_event_and_lets_go_of_its_locks() -> None:
    store = store_with_alerts(1)
    locks = Locks()
    closed: list[bool] = []
    follower = Recorder("f")
    w = worker(store, follower, locks=locks, poll_seconds=30, on_stop=[lambda: closed.append(True)])
    stop = threading.Event()
    thread = threading.Thread(target=w.run, args=(stop,))
    thread.start()
    time.sleep(0.2)

    started = time.monotonic()
    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert time.monotonic() - started < 1  # not the 30 s poll
    assert follower.seen == [(1, "Raised")]
    assert locks.released == 1 and closed == [True]


# --- A follower stalled on one event ------------------------------------------------------------


def stall_alerts(store: TicketStore) -> list[Alert.Raised]:
    raised = [store.decode(n) for n in store.notifications(topics=(RAISED,))]
    return [e for e in raised if e.kind is AlertKind.FOLLOWER_STALLED]


def fail_times(w: Worker, clock: Ticking, times: int) -> None:
    """Lets the worker try the failing follower ``times`` times, past each backoff."""
    for _ in range(times):
        w.run_once()
        clock.now += 3600


def test_a_follower_failing_on_one_event_raises_one_stall_alert_and_keeps_retrying() -> None:
    store = store_with_alerts(3)
    clock = Ticking()
    stuck = Recorder("scan-index", failures=1000)
    alerts = Alerts(store, RecordingSink())
    w = worker(store, stuck, monotonic=clock, alerts=alerts, stall_after=5)

    fail_times(w, clock, 4)
    assert stall_alerts(store) == []
    fail_times(w, clock, 1)

    [alert] = stall_alerts(store)
    assert alert.subject == "scan-index"
    assert alert.severity is Severity.CRITICAL
    assert "notification 1" in alert.message
    assert "RuntimeError: the follower's store is down" in alert.message
    assert alerts_announced(alerts) == ["follower_stalled"]

    fail_times(w, clock, 20)  # still tried (with backoff), never alerted twice
    assert stuck.failures == 1000 - 25
    assert len(stall_alerts(store)) == 1
    health = FollowerHealth(store, [stuck])
    assert health.stalled() == [Stalled("scan-index", 0, 1)]

    stuck.failures = 0
    w.run_once()  # the event finally passes: the follower moves on, no longer stalled
    assert [n for n, _ in stuck.seen][:1] == [1]
    assert health.stalled() == []


def test_failures_on_different_events_or_outside_one_are_not_a_stall() -> None:
    store = store_with_alerts(6)
    clock = Ticking()
    flaky = Recorder("flaky")
    w = worker(store, flaky, monotonic=clock, alerts=Alerts(store, RecordingSink()), stall_after=3)

    for _ in range(6):  # fails twice on each event, then passes it
        flaky.failures = 2
        fail_times(w, clock, 3)

    assert [n for n, _ in flaky.seen] == list(range(1, 7))
    assert stall_alerts(store) == []


def test_a_stall_alert_the_store_cannot_take_is_raised_at_the_next_failure() -> None:
    store = store_with_alerts(1)
    clock = Ticking()
    stuck = Recorder("emails", failures=1000)
    sink = RecordingSink()
    w = worker(store, stuck, monotonic=clock, alerts=BrokenOnce(store, sink), stall_after=2)

    fail_times(w, clock, 2)  # the alert's save fails with the store
    assert stall_alerts(store) == []
    fail_times(w, clock, 1)

    assert len(stall_alerts(store)) == 1


class RecordingSink:
    def __init__(self) -> None:
        self.notices: list[Any] = []

    name = "recording"

    def deliver(self, notice: Any) -> None:
        self.notices.append(notice)


def alerts_announced(alerts: Alerts) -> list[str]:
    sink = alerts._at_once  # the test's own sink
    assert isinstance(sink, RecordingSink)
    return [notice.kind for notice in sink.notices]


class BrokenOnce(Alerts):
    def __init__(self, store: TicketStore, sink: RecordingSink) -> None:
        super().__init__(store, sink)
        self.broken = True

    def raise_now(self, alert: Alert) -> None:
        if self.broken:
            self.broken = False
            raise ConnectionError("the store went away")
        super().raise_now(alert)
