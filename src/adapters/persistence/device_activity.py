"""When each door device was last seen: one small table beside the events (made by migration
3, ``adapters.persistence.migrations``), or memory."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import UUID

from adapters.persistence.sql_tables import SqlTables
from adapters.persistence.store_config import StoreConfig

# A later time wins: two processes writing out of order never move it back.
_UPSERT = (
    "INSERT INTO {seen} (device_id, last_seen) VALUES (?, ?) ON CONFLICT (device_id)"
    " DO UPDATE SET last_seen = excluded.last_seen WHERE excluded.last_seen > {seen}.last_seen"
)
_SELECT = "SELECT device_id, last_seen FROM {seen}"


class SqlDeviceActivity:
    """Writes are rare: at most one per device per half minute."""

    def __init__(self, config: StoreConfig) -> None:
        self._tables = SqlTables(config, {"seen": "device_last_seen"}, pool_name="device-activity")

    def seen(self, device_id: UUID, at: datetime) -> None:
        with self._tables.transaction(write=True) as run:
            run(_UPSERT, (str(device_id), at.timestamp()))

    def last_seen(self) -> dict[UUID, datetime]:
        with self._tables.transaction() as run:
            rows = run(_SELECT)
        return {UUID(d): datetime.fromtimestamp(float(t), UTC) for d, t in rows}

    def close(self) -> None:
        self._tables.close()


class MemoryDeviceActivity:
    def __init__(self) -> None:
        self._seen: dict[UUID, datetime] = {}
        self._lock = threading.Lock()

    def seen(self, device_id: UUID, at: datetime) -> None:
        with self._lock:
            if device_id not in self._seen or at > self._seen[device_id]:
                self._seen[device_id] = at

    def last_seen(self) -> dict[UUID, datetime]:
        with self._lock:
            return dict(self._seen)

    def close(self) -> None:
        return None
