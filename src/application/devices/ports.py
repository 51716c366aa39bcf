"""The devices' port: when each door device was last seen."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class DeviceActivity(Protocol):
    """When each door device was last seen: not an event (a scan a second would flood the log)."""

    def seen(self, device_id: UUID, at: datetime) -> None:
        """Records that the device made a request at ``at`` (a later time wins)."""
        ...

    def last_seen(self) -> dict[UUID, datetime]:
        """The last time each device was seen."""
        ...

    def close(self) -> None: ...
