"""The FollowerStore port's contract, for the in-memory fake and SQLite and PostgreSQL tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.eventstore import migrate
from adapters.follower_store import MemoryFollowerStore, SqlFollowerStore
from adapters.store_config import StoreConfig

pytestmark = pytest.mark.integration

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "database"])
def jobs(
    request: pytest.FixtureRequest, database_url: str
) -> Iterator[MemoryFollowerStore | SqlFollowerStore]:
    if request.param == "memory":
        yield MemoryFollowerStore()
        return
    config = StoreConfig(url=database_url)
    migrate(config)
    migrate(config)  # twice: the migrate step is idempotent
    store = SqlFollowerStore(config)
    yield store
    store.close()


def test_positions_start_at_zero_and_move_with_their_jobs(jobs: MemoryFollowerStore) -> None:
    assert jobs.position("emails") == 0
    jobs.advance("emails", 7, [("a", {"n": "1"}), ("b", {"n": "2"})])
    jobs.advance("alerts", 3)

    assert (jobs.position("emails"), jobs.position("alerts")) == (7, 3)
    due = jobs.due("emails", NOW, 10)
    assert [(j.key, j.data, j.attempts) for j in due] == [
        ("a", {"n": "1"}, 0),
        ("b", {"n": "2"}, 0),
    ]
    assert jobs.due("alerts", NOW, 10) == []


def test_a_key_is_queued_once_even_after_it_is_done(jobs: MemoryFollowerStore) -> None:
    jobs.advance("emails", 1, [("a", {})])
    jobs.advance("emails", 2, [("a", {"again": "y"})])
    assert [j.key for j in jobs.due("emails", NOW, 10)] == ["a"]

    jobs.done("emails", "a")
    jobs.advance("emails", 3, [("a", {})])  # a replayed event

    assert jobs.due("emails", NOW, 10) == []
    assert jobs.pending_count("emails") == 0


def test_a_job_retried_later_counts_its_attempts_and_waits(jobs: MemoryFollowerStore) -> None:
    jobs.advance("emails", 1, [("a", {}), ("b", {})])
    jobs.retry_at("emails", "a", NOW + timedelta(seconds=30))

    assert [j.key for j in jobs.due("emails", NOW, 10)] == ["b"]
    due = jobs.due("emails", NOW + timedelta(seconds=30), 10)
    assert [(j.key, j.attempts) for j in due] == [("b", 0), ("a", 1)]
    assert jobs.due("emails", NOW, 1)[0].key == "b"  # the limit holds


def test_claims_are_exclusive_and_abandoned_ones_are_finished(jobs: MemoryFollowerStore) -> None:
    jobs.advance("alerts", 1, [("a", {}), ("b", {})])

    assert jobs.claim("alerts", "a") is True
    assert jobs.claim("alerts", "a") is False
    assert [j.key for j in jobs.due("alerts", NOW, 10)] == ["b"]
    assert jobs.abandon_claimed("alerts") == ["a"]
    assert jobs.abandon_claimed("alerts") == []
    assert jobs.pending_count("alerts") == 1
