"""Periods by code and id: read from the event store once, then kept (a period never changes)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.persistence.store_config import StoreConfig
from application.errors import NotFound
from application.periods import Periods
from application.store import TicketStore
from tests.fakes import ADMIN_CAUSE, period_fields

pytestmark = pytest.mark.unit


class CountingStore(TicketStore):
    """The in-memory store, counting aggregate reads."""

    reads = 0

    def find(self, cls: Any, aggregate_id: Any) -> Any:
        self.reads += 1
        return super().find(cls, aggregate_id)


def store() -> CountingStore:
    return CountingStore(StoreConfig(url="memory://").env(create_table=True))


def test_a_period_found_once_is_not_read_again_by_code_or_by_id() -> None:
    periods = Periods(s := store())
    scheduled = periods.schedule(**period_fields(code="2026-fall", cause=ADMIN_CAUSE))
    found = periods.by_code("2026-fall")
    reads = s.reads
    assert periods.by_code("2026-fall") is found
    assert periods.get(scheduled.id) is found
    assert s.reads == reads
    assert (found.code, found.tracks) == (scheduled.code, scheduled.tracks)


def test_an_unknown_code_is_not_kept_it_may_be_scheduled_next() -> None:
    periods = Periods(store())
    with pytest.raises(NotFound):
        periods.by_code("2027-spring")
    periods.schedule(**period_fields(code="2027-spring", cause=ADMIN_CAUSE))
    assert periods.by_code("2027-spring").code == "2027-spring"


def test_a_period_by_id_is_read_from_the_store_the_first_time() -> None:
    periods = Periods(s := store())
    scheduled = periods.schedule(**period_fields(code="2026-fall", cause=ADMIN_CAUSE))
    assert periods.get(scheduled.id).code == "2026-fall"
    assert s.reads == 1
