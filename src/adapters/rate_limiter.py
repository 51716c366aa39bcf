"""Fixed-window rate limiting: counters in Redis (shared by every instance), in a SQLite file
(shared by the processes of one server) or in memory (one process)."""

from __future__ import annotations

import hashlib
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

log = logging.getLogger(__name__)

WINDOW_SECONDS: Final = 60
KEY_PREFIX: Final = "tickets:ratelimit"
# An outage of the shared store is logged at most this often, while counting falls back to memory.
OUTAGE_LOG_SECONDS: Final = 60.0
# How long a hit waits for another process's write to the shared file before counting in memory.
FILE_BUSY_SECONDS: Final = 0.5

# INCR and the expiry in one atomic step: a crash between the two would leave a key that never
# expires (a caller blocked forever). The TTL is set by the first hit of the window only.
_HIT_SCRIPT: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


# One statement, so one atomic step whichever process runs it: a count per key, in a window that
# its first hit opens; an ended window starts again at 1, and so does one ending more than two
# windows from now (the clock was set back; a hit that read the clock a little before another
# process opened the window sees it end a little after its own would). SET reads the old row.
_HIT_SQL: Final = """
INSERT INTO rate_windows (key, ends_ms, count) VALUES (:key, :ends, 1)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN ends_ms <= :now OR ends_ms > :ends + :window THEN 1 ELSE count + 1 END,
  ends_ms = CASE WHEN ends_ms <= :now OR ends_ms > :ends + :window THEN :ends ELSE ends_ms END
RETURNING count, ends_ms
"""


@dataclass(frozen=True)
class RateLimitConfig:
    per_minute: int = 60
    redis_url: str | None = field(default=None, repr=False)  # may hold a password
    # Set by `tickets serve` for its HTTP processes when it runs several and no Redis is set.
    shared_file: str | None = None

    def __post_init__(self) -> None:
        if self.per_minute < 1:
            raise ValueError("per_minute must be at least 1")


@dataclass(frozen=True)
class Hit:
    """A counted request: its number in the window, and milliseconds until the window ends."""

    count: int
    reset_ms: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # whole seconds until the window ends, at least 1


class Counters(Protocol):
    blocks: bool  # a hit may wait on the network (then it is counted off the event loop)

    def hit(self, key: str, window_ms: int) -> Hit:
        """Counts one request under ``key`` in its current window."""
        ...

    def close(self) -> None: ...


class MemoryCounters:
    """Counters of this process only: right for one instance, per-instance behind a balancer."""

    blocks = False

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self._clock = clock
        self._max_keys = max_keys
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, count)
        self._lock = threading.Lock()

    def hit(self, key: str, window_ms: int) -> Hit:
        now = self._clock()
        with self._lock:
            end, count = self._windows.get(key, (0.0, 0))
            if end <= now:
                end, count = now + window_ms / 1000, 0
                if len(self._windows) >= self._max_keys:
                    self._forget_expired(now)
            self._windows[key] = (end, count + 1)
        # Clamped: float rounding of ``end - now`` could say window + 1 ms (Retry-After 61 s).
        return Hit(count + 1, min(math.ceil((end - now) * 1000), window_ms))

    def _forget_expired(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        if len(self._windows) >= self._max_keys:
            # Still full of live windows (a flood of addresses): drop the oldest half.
            oldest = sorted(self._windows.items(), key=lambda item: item[1][0])
            self._windows = dict(oldest[len(oldest) // 2 :])

    def close(self) -> None:
        pass


class _Fallback:
    """This process's memory while a shared store fails: rate limits protect the service, they
    must not take it down with their store. The outage is logged, at most once a minute."""

    def __init__(self, memory: MemoryCounters | None) -> None:
        self._memory = memory or MemoryCounters()
        self._last_log = -math.inf

    def hit(self, key: str, window_ms: int, error: Exception) -> Hit:
        now = time.monotonic()
        if now - self._last_log >= OUTAGE_LOG_SECONDS:
            self._last_log = now
            log.warning(
                "rate limit store unavailable: counting in memory",
                extra={"error": type(error).__name__},
            )
        return self._memory.hit(key, window_ms)


class RedisCounters:
    """Counters shared by every instance through Redis; on an outage, this process's memory."""

    blocks = True

    def __init__(self, url: str, fallback: MemoryCounters | None = None) -> None:
        import redis  # only with REDIS_URL: it costs every `tickets` command ~0.5 s to import

        self._redis_error = redis.RedisError
        self._client = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
        )
        self._script = self._client.register_script(_HIT_SCRIPT)
        self._fallback = _Fallback(fallback)

    def hit(self, key: str, window_ms: int) -> Hit:
        try:
            count, ttl = self._script(keys=[key], args=[window_ms])
        except self._redis_error as error:
            return self._fallback.hit(key, window_ms, error)
        return Hit(int(count), int(ttl))

    def close(self) -> None:
        self._client.close()


class SqliteCounters:
    """Counters shared by the processes of one server through a SQLite file; if the file
    fails, this process's memory.

    One UPSERT ... RETURNING per hit (WAL, no fsync: the counts are worth nothing after the
    server stops). It blocks: a hit is quick alone but waits while another process writes
    (up to FILE_BUSY_SECONDS) or the log is checkpointed (ms), so it runs off the event loop.
    Ended windows are deleted once a window, or sooner when many keys came in.
    """

    blocks = True

    def __init__(
        self,
        path: str,
        clock: Callable[[], float] = time.time,  # shared by processes, unlike time.monotonic
        max_keys: int = 100_000,
        fallback: MemoryCounters | None = None,
    ) -> None:
        self._path = path
        self._clock = clock
        self._max_keys = max_keys
        self._fallback = _Fallback(fallback)
        self._lock = threading.Lock()  # one connection, used by one thread at a time
        self._connection: sqlite3.Connection | None = None
        self._next_prune = -math.inf
        self._new_windows = 0

    def hit(self, key: str, window_ms: int) -> Hit:
        now = round(self._clock() * 1000)
        try:
            with self._lock:
                connection = self._connection or self._connect()
                ((count, ends),) = connection.execute(
                    _HIT_SQL, {"key": key, "now": now, "ends": now + window_ms, "window": window_ms}
                ).fetchall()
                self._new_windows += count == 1
                if now >= self._next_prune or self._new_windows > self._max_keys // 10:
                    self._prune(connection, now, window_ms)
        except sqlite3.Error as error:
            return self._fallback.hit(key, window_ms, error)
        return Hit(int(count), max(min(int(ends) - now, window_ms), 1))

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path, timeout=FILE_BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, "
                "ends_ms INTEGER NOT NULL, count INTEGER NOT NULL) WITHOUT ROWID"
            )
        except sqlite3.Error:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _prune(self, connection: sqlite3.Connection, now: int, window_ms: int) -> None:
        self._next_prune = now + window_ms
        self._new_windows = 0
        connection.execute("DELETE FROM rate_windows WHERE ends_ms <= ?", (now,))
        ((live,),) = connection.execute("SELECT count(*) FROM rate_windows").fetchall()
        if live >= self._max_keys:
            # Still full of live windows (a flood of addresses): drop the oldest half.
            connection.execute(
                "DELETE FROM rate_windows WHERE key IN "
                "(SELECT key FROM rate_windows ORDER BY ends_ms LIMIT ?)",
                (live // 2,),
            )

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class RateLimiter:
    """``per_minute`` requests per (route, caller) and fixed minute window."""

    def __init__(self, counters: Counters, per_minute: int) -> None:
        self._counters = counters
        self.per_minute = per_minute
        self.blocks = counters.blocks

    def hit(self, route: str, subject: str) -> Decision:
        """Counts a request of ``subject`` (a user or an address) on ``route``."""
        # Hashed: user ids and addresses stay out of Redis; bounded key length.
        digest = hashlib.sha256(subject.encode("utf-8", "replace")).hexdigest()[:32]
        hit = self._counters.hit(f"{KEY_PREFIX}:{route}:{digest}", WINDOW_SECONDS * 1000)
        return Decision(
            allowed=hit.count <= self.per_minute,
            limit=self.per_minute,
            remaining=max(self.per_minute - hit.count, 0),
            retry_after=max(math.ceil(hit.reset_ms / 1000), 1),
        )

    def close(self) -> None:
        self._counters.close()


def open_rate_limiter(config: RateLimitConfig) -> RateLimiter:
    """Redis when configured (every instance); else the server's shared file when it runs
    several processes (all of them); else this process's memory."""
    counters: Counters
    if config.redis_url:
        counters = RedisCounters(config.redis_url)
    elif config.shared_file:
        counters = SqliteCounters(config.shared_file)
    else:
        counters = MemoryCounters()
    return RateLimiter(counters, config.per_minute)
