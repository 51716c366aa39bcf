"""Delivering admin alerts to their channels (email, chat webhook): at most once each."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from application.alerts.alerts import notice_of
from application.alerts.ports import AlertChannel
from application.clock import Clock
from application.store import TicketStore
from application.worker.ports import FollowerStore, Job
from domain.alert import Alert

log = logging.getLogger(__name__)


class AlertChannels:
    """The follower of raised alerts: one job per alert and channel, claimed before it is sent.

    Claiming first makes delivery at most once: a job a crashed worker had claimed is dropped
    (and logged) rather than sent twice. A failed delivery is retried a few times, later, and
    never holds anything else back: fulfilment only records the alert.
    """

    name = "alert-delivery"  # keys its stored position and jobs: pinned
    topics: tuple[str, ...] = (Alert.Raised.TOPIC,)

    def __init__(
        self,
        store: TicketStore,
        follower_store: FollowerStore,
        channels: Sequence[AlertChannel],
        clock: Clock,
        *,
        max_attempts: int = 5,
        first_retry_seconds: float = 10.0,
        batch_size: int = 20,
    ) -> None:
        self._store = store
        self._follower_store = follower_store
        self._channels = {channel.name: channel for channel in channels}
        self._clock = clock
        self._max_attempts = max_attempts
        self._first_retry = first_retry_seconds
        self._batch_size = batch_size

    def position(self) -> int:
        return self._follower_store.position(self.name)

    def handle(self, notification: Notification, event: Any) -> None:
        alert_id = str(event.originator_id)
        jobs = [
            (f"{alert_id}:{channel}", {"alert_id": alert_id, "channel": channel})
            for channel in self._channels
        ]
        self._follower_store.advance(self.name, notification.id, jobs)

    def recover(self) -> None:
        for key in self._follower_store.abandon_claimed(self.name):
            log.warning("alert delivery interrupted, not repeated", extra={"job": key})

    def run_due(self, stopping: Callable[[], bool] = lambda: False) -> bool:
        due = self._follower_store.due(self.name, self._clock.now(), self._batch_size)
        for job in due:
            if stopping():
                return False  # asked to stop: the one at hand is done, the rest wait
            self._deliver(job)
        return len(due) == self._batch_size

    def _deliver(self, job: Job) -> None:
        channel = self._channels.get(job.data["channel"])
        alert = self._store.find(Alert, UUID(job.data["alert_id"]))
        if channel is None or alert is None:
            self._follower_store.done(self.name, job.key)  # a channel no longer configured
            return
        if not self._follower_store.claim(self.name, job.key):
            return
        try:
            channel.deliver(notice_of(alert))
        except Exception as error:  # every failure of a channel is retried, a few times
            failures = job.attempts + 1
            extra = {"job": job.key, "error": type(error).__name__, "failures": failures}
            if failures >= self._max_attempts:
                log.error("alert not delivered; giving up", extra=extra)
                self._follower_store.done(self.name, job.key)
            else:
                log.warning("alert not delivered; will retry", extra=extra)
                delay = timedelta(seconds=self._first_retry * 2 ** (failures - 1))
                self._follower_store.retry_at(self.name, job.key, self._clock.now() + delay)
            return
        self._follower_store.done(self.name, job.key)
        log.info("alert delivered", extra={"job": job.key, "channel": channel.name})
