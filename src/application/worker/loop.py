"""The worker: drives every follower along the event log, each at its own pace and position."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import structlog
from eventsourcing.persistence import Notification

from application.alerts.alerts import Alerts
from application.store import TicketStore, is_outage
from application.worker.following import Follower, PageFollower
from application.worker.ports import FollowerLocks, Wakeup
from application.worker.stalls import STALL_AFTER_FAILURES, describe, stall_alert

log = logging.getLogger(__name__)


@runtime_checkable
class QueueFollower(Protocol):
    """A follower with work queued apart from the log (emails to retry...), run every pass."""

    def recover(self) -> None:
        """Called once when this worker takes the follower over (after another one's crash)."""
        ...

    def run_due(self, stopping: Callable[[], bool]) -> bool:
        """Runs the jobs whose time has come, one by one until ``stopping()`` says the worker
        is asked to stop (the job at hand is finished first); True if more are due now."""
        ...


@dataclass
class _Backoff:
    failures: int = 0
    not_before: float = 0.0
    at: int | None = None  # the notification that failed (None: not while handling one)
    alerted: bool = False  # follower_stalled raised for this run of failures


class Worker:
    """Hands each follower the notifications after its position, in log order, in batches.

    A follower that fails is retried with exponential backoff while the others go on; one that
    fails ``stall_after`` times on the same event raises one ``follower_stalled`` alert (see
    application.worker.stalls) and keeps being retried. One that another worker holds (its lock) is
    skipped. Between passes the worker sleeps until the store
    says something was recorded (PostgreSQL NOTIFY) or the poll interval ends.
    """

    def __init__(
        self,
        store: TicketStore,
        followers: Sequence[Follower],
        *,
        wakeup: Wakeup,
        locks: FollowerLocks,
        batch_size: int = 100,
        poll_seconds: float = 0.5,
        first_backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 60.0,
        max_outage_backoff_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        on_stop: Sequence[Callable[[], None]] = (),
        alerts: Alerts | None = None,
        stall_after: int = STALL_AFTER_FAILURES,
    ) -> None:
        self._store = store
        self._followers = tuple(followers)
        self._wakeup = wakeup
        self._locks = locks
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._first_backoff = first_backoff_seconds
        self._max_backoff = max_backoff_seconds
        # A database outage is retried often (it may end any second) but logged only when it
        # starts and ends, however many attempts it takes.
        self._max_outage_backoff = max_outage_backoff_seconds
        self._outage = False
        self._down: set[str] = set()  # the followers the outage stopped, until each answers
        self._monotonic = monotonic
        self._backoff = {f.name: _Backoff() for f in self._followers}
        self._taken: set[str] = set()
        self._on_stop = tuple(on_stop)
        self._stop = threading.Event()  # run()'s: what handlers check between two items
        self._alerts = alerts
        self._stall_after = stall_after
        self._handling: dict[str, int] = {}  # follower -> the notification it is handling
        self._context: dict[str, Any] = {}  # the event at hand, for the log of its failure

    @property
    def followers(self) -> tuple[Follower, ...]:
        return self._followers

    def run(self, stop: threading.Event) -> None:
        """Runs until ``stop`` is set; then returns within about a poll interval."""
        log.info("worker started", extra={"followers": [f.name for f in self._followers]})
        self._stop = stop
        try:
            while not stop.is_set():
                if self.run_once():
                    continue  # a full batch: more is waiting, no need to sleep
                self._sleep(stop)
        finally:
            self.close()
            log.info("worker stopped")

    def close(self) -> None:
        """Lets go of the followers (their locks) and of the connections it holds."""
        self._locks.release_all()
        self._wakeup.close()
        for close in self._on_stop:
            close()

    def run_once(self) -> bool:
        """One pass over every follower; True if some follower has more to do right now."""
        busy = False
        for follower in self._followers:
            if self._stop.is_set():
                return False
            backoff = self._backoff[follower.name]
            if self._monotonic() < backoff.not_before:
                continue
            if not self._locks.try_acquire(follower.name):
                self._taken.discard(follower.name)
                continue  # another worker runs it
            try:
                busy |= self._step(follower)
            except Exception as error:  # any failure: this follower waits, the others go on
                self._failed(follower, backoff, error, self._handling.pop(follower.name, None))
            else:
                backoff.failures, backoff.at, backoff.alerted = 0, None, False
                self._down.discard(follower.name)
                # Over when every follower the outage stopped has answered again: followers
                # use pools of their own, and one answering while another's still failed fast
                # (its breaker) was logged as the outage ending and starting again.
                if self._outage and not self._down:
                    self._outage = False
                    log.info("event store available again: the worker goes on")
        return busy

    def _step(self, follower: Follower) -> bool:
        if follower.name not in self._taken:
            if isinstance(follower, QueueFollower):
                follower.recover()
            self._taken.add(follower.name)
        notifications = self._store.recorder.select_notifications(
            start=follower.position() + 1, limit=self._batch_size, topics=follower.topics
        )
        if not (isinstance(follower, PageFollower) and self._page(follower, notifications)):
            self._one_by_one(follower, notifications)
        more = len(notifications) == self._batch_size
        if isinstance(follower, QueueFollower):
            more |= follower.run_due(self._stop.is_set)
        return more

    def _page(self, follower: PageFollower, notifications: Sequence[Notification]) -> bool:
        """The page in one go (a read model: one transaction, not one per event); False if
        any of it failed, and nothing of it was kept: then it goes one by one, so that the
        failing event is the one logged, backed off and alerted on."""
        if len(notifications) < 2:
            return False
        try:
            follower.handle_page([(n, self._store.decode(n)) for n in notifications])
        except Exception:  # the event at fault is found again below, one by one
            return False
        return True

    def _one_by_one(self, follower: Follower, notifications: Sequence[Notification]) -> None:
        for notification in notifications:
            if self._stop.is_set():
                return  # each handled event recorded its position: nothing to flush
            self._handling[follower.name] = notification.id
            event = self._store.decode(notification)
            self._context = event_context(notification, event)
            # Every line a follower logs for this event says which event and which request.
            with structlog.contextvars.bound_contextvars(**self._context):
                follower.handle(notification, event)
        self._handling.pop(follower.name, None)
        self._context = {}

    def _failed(
        self, follower: Follower, backoff: _Backoff, error: Exception, at: int | None
    ) -> None:
        if at != backoff.at:  # another event (or none): a new run of failures
            backoff.failures, backoff.at, backoff.alerted = 0, at, False
        backoff.failures += 1
        outage = is_outage(error)
        ceiling = self._max_outage_backoff if outage else self._max_backoff
        delay = min(ceiling, self._first_backoff * 2 ** (backoff.failures - 1))
        backoff.not_before = self._monotonic() + delay
        context, self._context = self._context, {}
        if outage:
            self._down.add(follower.name)
            if not self._outage:
                self._outage = True
                log.warning(
                    "event store unavailable: the worker retries quietly until it answers",
                    extra={"follower": follower.name, "error": type(error).__name__},
                )
            return
        # With the failing event's ids (its request id...): in the log and in Sentry's tags.
        with structlog.contextvars.bound_contextvars(**context):
            log.error(
                "follower failed",
                exc_info=error,
                extra={
                    "follower": follower.name,
                    "error": type(error).__name__,
                    "failures": backoff.failures,
                    "retry_in_seconds": delay,
                    "notification_id": at,
                },
            )
        if at is not None and backoff.failures >= self._stall_after and not backoff.alerted:
            backoff.alerted = self._raise_stalled(follower, at, backoff.failures, error)

    def _raise_stalled(self, follower: Follower, at: int, failures: int, error: Exception) -> bool:
        """Raises the follower's stall alert (once: it is keyed); True when it is recorded."""
        log.error(
            "follower stalled",
            extra={"follower": follower.name, "notification_id": at, "failures": failures},
        )
        if self._alerts is None:
            return True
        try:
            position = follower.position()
            self._alerts.raise_now(
                stall_alert(follower.name, position, at, failures, describe(error))
            )
        except Exception as failure:  # the store may be what fails: try again next time
            log.warning(
                "follower stall alert not recorded",
                extra={"follower": follower.name, "error": type(failure).__name__},
            )
            return False
        return True

    def _sleep(self, stop: threading.Event) -> None:
        # Short slices, so a stop request is seen quickly whatever the wake-up is.
        deadline = self._monotonic() + self._poll_seconds
        while not stop.is_set():
            left = deadline - self._monotonic()
            if left <= 0:
                return
            if self._wakeup.wait(min(left, 0.25)):
                return  # something was recorded: look at the log now


def event_context(notification: Notification, event: Any) -> dict[str, Any]:
    """What the log says about an event being handled: which one, and the request behind it."""
    fields: dict[str, Any] = {
        "notification_id": notification.id,
        "event_type": notification.topic.removeprefix("tickets:"),
        "aggregate_id": str(getattr(event, "originator_id", "")),
    }
    cause = getattr(event, "cause", None)
    if cause is not None:
        fields["actor"] = cause.actor
        if getattr(cause, "request_id", None):
            fields["request_id"] = cause.request_id
        if cause.reference and cause.reference != fields.get("request_id"):
            fields["reference"] = cause.reference  # a Stripe event id
    return fields
