"""Fixed-window rate limiting: counters in Redis (shared by every instance) or in memory."""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

log = logging.getLogger(__name__)

WINDOW_SECONDS: Final = 60
KEY_PREFIX: Final = "tickets:ratelimit"
# A Redis outage is logged at most this often, while counting falls back to memory.
OUTAGE_LOG_SECONDS: Final = 60.0

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


@dataclass(frozen=True)
class RateLimitConfig:
    per_minute: int = 60
    redis_url: str | None = field(default=None, repr=False)  # may hold a password

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
        self._fallback = fallback or MemoryCounters()
        self._last_outage_log = -math.inf

    def hit(self, key: str, window_ms: int) -> Hit:
        try:
            count, ttl = self._script(keys=[key], args=[window_ms])
        except self._redis_error as error:
            # Rate limits protect the service; they must not take it down with Redis.
            now = time.monotonic()
            if now - self._last_outage_log >= OUTAGE_LOG_SECONDS:
                self._last_outage_log = now
                log.warning(
                    "rate limit store unavailable: counting in memory",
                    extra={"error": type(error).__name__},
                )
            return self._fallback.hit(key, window_ms)
        return Hit(int(count), int(ttl))

    def close(self) -> None:
        self._client.close()


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
    counters: Counters = RedisCounters(config.redis_url) if config.redis_url else MemoryCounters()
    return RateLimiter(counters, config.per_minute)
