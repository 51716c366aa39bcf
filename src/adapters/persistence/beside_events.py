"""What the service keeps beside its events: the read models (scan index, alert list), the
followers' positions and jobs, devices' last-seen times and rendered PDFs.

The one place that chooses where: the event store's own database (SQLite or PostgreSQL
tables, made by the migrations), or memory for the in-memory store of tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.persistence.alert_list import MemoryAlertList, SqlAlertList
from adapters.persistence.device_activity import MemoryDeviceActivity, SqlDeviceActivity
from adapters.persistence.follower_store import MemoryFollowerStore, SqlFollowerStore
from adapters.persistence.pdf_cache import MemoryPdfCache, SqlPdfCache
from adapters.persistence.scan_index import MemoryScanIndex
from adapters.persistence.scan_index_sql import SqlScanIndex
from adapters.persistence.store_config import StoreConfig


@dataclass(frozen=True)
class BesideEvents:
    scan_index: SqlScanIndex | MemoryScanIndex
    alert_list: SqlAlertList | MemoryAlertList
    follower_store: SqlFollowerStore | MemoryFollowerStore
    device_activity: SqlDeviceActivity | MemoryDeviceActivity
    pdf_cache: SqlPdfCache | MemoryPdfCache


def open_beside_events(config: StoreConfig) -> BesideEvents:
    if config.is_postgres or config.url.startswith("sqlite"):
        return BesideEvents(
            SqlScanIndex(config),
            SqlAlertList(config),
            SqlFollowerStore(config),
            SqlDeviceActivity(config),
            SqlPdfCache(config),
        )
    return BesideEvents(
        MemoryScanIndex(),
        MemoryAlertList(),
        MemoryFollowerStore(),
        MemoryDeviceActivity(),
        MemoryPdfCache(),
    )
