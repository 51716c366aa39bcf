"""When a worker that died is started again, and the alert that says it keeps dying.

A worker that dies (killed, out of memory, a bug at start-up) leaves emails, alert deliveries
and read models waiting, however healthy the API looks. Whatever runs it starts it again at
once the first time, then after a pause that doubles with each death in a row (a worker that
dies at start-up must not spin), and raises one ``worker_restarting`` alert when it has died
``alert_after`` times in a row. A worker that ran for ``steady_after`` seconds had not been
dying: its next death starts a new run of deaths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from application.alerts.alerts import new_alert
from domain.alert import Alert, AlertKind, Severity
from domain.shared import SYSTEM


@dataclass
class Restarts:
    first_pause: float = 1.0
    max_pause: float = 60.0
    steady_after: float = 60.0
    alert_after: int = 3
    deaths: int = 0  # in a row
    since: datetime = field(default_factory=lambda: datetime.now(UTC))  # this run's first

    def died(self, ran_seconds: float) -> float:
        """Notes a death after ``ran_seconds`` of running; returns the pause before the next
        start."""
        if ran_seconds >= self.steady_after:
            self.deaths = 0
        if self.deaths == 0:
            self.since = datetime.now(UTC)
        self.deaths += 1
        pause: float = self.first_pause * 2.0 ** (self.deaths - 1)
        return min(self.max_pause, pause)

    @property
    def keeps_dying(self) -> bool:
        """True at the death that calls for the alert (once per run of deaths)."""
        return self.deaths == self.alert_after

    def alert(self, worker: str, last_exit: str, pause: float) -> Alert:
        """The ``worker_restarting`` alert of this run of deaths (keyed: raised once)."""
        return new_alert(
            AlertKind.WORKER_RESTARTING,
            f"{worker} has died {self.deaths} times in a row (last: {last_exit}); it is started"
            f" again with a growing pause, next in {pause:g} s. Until it stays up, ticket emails,"
            " alert deliveries and read models wait",
            subject=worker,
            key=f"{worker}@{self.since.isoformat()}",
            cause=SYSTEM,
            severity=Severity.CRITICAL,
        )
