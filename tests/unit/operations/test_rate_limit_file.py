"""Rate-limit counters in a SQLite file: one count for every process of a server."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.rate_limiter import (
    MemoryCounters,
    RateLimitConfig,
    RateLimiter,
    RedisCounters,
    SqliteCounters,
    open_rate_limiter,
)
from entrypoints.settings import Settings
from tests.support.fakes import SETTINGS_ENV

pytestmark = pytest.mark.unit

KEY = "tickets:ratelimit:ticket:abc"
WINDOW_MS = 60_000


@dataclass
class WallClock:
    """Seconds since the epoch, moved by the test (the file's windows are wall-clock times)."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_two_processes_counters_on_one_file_see_one_count(tmp_path: Path) -> None:
    clock = WallClock()
    first = SqliteCounters(str(tmp_path / "limits.sqlite3"), clock)
    second = SqliteCounters(str(tmp_path / "limits.sqlite3"), clock)

    counts = [counter.hit(KEY, WINDOW_MS).count for counter in (first, second) * 3]

    assert counts == [1, 2, 3, 4, 5, 6]
    assert second.hit(f"{KEY}:other", WINDOW_MS).count == 1
    first.close()
    second.close()


def test_the_window_opened_by_the_first_hit_ends_for_every_process(tmp_path: Path) -> None:
    clock = WallClock()
    first = SqliteCounters(str(tmp_path / "limits.sqlite3"), clock)
    second = SqliteCounters(str(tmp_path / "limits.sqlite3"), clock)
    assert first.hit(KEY, WINDOW_MS).reset_ms == WINDOW_MS
    clock.now += 45

    later = second.hit(KEY, WINDOW_MS)
    assert (later.count, later.reset_ms) == (2, 15_000)  # the same window, not a new one
    clock.now += 15

    assert first.hit(KEY, WINDOW_MS).count == 1
    assert second.hit(KEY, WINDOW_MS).count == 2


def test_a_hit_that_read_the_clock_just_before_the_window_opened_counts_in_it(
    tmp_path: Path,
) -> None:
    clock = WallClock()
    first = SqliteCounters(str(tmp_path / "limits.sqlite3"), clock)
    second = SqliteCounters(str(tmp_path / "limits.sqlite3"), lambda: clock.now - 0.2)

    first.hit(KEY, WINDOW_MS)  # opens the window; the second process had read its clock earlier
    assert second.hit(KEY, WINDOW_MS).count == 2


def test_a_clock_set_back_does_not_hold_a_caller_longer_than_a_window(tmp_path: Path) -> None:
    clock = WallClock()
    counters = SqliteCounters(str(tmp_path / "limits.sqlite3"), clock)
    counters.hit(KEY, WINDOW_MS)
    clock.now -= 3600  # NTP stepped the clock back an hour

    hit = counters.hit(KEY, WINDOW_MS)
    assert (hit.count, hit.reset_ms) == (1, WINDOW_MS)


def rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        ((count,),) = connection.execute("SELECT count(*) FROM rate_windows").fetchall()
    return int(count)


def test_ended_windows_are_deleted_and_a_flood_of_callers_stays_bounded(tmp_path: Path) -> None:
    clock = WallClock()
    path = tmp_path / "limits.sqlite3"
    counters = SqliteCounters(str(path), clock, max_keys=100)

    for n in range(1000):
        counters.hit(f"{KEY}:{n}", WINDOW_MS)
    assert rows(path) <= 110
    clock.now += 61
    counters.hit(f"{KEY}:new", WINDOW_MS)
    assert rows(path) == 1


def count_in_a_process(path: str, hits: int, counted: multiprocessing.Queue[list[int]]) -> None:
    counters = SqliteCounters(path)
    counted.put([counters.hit(KEY, WINDOW_MS).count for _ in range(hits)])


def test_processes_hitting_at_once_each_get_a_count_of_their_own(tmp_path: Path) -> None:
    path = str(tmp_path / "limits.sqlite3")
    SqliteCounters(path).hit("warm-up", WINDOW_MS)  # the file and its table exist
    spawn = multiprocessing.get_context("spawn")
    counted: multiprocessing.Queue[list[int]] = spawn.Queue()
    processes = [
        spawn.Process(target=count_in_a_process, args=(path, 200, counted)) for _ in range(3)
    ]
    for process in processes:
        process.start()
    seen = [count for _ in processes for count in counted.get(timeout=60)]
    for process in processes:
        process.join(timeout=30)

    assert sorted(seen) == list(range(1, 601))  # none lost, none twice


def test_a_file_that_fails_falls_back_to_memory_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limits = RateLimiter(SqliteCounters(str(tmp_path / "no-such-folder" / "limits.sqlite3")), 2)
    with caplog.at_level(logging.WARNING):
        allowed = [limits.hit("ticket", "user:a").allowed for _ in range(3)]

    assert allowed == [True, True, False]  # still limited, never a 500
    assert [r.message for r in caplog.records].count(
        "rate limit store unavailable: counting in memory"
    ) == 1


def test_serve_s_file_is_used_without_redis_and_redis_wins_over_it(tmp_path: Path) -> None:
    shared = str(tmp_path / "limits.sqlite3")
    settings = Settings.from_env({**SETTINGS_ENV, "TICKETS_RATE_LIMIT_FILE": shared})
    assert settings.rate_limits.shared_file == shared

    counters = open_rate_limiter(settings.rate_limits)._counters
    assert isinstance(counters, SqliteCounters) and counters.blocks  # off the event loop
    redis = RateLimitConfig(redis_url="redis://127.0.0.1:1/0", shared_file=shared)
    assert isinstance(open_rate_limiter(redis)._counters, RedisCounters)
    assert isinstance(open_rate_limiter(RateLimitConfig())._counters, MemoryCounters)
