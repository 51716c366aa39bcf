"""Bodies of the health routes."""

from __future__ import annotations

from typing import Literal

from application.worker.stalls import Stalled
from entrypoints.http.schemas import (
    Out,
)


class HealthOut(Out):
    status: Literal["ok", "ready"]


class StalledFollowerOut(Out):
    """A worker follower held at one event by repeated failures (a follower_stalled alert)."""

    follower: str
    position: int
    notification_id: int | None

    @classmethod
    def of(cls, stalled: Stalled) -> StalledFollowerOut:
        return cls(stalled.follower, stalled.position, stalled.notification_id)


class ReadyOut(Out):
    status: Literal["ready"]
    stalled_followers: list[StalledFollowerOut]
