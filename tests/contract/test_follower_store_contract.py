"""The FollowerStore port's contract: the in-memory fake, and the tables on SQLite and PostgreSQL.

One store holds every follower's position (the senders' and the read models') and the jobs
the senders queued: each follower's are its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.persistence.eventstore import migrate
from adapters.persistence.follower_store import MemoryFollowerStore, SqlFollowerStore
from tests.support.databases import STORES, migrated

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=STORES)
def jobs(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[MemoryFollowerStore | SqlFollowerStore]:
    if request.param == "memory":
        yield MemoryFollowerStore()
        return
    with migrated(request.param, tmp_path) as config:
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


def test_each_follower_has_its_own_position_and_jobs(jobs: MemoryFollowerStore) -> None:
    jobs.advance("ticket-emails", 5, [("k", {"to": "a"})])
    jobs.advance("alert-deliveries", 2, [("k", {"to": "b"})])
    jobs.advance("scan-index", 9)  # a read model's position, no jobs

    assert [jobs.position(f) for f in ("ticket-emails", "alert-deliveries", "scan-index")] == [
        5,
        2,
        9,
    ]
    assert [j.data for j in jobs.due("ticket-emails", NOW, 10)] == [{"to": "a"}]
    jobs.done("alert-deliveries", "k")
    assert jobs.pending_count("ticket-emails") == 1
    assert jobs.pending_count("alert-deliveries") == 0
    assert jobs.due("scan-index", NOW, 10) == []


def test_jobs_come_due_in_the_order_their_events_were_logged(jobs: MemoryFollowerStore) -> None:
    jobs.advance("ticket-emails", 4, [("z", {})])
    jobs.advance("ticket-emails", 6, [("a", {}), ("m", {})])

    assert [j.key for j in jobs.due("ticket-emails", NOW, 10)] == ["z", "a", "m"]


def test_a_done_or_claimed_job_is_not_due_and_retrying_a_done_one_changes_nothing(
    jobs: MemoryFollowerStore,
) -> None:
    jobs.advance("ticket-emails", 1, [("a", {}), ("b", {})])
    jobs.done("ticket-emails", "a")
    assert jobs.claim("ticket-emails", "a") is False
    jobs.retry_at("ticket-emails", "a", NOW)
    assert jobs.claim("ticket-emails", "b") is True

    assert jobs.due("ticket-emails", NOW, 10) == []
    jobs.retry_at("ticket-emails", "b", NOW)  # a claimed job that failed: due again
    assert [(j.key, j.attempts) for j in jobs.due("ticket-emails", NOW, 10)] == [("b", 1)]


def test_several_jobs_are_done_at_once_and_only_those(jobs: MemoryFollowerStore) -> None:
    jobs.advance("emails", 1, [("a", {}), ("b", {}), ("c", {})])
    jobs.advance("alerts", 2, [("a", {})])

    jobs.done("emails", "a", "c")
    jobs.done("emails")  # nothing handled: nothing written

    assert [j.key for j in jobs.due("emails", NOW, 10)] == ["b"]
    assert [j.key for j in jobs.due("alerts", NOW, 10)] == ["a"]  # another follower's key
