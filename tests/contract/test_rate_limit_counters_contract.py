"""Rate-limit Counters contract: in memory, in Redis and in a SQLite file, a count per key and
fixed window."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.rate_limiter import (
    KEY_PREFIX,
    Counters,
    MemoryCounters,
    RedisCounters,
    SqliteCounters,
)
from tests.integration.operations.test_rate_limits_redis import REDIS_URL, redis_or_skip
from tests.support.service import free_port

WINDOW_MS = 1000
SHORT_WINDOW_MS = 200  # for the tests that wait for a window to end


@pytest.fixture(
    params=[
        pytest.param("memory", marks=pytest.mark.unit),
        pytest.param("redis", marks=[pytest.mark.integration, pytest.mark.redis]),
        # Nothing listens there: the limiter falls back to memory and must keep the contract.
        pytest.param("redis-unreachable", marks=pytest.mark.integration),
        pytest.param("sqlite-file", marks=pytest.mark.unit),
    ]
)
def counters(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Counters]:
    made: Counters
    if request.param == "memory":
        made = MemoryCounters()
    elif request.param == "sqlite-file":
        made = SqliteCounters(str(tmp_path / "rate-limits.sqlite3"))
    elif request.param == "redis":
        redis_or_skip().close()
        made = RedisCounters(REDIS_URL)
    else:
        made = RedisCounters(f"redis://127.0.0.1:{free_port()}/0")
    yield made
    made.close()


@pytest.fixture
def key() -> str:
    # Unique per test: Redis is shared by every test and process on the machine.
    return f"{KEY_PREFIX}:contract:{uuid.uuid4().hex}"


def test_the_first_hit_of_a_window_counts_one(counters: Counters, key: str) -> None:
    hit = counters.hit(key, WINDOW_MS)

    assert hit.count == 1
    assert 0 < hit.reset_ms <= WINDOW_MS


def test_each_hit_in_the_window_counts_one_more(counters: Counters, key: str) -> None:
    assert [counters.hit(key, WINDOW_MS).count for _ in range(5)] == [1, 2, 3, 4, 5]


def test_the_window_is_fixed_by_its_first_hit(counters: Counters, key: str) -> None:
    first = counters.hit(key, WINDOW_MS)
    time.sleep(0.05)
    later = counters.hit(key, WINDOW_MS)

    # A later hit does not push the window's end back: the caller waits out the same minute.
    assert later.reset_ms < first.reset_ms


def test_each_key_has_its_own_count(counters: Counters, key: str) -> None:
    counters.hit(key, WINDOW_MS)
    counters.hit(key, WINDOW_MS)

    assert counters.hit(f"{key}:other", WINDOW_MS).count == 1
    assert counters.hit(key, WINDOW_MS).count == 3


def test_the_count_starts_again_when_the_window_ends(counters: Counters, key: str) -> None:
    for _ in range(3):
        counters.hit(key, SHORT_WINDOW_MS)
    time.sleep(SHORT_WINDOW_MS / 1000 + 0.1)

    hit = counters.hit(key, SHORT_WINDOW_MS)
    assert hit.count == 1
    assert 0 < hit.reset_ms <= SHORT_WINDOW_MS
